// Positioned reads (pread) from a file whose size is known up front, so every reader can check
// an offset and a length against the real file before it allocates or reads anything.
import FileIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file read at explicit offsets; closed when released.
public final class RandomAccessFile: Sendable {
    /// The path, as given (used in error messages).
    public let path: String
    /// The file size in bytes at open time.
    public let size: Int
    private let descriptor: Int32

    /// Opens `path` for reading (never blocking: a FIFO or device is refused before any read).
    /// - Throws: `FormatError` when the file cannot be opened or is not a regular file.
    public init(path: String) throws {
        self.path = path
        do {
            (descriptor, size) = try openRegularFile(atPath: path)
        } catch let error as InputFileError {
            throw FormatError(file: path, error.reason)
        }
    }

    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset` into `buffer`.
    /// - Throws: `FormatError` naming `object` if the range lies outside the file or the read fails.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, object: String? = nil) throws {
        let count = buffer.count
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw FormatError(file: path, object: object,
                              "needs bytes \(offset)..<\(offset &+ count) but the file has \(size) (truncated?)")
        }
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError(file: path, object: object, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw FormatError(file: path, object: object, "file shrank while reading (at byte \(offset + done))")
            }
            done += n
        }
    }

    /// Reads exactly `count` bytes at `offset`.
    public func read(count: Int, at offset: Int, object: String? = nil) throws -> [UInt8] {
        guard count >= 0, offset >= 0, offset <= size, count <= size - offset else {
            throw FormatError(file: path, object: object,
                              "needs bytes \(offset)..<\(offset &+ count) but the file has \(size) (truncated?)")
        }
        if count == 0 { return [] }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset, object: object)
            initialized = count
        }
    }
}
