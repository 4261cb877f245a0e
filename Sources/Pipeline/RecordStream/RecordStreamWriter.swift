// Writes a record stream to a file descriptor through one large buffer. Big payloads bypass
// the buffer and go straight to write(2); a full pipe blocks the writer, which is the
// backpressure between stages.
import FileIO
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Writes records to a pipe, stdout or a file (schemas/record-stream.md).
public final class RecordStreamWriter {
    /// Name used in error messages (a path or `stdout`).
    public let name: String
    /// Records written so far (the end record excluded).
    public private(set) var recordCount = 0
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var finished = false
    /// A file output: written under FileIO's temporary name, fsynced and renamed by `finish()`,
    /// removed if the writer is dropped unfinished (it owns and closes the descriptor).
    private let file: AtomicFile?

    /// A writer on an open descriptor (not closed by the writer). Writes the stream's magic.
    /// - Parameter bufferSize: bytes collected before each write(2) (default 1 MiB).
    public init(fileDescriptor: Int32, name: String = "stdout", bufferSize: Int = 1 << 20) throws {
        self.fd = fileDescriptor
        self.name = name
        self.buffer = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
        self.file = nil
        FileDescriptorIO.enlargePipe(fileDescriptor)
        try writeMagic()
    }

    /// A writer to `path` (`-` = stdout). A file is written under a temporary name beside it
    /// (FileIO's `AtomicFile`) and renamed into place by `finish()`, so an interrupted run never
    /// leaves a stream that looks complete, and an existing file stays until the new one is.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.buffer = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
        if path == "-" {
            self.fd = STDOUT_FILENO
            self.name = "stdout"
            self.file = nil
            FileDescriptorIO.enlargePipe(STDOUT_FILENO)
        } else {
            let file: AtomicFile
            do { file = try AtomicFile(path: path) } catch let error as OutputFileError {
                buffer.deallocate()
                throw RecordStreamError(error.description)
            }
            self.fd = file.descriptor
            self.name = path
            self.file = file
        }
        try writeMagic()
    }

    deinit {
        buffer.deallocate()
        file?.discard()  // nothing once finished; an unfinished file's temporary goes
    }

    private func writeMagic() throws {
        var head = RecordStreamFormat.magic
        withUnsafeBytes(of: RecordStreamFormat.majorVersion.littleEndian) { head += $0 }
        withUnsafeBytes(of: RecordStreamFormat.minorVersion.littleEndian) { head += $0 }
        try head.withUnsafeBytes { try append($0) }
    }

    /// Writes one record.
    public func write(_ record: Record) throws {
        try record.payload.withUnsafeBytes { try write(header: record.header, payload: $0) }
    }

    /// Writes one float32 record without building a `Record`.
    public func write(kind: String, ids: [String: Int] = [:], labels: [String: String] = [:], shape: [Int],
                      floats: UnsafeBufferPointer<Float>) throws {
        try write(header: RecordHeader(kind: kind, ids: ids, labels: labels, shape: shape, dtype: .float32),
                  payload: UnsafeRawBufferPointer(floats))
    }

    /// Writes one record from a header and raw payload bytes.
    /// - Throws: `RecordStreamError` if the payload size does not match the header, or on I/O failure.
    public func write(header: RecordHeader, payload: UnsafeRawBufferPointer) throws {
        precondition(!finished, "\(name): write after finish()")
        guard header.payloadByteCount == payload.count else {
            throw RecordStreamError("\(name): record \(recordCount + 1) (\(header.kind)): payload of \(payload.count) bytes, header shape \(header.shape) \(header.dtype.rawValue) needs \(header.payloadByteCount ?? -1)")
        }
        let json = RecordStreamFormat.encode(header)
        var head = [UInt8]()
        head.reserveCapacity(12 + json.count)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { head += $0 }
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { head += $0 }
        head += json
        let headHash = head.withUnsafeBytes { XXHash64.hash($0) }
        let checksum = XXHash64.hash(payload, seed: headHash)
        try head.withUnsafeBytes { try append($0) }
        try append(payload)
        try withUnsafeBytes(of: checksum.littleEndian) { try append($0) }
        if header.kind != RecordStreamFormat.endKind { recordCount += 1 }
    }

    /// Writes the end record, flushes, and (for files) renames the stream into place.
    public func finish() throws {
        guard !finished else { return }
        try write(header: RecordHeader(kind: RecordStreamFormat.endKind, ids: ["records": recordCount], shape: [0], dtype: .uint8),
                  payload: UnsafeRawBufferPointer(start: nil, count: 0))
        try flush()
        if let file {
            do { try file.commit() } catch let error as OutputFileError { throw RecordStreamError(error.description) }
        }
        finished = true
    }

    /// Sends buffered bytes to the descriptor.
    public func flush() throws {
        guard used > 0 else { return }
        try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<used]), name: name)
        used = 0
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count >= min(RecordStreamFormat.directTransferBytes, buffer.count) {
            try flush()
            try FileDescriptorIO.writeAll(fd, bytes, name: name)  // large payload: no copy
            return
        }
        if used + bytes.count > buffer.count { try flush() }
        guard bytes.count > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + bytes.count)]).copyMemory(from: bytes)
        used += bytes.count
    }
}
