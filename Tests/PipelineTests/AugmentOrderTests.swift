// hz-augment's view stream is epoch-major (every sample of epoch 0, then of epoch 1, …), which
// is what lets hz-train consume it one epoch at a time; later epochs replay the kept rows.
import Testing
@testable import Pipeline
import ZooStore

@Suite struct AugmentOrderTests {
    @Test func viewsComeEpochByEpochAndTheLayoutSaysSo() throws {
        let op = try AugmentOperator(parameters: .init(options: .init(permute: true), views: 2, epochs: 3))
        let out = try OperatorStreams.run(op, on: OperatorStreams.checkpoints([4, 7, 9]), seed: 1)
        let layout = try TokenStreamLayout.decode(out.first, source: "test")
        #expect(layout.augment?.order == .epochMajor)
        let views = out.filter { $0.header.kind == "views" }
        let order = views.map { [$0.header.ids["augment_epoch"]!, $0.header.ids["checkpoint"]!] }
        #expect(order == [[0, 4], [0, 7], [0, 9], [1, 4], [1, 7], [1, 9], [2, 4], [2, 7], [2, 9]])
        // Fresh views per epoch (the permutation of the 3 hidden neurons differs somewhere).
        #expect(Set(views.filter { $0.header.ids["checkpoint"] == 4 }.map(\.payload)).count > 1)
    }
}
