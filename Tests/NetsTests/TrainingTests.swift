import Testing
import TestSupport
import Tensor
@testable import Nets

@Suite struct TrainingTests {
    static let data = DatasetSplits(
        train: ImageDataset.synthetic(count: 200, seed: 11),
        validation: ImageDataset.synthetic(count: 50, seed: 11).subset(Array(0..<50)),
        test: ImageDataset.synthetic(count: 60, seed: 11))

    static func members(_ n: Int, spec: ArchitectureSpec = .cnnS()) -> [PopulationMember] {
        (0..<n).map { i in
            PopulationMember(architecture: spec, recipe: TrainingRecipe(optimizer: .adam(learningRate: 3e-3)),
                             seed: UInt64(i + 1), initialRow: spec.initialRow(initializer: .kaimingUniform, seed: UInt64(i + 1)))
        }
    }

    @Test func trainingLearnsAndReportsEveryEpoch() {
        var reports: [EpochReport] = []
        PopulationTrainer(threads: 2).train(members: Self.members(2), data: Self.data, epochs: 2) { reports.append($0) }
        #expect(reports.map(\.epoch) == [0, 1, 2])
        for m in reports[0].metrics { #expect(!m.trainLoss.isNaN && !m.validationLoss.isNaN && !m.testLoss.isNaN) }
        for i in 0..<2 {
            #expect(reports[2].metrics[i].testAccuracy > reports[0].metrics[i].testAccuracy + 0.2)
            #expect(reports[2].metrics[i].testLoss < reports[0].metrics[i].testLoss)
        }
        // The reported final rows evaluate to the reported test metrics.
        let again = evaluate(rows: reports[2].rows, architecture: .cnnS(), dataset: Self.data.test, batchSize: 7)
        for i in 0..<2 {
            #expect(abs(again[i].loss - reports[2].metrics[i].testLoss) < 1e-4)
            #expect(again[i].accuracy == reports[2].metrics[i].testAccuracy)
        }
    }

    @Test func resultsDoNotDependOnThreadCount() {
        let members = Self.members(3, spec: .cnnS(dropout: 0.2))
        let one = PopulationTrainer(threads: 1).train(members: members, data: Self.data, epochs: 1, evaluateEpochZero: false)
        let two = PopulationTrainer(threads: 2).train(members: members, data: Self.data, epochs: 1, evaluateEpochZero: false)
        let same = one == two
        #expect(same, "rows differ between 1 and 2 threads")
        let distinct = one[0] != one[1]
        #expect(distinct, "members with different seeds must differ")
    }

    @Test func fineTuningFormTrainsGivenRows() {
        let spec = ArchitectureSpec.mlp(hidden: [16])
        let rows = (0..<2).map { spec.initialRow(initializer: .xavierUniform, seed: UInt64($0)) }
        let recipe = TrainingRecipe(optimizer: .sgd(learningRate: 0.05, momentum: 0.9), batchSize: 20)
        var last: EpochReport?
        let final = PopulationTrainer(threads: 2).train(initialRows: rows, architecture: spec, recipe: recipe,
                                                        on: Self.data, epochs: 1) { last = $0 }
        let matches = final == last?.rows
        #expect(matches, "returned rows differ from the last report")
        let changed = final[0] != rows[0]
        #expect(changed, "training must change the row")
        #expect(last!.metrics.allSatisfy { $0.testAccuracy > 0.3 })
    }

    @Test func evaluationKeepsPredictions() {
        let spec = ArchitectureSpec.cnnS()
        let rows = [spec.initialRow(initializer: .kaimingNormal, seed: 1)]
        let r = evaluate(rows: rows, architecture: spec, dataset: Self.data.test, batchSize: 16, keepPredictions: true)
        #expect(r[0].predictions.count == Self.data.test.count)
        let correct = zip(r[0].predictions, Self.data.test.labels).filter { $0 == $1 }.count
        #expect(Float(correct) / Float(Self.data.test.count) == r[0].accuracy)
    }
}
