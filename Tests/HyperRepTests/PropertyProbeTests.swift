// The numbers behind `hz-train probe`: the closed-form ridge solves its normal equations in both
// the primal and the dual form, λ is picked on val, the weight statistics are the NeurIPS'21
// ones, the MLP learns what a linear probe cannot, and property selection refuses what has
// nothing to predict.
import Foundation
import Testing
import Tensor
import ZooStore
@testable import HyperRep

@Suite struct PropertyProbeTests {
    /// Features [n, d] of uniform draws and a stream-fixed noise.
    static func features(_ n: Int, _ d: Int, seed: UInt64) -> ProbeMatrix {
        var s = RandomStream(seed: seed, purpose: "probe-test")
        return ProbeMatrix(rows: n, columns: d, values: (0..<(n * d)).map { _ in Double(s.nextFloat(in: -1, 1)) })
    }

    /// The fit satisfies (XᵀX + λI)β = XᵀY on centred targets, with fewer rows than features
    /// (dual solve) and with more (primal solve).
    @Test(arguments: [(12, 30), (40, 5)])
    func ridgeSolvesItsNormalEquations(shape: (n: Int, d: Int)) {
        let x = Self.features(shape.n, shape.d, seed: 1)
        let y = ProbeMatrix(rows: shape.n, columns: 1, values: (0..<shape.n).map { 3 + 2 * x[$0, 0] - x[$0, 1] + 0.1 * sin(Double($0)) })
        let lambda = 0.3
        let fit = RidgeSolver(x: x, y: y).fit(lambda: lambda)
        let mean = y.values.reduce(0, +) / Double(shape.n)
        #expect(abs(fit.intercept[0] - mean) < 1e-12)
        for a in 0..<shape.d {
            var lhs = lambda * fit.coefficients[a], rhs = 0.0
            for r in 0..<shape.n {
                var xb = 0.0
                for c in 0..<shape.d { xb += x[r, c] * fit.coefficients[c] }
                lhs += x[r, a] * xb
                rhs += x[r, a] * (y[r, 0] - mean)
            }
            #expect(abs(lhs - rhs) < 1e-9 * max(1, abs(rhs)), "row \(a): \(lhs) vs \(rhs)")
        }
    }

    static func problem(_ task: ProbeTask, _ target: (ProbeMatrix, Int) -> Double, d: Int = 4) -> ProbeProblem {
        func split(_ n: Int, _ seed: UInt64) -> (x: ProbeMatrix, y: [Double]) {
            let x = features(n, d, seed: seed)
            return (x, (0..<n).map { target(x, $0) })
        }
        return ProbeProblem(task: task, train: split(200, 2), val: split(60, 3), test: split(60, 4))
    }

    @Test func linearPropertyIsRecoveredAndTheConstantPredictorIsTheFloor() {
        let p = Self.problem(.regression) { x, r in 1 + 4 * x[r, 0] - 2 * x[r, 2] }
        let ridge = p.ridgeScores(), constant = p.constantScores()
        #expect(ridge.test! > 0.999 && ridge.test! <= 1)
        // Noise-free targets: the weakest penalty fits best on val.
        #expect(ridge.regularization == RidgeSolver.regularizations.last)
        #expect(constant.train! == 0 || abs(constant.train!) < 1e-12)
        #expect(constant.test! <= 0.05)
    }

    @Test func mlpLearnsANonlinearPropertyDeterministically() {
        let p = Self.problem(.regression) { x, r in x[r, 0] * x[r, 0] + 0.5 * abs(x[r, 1]) }
        let options = MLPProbeOptions(hidden: 32, epochs: 60, batchSize: 16, learningRate: 3e-3)
        let stream = RandomStream(seed: 7, purpose: "mlp")
        let mlp = p.mlpScores(options: options, stream: stream)
        let ridge = p.ridgeScores()
        #expect(mlp.test! > 0.8, "MLP R² \(mlp.test!)")
        #expect(mlp.test! > ridge.test! + 0.3, "MLP \(mlp.test!) vs ridge \(ridge.test!)")
        #expect(mlp.epoch! >= 1 && mlp.epoch! <= 60)
        #expect(p.mlpScores(options: options, stream: stream) == mlp)
        #expect(p.mlpScores(options: options, stream: RandomStream(seed: 8, purpose: "mlp")) != mlp)
    }

    @Test func classesAreLearnedByBothProbesAndTheConstantIsTheMajority() {
        // Class 1 (x0 > 0.4) is the minority, so the constant predictor picks class 0.
        let p = Self.problem(.classification(classes: 2)) { x, r in x[r, 0] > 0.4 ? 1 : 0 }
        let constant = p.constantScores()
        let share = Double(p.test.y.filter { $0 == 0 }.count) / Double(p.test.y.count)
        #expect(abs(constant.test! - share) < 1e-12)
        #expect(p.ridgeScores().test! > constant.test! + 0.1)
        let mlp = p.mlpScores(options: MLPProbeOptions(hidden: 16, epochs: 40, batchSize: 16, learningRate: 3e-3),
                              stream: RandomStream(seed: 1, purpose: "mlp"))
        #expect(mlp.test! > 0.9 && mlp.test! <= 1)
    }

    @Test func weightStatisticsArePerTensorMeanVarianceAndQuantiles() throws {
        let table = try ParameterTable(stateDict: [("0.weight", [2, 3]), ("0.bias", [2])])
        let row: [Float] = [1, 2, 3, 4, 5, 6, -1, 1]
        let stats = WeightStatistics(table: table)
        let f = stats.features(rows: row + row.map { $0 * 2 }, count: 2)
        #expect(f.columns == 14 && stats.featureNames[0] == "0.weight mean" && stats.featureNames[8] == "0.bias var")
        // numpy: mean 3.5, var 35/12, percentile([1..6], [1, 25, 50, 75, 99]) = 1.05, 2.25, 3.5, 4.75, 5.95.
        let expected = [3.5, 35.0 / 12, 1.05, 2.25, 3.5, 4.75, 5.95, 0, 1, -0.98, -0.5, 0, 0.5, 0.98]
        for (a, b) in zip((0..<14).map { f[0, $0] }, expected) { #expect(abs(a - b) < 1e-12, "\(a) vs \(b)") }
        #expect(abs(f[1, 1] - 4 * 35.0 / 12) < 1e-12)
    }

    static let splits: [Split] = [.train, .train, .train, .val, .test, .train]

    @Test func propertiesThatDoNotVaryAreSkippedOrRefused() throws {
        let varying = ProbeProperty(name: "epoch", source: .epoch, numbers: [1, 2, 3, 1, 2, 3])
        let constant = ProbeProperty(name: "optimizer", source: .hyperparameter, labels: ["adam", "adam", "adam", "sgd", "adam", "adam"])
        let chosen = try PropertyProbe.choose([varying, constant], splits: Self.splits, requested: nil)
        #expect(chosen.chosen.map(\.name) == ["epoch"])
        #expect(chosen.skipped.first?.reason?.contains("takes one value (adam)") == true)
        #expect(throws: ProbeError.self) { try PropertyProbe.choose([varying, constant], splits: Self.splits, requested: ["optimizer"]) }
        do { _ = try PropertyProbe.choose([varying], splits: Self.splits, requested: ["lr"]) } catch {
            #expect("\(error)".contains("property 'lr' is not in the zoo; it has epoch"))
        }
        do { _ = try PropertyProbe.choose([constant], splits: Self.splits, requested: nil) } catch {
            #expect("\(error)".contains("no property varies"))
        }
    }

    @Test func aSplitWithoutRecordedValuesIsAnError() {
        // The only test row has no recorded accuracy.
        let accuracy = ProbeProperty(name: "test_accuracy", source: .metric, numbers: [0.5, 0.6, 0.7, 0.6, .nan, 0.8])
        #expect(throws: ProbeError.self) { try PropertyProbe.rowsBySplit(accuracy, splits: Self.splits) }
        do { _ = try PropertyProbe.rowsBySplit(accuracy, splits: Self.splits) } catch {
            #expect("\(error)".contains("no test-split checkpoint has 'test_accuracy' recorded"))
        }
    }
}
