// One prediction problem of a property probe: standardised features of the train, val and test
// checkpoints and the property's values on them, with the score that judges a predictor
// (R² for a numeric property, accuracy for a categorical one).
//
// Size legend: N = rows of one split, D = features, K = output columns (1, or the class count).

/// Regression (a numeric property) or classification (a categorical one, classes 0..<count).
public enum ProbeTask: Sendable, Equatable {
    case regression
    case classification(classes: Int)

    /// Output columns of a predictor.
    public var outputs: Int {
        switch self {
        case .regression: return 1
        case .classification(let classes): return classes
        }
    }

    /// "r2" or "accuracy", as named in the report.
    public var metric: String {
        switch self {
        case .regression: return "r2"
        case .classification: return "accuracy"
        }
    }
}

/// Features and targets of the three splits. Class targets are class indices stored as Doubles.
public struct ProbeProblem: Sendable {
    public let task: ProbeTask
    public let train: (x: ProbeMatrix, y: [Double])
    public let val: (x: ProbeMatrix, y: [Double])
    public let test: (x: ProbeMatrix, y: [Double])

    /// Standardises `train`, `val` and `test` features with the training rows' statistics.
    public init(task: ProbeTask, train: (x: ProbeMatrix, y: [Double]), val: (x: ProbeMatrix, y: [Double]),
                test: (x: ProbeMatrix, y: [Double])) {
        let standardizer = Standardizer(fitting: train.x)
        self.task = task
        self.train = (standardizer.apply(train.x), train.y)
        self.val = (standardizer.apply(val.x), val.y)
        self.test = (standardizer.apply(test.x), test.y)
    }

    /// The targets as a matrix [N, K]: the value (regression) or a one-hot row (classification).
    public func targetMatrix(_ y: [Double]) -> ProbeMatrix {
        let k = task.outputs
        var out = [Double](repeating: 0, count: y.count * k)
        for (r, v) in y.enumerated() {
            if case .classification = task { out[r * k + Int(v)] = 1 } else { out[r] = v }
        }
        return ProbeMatrix(rows: y.count, columns: k, values: out)
    }

    /// The score of `predictions` [N, K] against targets `y`: R² of column 0, or the accuracy of
    /// each row's arg-max (first maximum on ties). nil when undefined (no rows, constant targets).
    public func score(_ predictions: ProbeMatrix, _ y: [Double]) -> Double? {
        switch task {
        case .regression:
            return coefficientOfDetermination(predictions: (0..<predictions.rows).map { predictions[$0, 0] }, targets: y)
        case .classification:
            let chosen = (0..<predictions.rows).map { r in
                (0..<predictions.columns).reduce(0) { predictions[r, $1] > predictions[r, $0] ? $1 : $0 }
            }
            return classificationAccuracy(predictions: chosen, labels: y.map { Int($0) })
        }
    }
}

/// What one predictor achieved on one problem: its score on each split and what was picked on val.
public struct ProbeScores: Sendable, Equatable {
    public var train: Double?
    public var val: Double?
    public var test: Double?
    /// Ridge: the penalty picked on val.
    public var regularization: Double?
    /// MLP: the epoch (1-based) whose parameters scored best on val.
    public var epoch: Int?
}

extension ProbeProblem {
    /// The constant predictor: the training mean (regression) or the most frequent training class
    /// (the lowest index on ties). Any probe worth its name beats it.
    public func constantScores() -> ProbeScores {
        let k = task.outputs
        var row = [Double](repeating: 0, count: k)
        switch task {
        case .regression:
            row[0] = train.y.reduce(0, +) / Double(max(train.y.count, 1))
        case .classification:
            var counts = [Int](repeating: 0, count: k)
            for v in train.y { counts[Int(v)] += 1 }
            row[counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!] = 1
        }
        func constant(_ n: Int) -> ProbeMatrix { ProbeMatrix(rows: n, columns: k, values: Array((0..<n).map { _ in row }.joined())) }
        return ProbeScores(train: score(constant(train.y.count), train.y), val: score(constant(val.y.count), val.y),
                           test: score(constant(test.y.count), test.y))
    }

    /// Ridge over `RidgeSolver.regularizations`, λ picked by the val score (the first best, i.e.
    /// the strongest penalty among equals).
    public func ridgeScores(regularizations: [Double] = RidgeSolver.regularizations) -> ProbeScores {
        let solver = RidgeSolver(x: train.x, y: targetMatrix(train.y))
        var best: (model: RidgeModel, val: Double)?
        for lambda in regularizations {
            let model = solver.fit(lambda: lambda)
            let v = score(model.predict(val.x), val.y) ?? -.infinity
            if best == nil || v > best!.val { best = (model, v) }
        }
        let model = best!.model
        return ProbeScores(train: score(model.predict(train.x), train.y), val: score(model.predict(val.x), val.y),
                           test: score(model.predict(test.x), test.y), regularization: model.regularization)
    }
}
