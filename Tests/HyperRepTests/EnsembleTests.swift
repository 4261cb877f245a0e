import Testing
@testable import HyperRep
import Nets
import Tensor

@Suite struct EnsembleTests {
    static let architecture = ArchitectureSpec.mlp(channels: 1, height: 4, width: 4, hidden: [6], classes: 3)
    static let data = ImageDataset.synthetic(count: 60, channels: 1, height: 4, width: 4, classes: 3, seed: 2)

    @Test func probabilitiesAgreeWithEvaluateAndEnsemblesOfCopiesEqualTheMember() {
        let a = Self.architecture
        let rows = (0..<4).map { a.initialRow(initializer: .kaimingUniform, seed: UInt64($0)) }
        let pool = EnsembleEvaluation.probabilities(rows: rows, architecture: a, dataset: Self.data, threads: 2)
        let reference = evaluate(rows: rows, architecture: a, dataset: Self.data, threads: 1)
        for (i, p) in pool.enumerated() {
            for n in 0..<Self.data.count {
                let sum = (0..<3).reduce(Float(0)) { $0 + p[n * 3 + $1] }
                #expect(abs(sum - 1) < 1e-5)
            }
            // A one-member ensemble is the model itself.
            let single = EnsembleEvaluation.accuracy(pool: pool, members: [i], labels: Self.data.labels, classes: 3)
            #expect(abs(single - Double(reference[i].accuracy)) < 1e-6, "Float accuracy vs exact count")
            // Averaging a model with itself changes nothing.
            #expect(EnsembleEvaluation.accuracy(pool: pool, members: [i, i, i], labels: Self.data.labels, classes: 3) == single)
        }
        let trials = EnsembleEvaluation.randomEnsembles(pool: pool, labels: Self.data.labels, classes: 3, size: 3, trials: 5, seed: 1)
        #expect(trials.count == 5 && trials.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(trials == EnsembleEvaluation.randomEnsembles(pool: pool, labels: Self.data.labels, classes: 3, size: 3, trials: 5, seed: 1))
    }
}
