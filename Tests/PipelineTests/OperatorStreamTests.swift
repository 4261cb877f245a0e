// The token operators run as hz-tokenize and hz-augment do: reading a record-stream file and
// writing one (RecordStreamReader / RecordStreamWriter), so these tests go through the same
// checked framing and payload decoding as the stages.
import Foundation
import Testing
@testable import Pipeline
import TestSupport
import ZooStore

/// Runs an operator from a stream file of `records` into a stream file, and reads the result.
enum OperatorStreams {
    static func run<Op: Operator>(_ op: Op, on records: [Record], seed: UInt64 = 0) throws -> [Record] {
        let dir = TemporaryDirectory()
        let writer = try RecordStreamWriter(path: dir.path("in.hzrs"))
        for record in records { try writer.write(record) }
        try writer.finish()
        let output = try RecordStreamWriter(path: dir.path("out.hzrs"))
        try op.run(input: RecordStreamReader(path: dir.path("in.hzrs")), output: output, seed: seed)
        try output.finish()
        let reader = try RecordStreamReader(path: dir.path("out.hzrs"))
        var result: [Record] = []
        while let record = try reader.next() { result.append(record) }
        return result
    }

    static let table = try! ParameterTable(stateDict: [("module_list.0.weight", [3, 2]), ("module_list.0.bias", [3]),
                                                       ("module_list.1.weight", [2, 3]), ("module_list.1.bias", [2])])

    /// A rows layout and one checkpoint record per id, with distinct values.
    static func checkpoints(_ ids: [Int]) throws -> [Record] {
        let p = table.parameterCount
        return try [TokenStreamLayout(format: .rows, architecture: "tiny", table: table).record()] + ids.map { c in
            Record(kind: ZooRecordSource.checkpointKind, ids: ["checkpoint": c], shape: [p], floats: (0..<p).map { Float(c * 100 + $0) * 0.25 })
        }
    }
}

@Suite struct OperatorStreamTests {
    @Test func tokenizeWritesTheTokenizersTokensOfEachRow() throws {
        let input = try OperatorStreams.checkpoints([2, 5])
        let out = try OperatorStreams.run(TokenizeOperator(parameters: .init(tokenizer: TokenizerChoice(kind: .neuron))), on: input)
        let tokenizer = try TokenizerChoice(kind: .neuron).make(table: OperatorStreams.table)
        let tokens = out.filter { $0.header.kind == "tokens" }
        #expect(tokens.map { $0.header.ids["checkpoint"] } == [2, 5])
        for (record, row) in zip(tokens, input.dropFirst()) {
            var expected = [Float](repeating: 0, count: tokenizer.tokenValueCount)
            try row.floats().withUnsafeBufferPointer { r in expected.withUnsafeMutableBufferPointer { tokenizer.tokenize(row: r, into: $0) } }
            #expect(try record.floats() == expected)
            #expect(record.header.shape == [tokenizer.tokenCount, tokenizer.tokenWidth])
        }
    }

    @Test func aRecordOfAnotherKindIsRefusedNamingWhatTheOperatorReads() throws {
        var input = try OperatorStreams.checkpoints([1])
        input.append(Record(kind: "views", shape: [1], floats: [1]))
        let op = try TokenizeOperator(parameters: .init(tokenizer: TokenizerChoice(kind: .neuron)))
        let message = RecordStreamTests.message { _ = try OperatorStreams.run(op, on: input) }
        #expect(message == "tokenize input: record of kind 'views', tokenize reads layout, checkpoint")
    }

    @Test func augmentReadsATokenStreamBackIntoTheRowsItCameFrom() throws {
        // Without permutation, noise or erasing, a view is the row itself: tokens → augment gives
        // the tokenize stage's tokens back, through the token input's decode path.
        let rows = try OperatorStreams.checkpoints([3])
        let tokens = try OperatorStreams.run(TokenizeOperator(parameters: .init(tokenizer: TokenizerChoice(kind: .neuron))), on: rows)
        let views = try OperatorStreams.run(AugmentOperator(parameters: .init(options: .init(permute: false), views: 1, epochs: 1)), on: tokens)
        let expected = try tokens.first { $0.header.kind == "tokens" }!.floats()
        #expect(try views.first { $0.header.kind == "views" }!.floats() == expected)
    }
}
