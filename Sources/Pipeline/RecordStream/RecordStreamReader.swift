// Reads a record stream from a file descriptor through one large buffer, verifying every
// frame's checksum. Truncation (inside a frame or before the end record), corruption (checksum,
// impossible lengths, bad header JSON) and foreign input (wrong magic or major version) are
// reported as one line naming the stream and the record; nothing is returned unverified.
import Foundation
import FileIO
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads records written by `RecordStreamWriter` (schemas/record-stream.md).
public final class RecordStreamReader {
    /// Name used in error messages (a path or `stdin`).
    public let name: String
    /// The stream's (major, minor) version.
    public private(set) var version: (major: UInt16, minor: UInt16) = (0, 0)
    /// Records returned so far.
    public private(set) var recordCount = 0
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var ended = false
    private let decoder = JSONDecoder()

    /// A reader on an open descriptor (not closed by the reader). Reads and checks the magic.
    public init(fileDescriptor: Int32, name: String = "stdin", bufferSize: Int = 1 << 20) throws {
        self.fd = fileDescriptor
        self.name = name
        self.ownsDescriptor = false
        self.buffer = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
        try readMagic()
    }

    /// A reader of `path` (`-` = stdin).
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.buffer = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
        if path == "-" {
            self.fd = STDIN_FILENO
            self.name = "stdin"
            self.ownsDescriptor = false
        } else {
            // A named file must be a regular one: open() on a FIFO would wait forever for a
            // writer (pipes between stages come in as "-" or a descriptor instead).
            let fd: Int32
            do { fd = try openRegularFile(atPath: path).descriptor } catch let error as InputFileError {
                buffer.deallocate()
                throw RecordStreamError(error.description)
            }
            self.fd = fd
            self.name = path
            self.ownsDescriptor = true
        }
        try readMagic()
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// True if `bytes` begin with the record-stream magic (to tell streams from HDF5 files).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && Array(bytes[0..<4]) == RecordStreamFormat.magic
    }

    private func readMagic() throws {
        var head = [UInt8](repeating: 0, count: 8)
        let n = try head.withUnsafeMutableBytes { try take(into: $0) }
        guard n == 8 else {
            throw RecordStreamError("\(name): empty or truncated stream (\(n) bytes, no record-stream header); expected the output of hz-tokenize or hz-augment")
        }
        guard Self.hasMagic(head) else {
            let shown = head.map { String($0, radix: 16) }.joined(separator: " ")
            throw RecordStreamError("\(name): not a hyperzoo record stream (starts with \(shown), expected \"HZRS\"); pass HDF5 files by path")
        }
        let major = UInt16(head[4]) | UInt16(head[5]) << 8
        let minor = UInt16(head[6]) | UInt16(head[7]) << 8
        guard major == RecordStreamFormat.majorVersion else {
            throw RecordStreamError("\(name): record stream version \(major).\(minor), this reader understands \(RecordStreamFormat.majorVersion).x; use matching hyperzoo versions on both ends")
        }
        version = (major, minor)
    }

    /// The next record, or nil after the end record. Checks the checksum of every frame.
    /// - Throws: `RecordStreamError` on truncation, corruption or I/O failure.
    public func next() throws -> Record? {
        guard let header = try nextHeader() else { return nil }
        return Record(header: header, payload: try readPayloadGrowing())
    }

    /// The next record's header, or nil after the end record; its payload must then be read
    /// with `readPayload(into:)` (which verifies the checksum) before the next call.
    public func nextHeader() throws -> RecordHeader? {
        precondition(pending == nil, "\(name): nextHeader() before the previous payload was read")
        if ended { return nil }
        let index = recordCount + 1
        var lengths = [UInt8](repeating: 0, count: 12)
        let got = try lengths.withUnsafeMutableBytes { try take(into: $0) }
        if got == 0 {
            throw RecordStreamError("\(name): stream truncated after \(recordCount) records (no end record): the writing stage stopped early")
        }
        guard got == 12 else { throw truncated(index, "frame lengths", got, 12) }
        let headerLength = lengths.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        let payloadLength = lengths.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) }
        guard headerLength <= RecordStreamFormat.maximumHeaderBytes else {
            throw RecordStreamError("\(name): record \(index): header length \(headerLength) exceeds \(RecordStreamFormat.maximumHeaderBytes) bytes: the stream is corrupted")
        }
        guard payloadLength <= UInt64(RecordStreamFormat.maximumPayloadBytes) else {
            throw RecordStreamError("\(name): record \(index): payload length \(payloadLength) exceeds 4 GiB: the stream is corrupted")
        }
        var head = lengths
        head += [UInt8](repeating: 0, count: headerLength)
        let gotHeader = try head.withUnsafeMutableBytes { try take(into: UnsafeMutableRawBufferPointer(rebasing: $0[12...])) }
        guard gotHeader == headerLength else { throw truncated(index, "header", gotHeader, headerLength) }
        let header: RecordHeader
        do {
            header = try decoder.decode(RecordHeader.self, from: Data(head[12...]))
        } catch {
            throw RecordStreamError("\(name): record \(index): header is not valid record JSON: the stream is corrupted")
        }
        guard header.payloadByteCount.map(UInt64.init) == payloadLength else {
            throw RecordStreamError("\(name): record \(index) (\(header.kind)): payload length \(payloadLength) does not match shape \(header.shape) \(header.dtype.rawValue): the stream is corrupted")
        }
        pending = (header, head.withUnsafeBytes { XXHash64.hash($0) })
        if header.kind == RecordStreamFormat.endKind {
            _ = try readPayloadGrowing()
            return nil
        }
        return header
    }

    private var pending: (header: RecordHeader, headHash: UInt64)?

    /// Reads the payload of the header returned by `nextHeader()` into `destination`
    /// (exactly `payloadByteCount` bytes) and verifies the frame's checksum.
    public func readPayload(into destination: UnsafeMutableRawBufferPointer) throws {
        guard let (header, _) = pending else { preconditionFailure("\(name): readPayload without nextHeader") }
        let index = recordCount + 1
        let count = header.payloadByteCount!
        precondition(destination.count == count, "\(name): payload buffer of \(destination.count) bytes, record needs \(count)")
        let got = try take(into: destination)
        guard got == count else { throw truncated(index, "payload of \(header.kind)", got, count) }
        try verifyPayload(UnsafeRawBufferPointer(destination))
    }

    /// Reads the pending payload into a new array that grows with the bytes that really arrive
    /// (1 MiB first, then doubling: at most twice what arrived, plus 1 MiB), so a frame
    /// whose length field claims 4 GiB costs memory for what the stream holds before it ends,
    /// not for the number it declares.
    private func readPayloadGrowing() throws -> [UInt8] {
        guard let (header, _) = pending else { preconditionFailure("\(name): readPayload without nextHeader") }
        let count = header.payloadByteCount!
        var payload: [UInt8] = []
        while payload.count < count {
            let filled = payload.count
            let step = min(count - filled, max(filled, 1 << 20))
            payload += [UInt8](repeating: 0, count: step)   // a memset, fast in debug builds too
            let got = try payload.withUnsafeMutableBytes { try take(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            guard got == step else { throw truncated(recordCount + 1, "payload of \(header.kind)", filled + got, count) }
        }
        try payload.withUnsafeBytes { try verifyPayload($0) }
        return payload
    }

    /// Reads and checks the checksum after a complete payload; ends the stream after the end record.
    private func verifyPayload(_ payload: UnsafeRawBufferPointer) throws {
        guard let (header, headHash) = pending else { preconditionFailure("\(name): verifyPayload without nextHeader") }
        let index = recordCount + 1
        var stored: UInt64 = 0
        let gotSum = try withUnsafeMutableBytes(of: &stored) { try take(into: $0) }
        guard gotSum == 8 else { throw truncated(index, "checksum", gotSum, 8) }
        pending = nil
        guard UInt64(littleEndian: stored) == XXHash64.hash(payload, seed: headHash) else {
            throw RecordStreamError("\(name): record \(index) (\(header.kind)): checksum mismatch: the stream is corrupted")
        }
        if header.kind == RecordStreamFormat.endKind {
            ended = true
            if let declared = header.ids["records"], declared != recordCount {
                throw RecordStreamError("\(name): end record counts \(declared) records, \(recordCount) were read: the stream is corrupted")
            }
            var probe: UInt8 = 0
            if try withUnsafeMutableBytes(of: &probe, { try take(into: $0) }) != 0 {
                throw RecordStreamError("\(name): bytes after the end record: the stream is corrupted or two streams were concatenated")
            }
        } else {
            recordCount += 1
        }
    }

    /// Convenience: reads the next float32 record's header and payload.
    public func nextFloats(into values: inout [Float]) throws -> RecordHeader? {
        guard let header = try nextHeader() else { return nil }
        guard header.dtype == .float32 else {
            throw RecordStreamError("\(name): record \(recordCount + 1) (\(header.kind)): expected float32, found \(header.dtype.rawValue)")
        }
        let count = header.payloadByteCount! / 4
        if values.count == count {
            try values.withUnsafeMutableBytes { try readPayload(into: $0) }
        } else {
            // A new size is trusted only as far as the stream really holds it.
            try Record(header: header, payload: readPayloadGrowing()).copyFloats(into: &values)
        }
        return header
    }

    private func truncated(_ index: Int, _ part: String, _ got: Int, _ expected: Int) -> RecordStreamError {
        RecordStreamError("\(name): stream truncated inside record \(index) (\(part): \(got) of \(expected) bytes): the writing stage stopped early or the file is cut")
    }

    /// Copies up to `destination.count` bytes from the buffer and the descriptor; fewer only at
    /// end of input. Large requests bypass the buffer.
    private func take(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        let want = destination.count
        while done < want {
            if start < end {
                let n = min(end - start, want - done)
                UnsafeMutableRawBufferPointer(rebasing: destination[done..<(done + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
                start += n
                done += n
                continue
            }
            if want - done >= min(RecordStreamFormat.directTransferBytes, buffer.count) {
                let n = try FileDescriptorIO.readFull(fd, UnsafeMutableRawBufferPointer(rebasing: destination[done...]), name: name)
                done += n
                return done
            }
            start = 0
            end = try FileDescriptorIO.readSome(fd, buffer, name: name)
            if end == 0 { return done }
        }
        return done
    }
}
