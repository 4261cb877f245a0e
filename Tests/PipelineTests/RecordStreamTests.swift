import Foundation
import Testing
@testable import Pipeline
import TestSupport

@Suite struct XXHash64Tests {
    /// Published XXH64 reference values (seed 0).
    @Test func matchesReferenceVectors() {
        #expect(XXHash64.hash(Array("".utf8)) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xFBCE_A83C_8A37_8BF1)
    }
}

@Suite struct RecordStreamTests {
    static func sampleRecords() -> [Record] {
        (0..<5).map { i in
            Record(kind: "tokens", ids: ["checkpoint": i, "epoch": i % 2], labels: ["model_id": "m\"\(i)\\é"],
                   shape: [3, 4 + i], floats: (0..<(3 * (4 + i))).map { Float($0) * 0.5 - Float(i) })
        } + [Record(kind: "layout", json: Array("{\"a\":1}".utf8)), Record(kind: "positions", shape: [2], int32: [7, -1])]
    }

    static func streamBytes(_ records: [Record], in dir: TemporaryDirectory) throws -> [UInt8] {
        let path = dir.path("s.hzrs")
        let writer = try RecordStreamWriter(path: path, bufferSize: 256)
        for r in records { try writer.write(r) }
        try writer.finish()
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func readAll(_ bytes: [UInt8], in dir: TemporaryDirectory) throws -> [Record] {
        let path = dir.path("in-\(UUID().uuidString)")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try RecordStreamReader(path: path, bufferSize: 128)
        var out: [Record] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func roundTripThroughAFile() throws {
        let dir = TemporaryDirectory()
        let records = Self.sampleRecords()
        let bytes = try Self.streamBytes(records, in: dir)
        #expect(Array(bytes[0..<4]) == Array("HZRS".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["s.hzrs"], "a finished stream leaves no temporary")
        let back = try Self.readAll(bytes, in: dir)
        #expect(back.count == records.count)
        for (a, b) in zip(back, records) {
            #expect(a.header == b.header, "\(a.header) vs \(b.header)")
            #expect(a.payload == b.payload, "payload of \(a.header.kind) differs")
        }
        #expect(try Self.readAll(bytes, in: dir)[0].floats() == (0..<12).map { Float($0) * 0.5 })
    }

    @Test func roundTripThroughAPipeBetweenThreads() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let records = Self.sampleRecords()
        let payload = Record(kind: "big", shape: [300_000], floats: (0..<300_000).map { Float($0) })
        let writerFD = fds[1]
        let thread = Thread {
            let writer = try! RecordStreamWriter(fileDescriptor: writerFD, name: "pipe")
            for r in records + [payload] { try! writer.write(r) }
            try! writer.finish()
            close(writerFD)
        }
        thread.start()
        let reader = try RecordStreamReader(fileDescriptor: fds[0], name: "pipe")
        var got: [Record] = []
        while let r = try reader.next() { got.append(r) }
        close(fds[0])
        #expect(got.count == records.count + 1)
        #expect(zip(got, records + [payload]).allSatisfy { $0 == $1 }, "records differ after the pipe")
    }

    @Test func everyTruncationIsReported() throws {
        let dir = TemporaryDirectory()
        let bytes = try Self.streamBytes(Self.sampleRecords(), in: dir)
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let text = Self.message { _ = try Self.readAll(Array(bytes[0..<cut]), in: dir) }
            #expect(text.contains("truncated"), "cut at \(cut) of \(bytes.count): \(text)")
        }
    }

    @Test func everyFlippedByteIsReported() throws {
        let dir = TemporaryDirectory()
        let bytes = try Self.streamBytes(Array(Self.sampleRecords().prefix(2)), in: dir)
        for position in stride(from: 8, to: bytes.count, by: 3) {
            var corrupted = bytes
            corrupted[position] ^= 0x10
            let text = Self.message { _ = try Self.readAll(corrupted, in: dir) }
            #expect(text.contains("corrupted") || text.contains("truncated"), "flip at \(position): \(text)")
        }
    }

    @Test func foreignInputIsRefusedWithAHint() throws {
        let dir = TemporaryDirectory()
        let hdf5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as [UInt8]
        #expect(Self.message { _ = try Self.readAll(hdf5, in: dir) }.contains("not a hyperzoo record stream"))
        #expect(Self.message { _ = try Self.readAll([], in: dir) }.contains("empty or truncated"))
        var future = try Self.streamBytes([], in: dir)
        future[4] = 2
        #expect(Self.message { _ = try Self.readAll(future, in: dir) }.contains("version 2.0"))
        let bytes = try Self.streamBytes([], in: dir)
        #expect(Self.message { _ = try Self.readAll(bytes + bytes, in: dir) }.contains("after the end record"))
    }

    @Test func payloadMustMatchItsShape() throws {
        let dir = TemporaryDirectory()
        let writer = try RecordStreamWriter(path: dir.path("x"))
        let bad = Record(header: RecordHeader(kind: "tokens", shape: [2, 2], dtype: .float32), payload: [1, 2, 3])
        #expect(throws: RecordStreamError.self) { try writer.write(bad) }
    }

    @Test func unfinishedFileOutputLeavesNothing() throws {
        let dir = TemporaryDirectory()
        do {
            let writer = try RecordStreamWriter(path: dir.path("out.hzrs"))
            try writer.write(Self.sampleRecords()[0])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty, "an unfinished stream leaves nothing")
    }

    @Test func twoWritersOfOnePathEachFinishAWholeStream() throws {
        // Each writer has its own temporary, so interleaved writes cannot mix (a shared fixed
        // `.partial` would hold both, and the second rename would find it gone).
        let dir = TemporaryDirectory()
        let records = Self.sampleRecords()
        let a = try RecordStreamWriter(path: dir.path("out.hzrs")), b = try RecordStreamWriter(path: dir.path("out.hzrs"))
        for r in records { try a.write(r); try b.write(r); try b.write(r) }
        try a.finish()
        try b.finish()
        let back = try Self.readAll(try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path("out.hzrs")))), in: dir)
        #expect(back.count == 2 * records.count, "the last finished writer's stream, whole")
    }

    @Test func anExistingFileStaysUntilTheNewStreamIsFinished() throws {
        let dir = TemporaryDirectory()
        try "old".write(toFile: dir.path("out.hzrs"), atomically: false, encoding: .utf8)
        let writer = try RecordStreamWriter(path: dir.path("out.hzrs"))
        for r in Self.sampleRecords() { try writer.write(r) }
        try writer.flush()
        #expect(FileManager.default.contents(atPath: dir.path("out.hzrs")) == Data("old".utf8))
        try writer.finish()
        #expect(FileManager.default.contents(atPath: dir.path("out.hzrs")).map { Array($0.prefix(4)) } == Array("HZRS".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["out.hzrs"])
    }
}
