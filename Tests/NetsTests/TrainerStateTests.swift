// The trainer state file hz-zoo resumes from: a written state reads back, and a damaged one is
// one clear error (never a crash on a length or count read from the file).
import Foundation
import Testing
import Tensor
import TestSupport
@testable import Nets

@Suite struct TrainerStateTests {
    static func state(models: Int, parameters: Int) -> TrainerState {
        let scheduler = LearningRateScheduler(.constant, base: 0.1)
        return TrainerState(epoch: 3,
                            rows: (0..<models).map { m in (0..<parameters).map { Float(m * 10 + $0) } },
                            states: (0..<models).map { m in
                                MemberTrainingState(optimizerSteps: 7 + m, optimizerState: [Float(m), 0.5], scheduler: scheduler)
                            })
    }

    @Test func aWrittenStateReadsBack() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("state.bin")
        try Self.state(models: 2, parameters: 3).write(path: path)
        let read = try #require(try TrainerState.read(path: path, models: 2, parameters: 3))
        #expect(read.epoch == 3)
        #expect(read.rows == [[0, 1, 2], [10, 11, 12]])
        #expect(read.states == Self.state(models: 2, parameters: 3).states)
        #expect(try TrainerState.read(path: dir.path("none.bin"), models: 2, parameters: 3) == nil)
    }

    @Test func damagedStatesAreOneClearError() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("state.bin")
        try Self.state(models: 2, parameters: 3).write(path: path)
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = good[8..<16].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }

        func readError(_ bytes: [UInt8]) throws -> String? {
            let damaged = dir.path("damaged.bin")
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            let error = #expect(throws: DatasetError.self) { try TrainerState.read(path: damaged, models: 2, parameters: 3) }
            return error.map { "\($0)" }
        }
        // A header length beyond the file, up to the largest UInt64 (Int(UInt64.max) would trap).
        var huge = good
        for i in 8..<16 { huge[i] = 0xFF }
        #expect(try readError(huge)?.contains("truncated trainer state header") == true)

        // A header listing fewer optimizer states than models (indexing it would trap).
        let header = String(decoding: good[16..<(16 + headerLength)], as: UTF8.self)
        let short = header.replacingOccurrences(of: #""stateFloats":[2,2]"#, with: #""stateFloats":[2]"#)
        #expect(short != header, "the header's stateFloats field was not found: \(header)")
        var bytes = Array(good[0..<8])
        withUnsafeBytes(of: UInt64(short.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(short.utf8) + Array(good[(16 + headerLength)...])
        #expect(try readError(bytes)?.contains("does not list one optimizer state per model") == true)
    }
}
