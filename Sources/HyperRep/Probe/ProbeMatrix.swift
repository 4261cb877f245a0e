// The numbers a property probe works on: features [N, D] of N checkpoints (latents, raw weights
// or weight statistics) and the per-column standardisation fitted on the training rows, in
// Double so that the closed-form ridge solve stays accurate for small regularisations.
//
// Size legend: N = rows (checkpoints), D = feature columns.

/// A row-major [rows, columns] matrix of Doubles.
public struct ProbeMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "ProbeMatrix: \(values.count) values for [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A matrix from float32 rows [rows, columns] (latents, weights).
    public init(rows: Int, columns: Int, floats: [Float]) {
        self.init(rows: rows, columns: columns, values: floats.map(Double.init))
    }

    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }

    /// The rows `indices`, in that order.
    public func selecting(rows indices: [Int]) -> ProbeMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for r in indices { out.append(contentsOf: values[(r * columns)..<((r + 1) * columns)]) }
        return ProbeMatrix(rows: indices.count, columns: columns, values: out)
    }
}

/// Per-column centring and scaling fitted on training rows. Features of very different scales
/// (a bias quantile next to a weight variance) then weigh alike in the ridge penalty and the
/// MLP's first layer. A column constant on the training rows is scaled by 1, so it becomes 0.
public struct Standardizer: Sendable, Equatable {
    public let mean: [Double]
    public let scale: [Double]

    public init(fitting x: ProbeMatrix) {
        let n = Double(max(x.rows, 1))
        var mean = [Double](repeating: 0, count: x.columns)
        var variance = [Double](repeating: 0, count: x.columns)
        for r in 0..<x.rows { for c in 0..<x.columns { mean[c] += x[r, c] } }
        for c in 0..<x.columns { mean[c] /= n }
        for r in 0..<x.rows { for c in 0..<x.columns { let d = x[r, c] - mean[c]; variance[c] += d * d } }
        self.mean = mean
        // Relative threshold: a column whose spread is rounding noise of its mean is constant.
        scale = (0..<x.columns).map { c in
            let s = (variance[c] / n).squareRoot()
            return s > 1e-12 * max(abs(mean[c]), 1) ? s : 1
        }
    }

    public func apply(_ x: ProbeMatrix) -> ProbeMatrix {
        precondition(x.columns == mean.count, "Standardizer: \(x.columns) columns, fitted on \(mean.count)")
        var v = x.values
        for r in 0..<x.rows {
            for c in 0..<x.columns { v[r * x.columns + c] = (v[r * x.columns + c] - mean[c]) / scale[c] }
        }
        return ProbeMatrix(rows: x.rows, columns: x.columns, values: v)
    }
}

/// 1 − Σ(y − ŷ)² / Σ(y − ȳ)², ȳ the mean of the evaluated targets (GHRP's definition); nil when
/// the targets do not vary (R² is undefined) or there are none.
public func coefficientOfDetermination(predictions: [Double], targets: [Double]) -> Double? {
    precondition(predictions.count == targets.count, "R²: \(predictions.count) predictions for \(targets.count) targets")
    guard !targets.isEmpty else { return nil }
    let mean = targets.reduce(0, +) / Double(targets.count)
    var residual = 0.0, total = 0.0
    for (p, t) in zip(predictions, targets) { residual += (t - p) * (t - p); total += (t - mean) * (t - mean) }
    guard total > 0 else { return nil }
    return 1 - residual / total
}

/// Fraction of `predictions` equal to `labels`; nil when there are none.
public func classificationAccuracy(predictions: [Int], labels: [Int]) -> Double? {
    precondition(predictions.count == labels.count, "accuracy: \(predictions.count) predictions for \(labels.count) labels")
    guard !labels.isEmpty else { return nil }
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
