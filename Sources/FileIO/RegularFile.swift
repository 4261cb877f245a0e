#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
// The one way readers open an input file: without blocking, and only if it is a regular file.
// open() on a FIFO with no writer blocks forever, and a device or socket is never a dataset or a
// checkpoint, so the descriptor is opened O_NONBLOCK (which never waits), checked with fstat,
// and only then switched back to blocking reads. FileIO is the bottom room every file reader
// and writer shares (ZooStore, Formats, Nets, Archive, Pipeline, the commands).

/// An input that cannot be opened, or is not a regular file; `description` is one line.
public struct InputFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// What a path's file type is called in error messages.
func fileTypeName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: "a folder"
    case S_IFIFO: "a FIFO (named pipe)"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "not a regular file"
    }
}

/// Opens `path` read-only after proving, without blocking, that it is a regular file.
/// - Returns: the descriptor (close it) and the file's size in bytes.
public func openRegularFile(atPath path: String) throws -> (descriptor: Int32, size: Int) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
        throw InputFileError(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        let why = String(cString: strerror(errno))
        close(fd)
        throw InputFileError(path: path, reason: "cannot stat: \(why)")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        close(fd)
        throw InputFileError(path: path, reason: "is \(fileTypeName(info.st_mode)), expected a regular file")
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return (fd, Int(info.st_size))
}

/// The whole content of the regular file at `path`, refused without blocking if it is a FIFO,
/// device or folder, and refused before reading if it is larger than `limit` bytes. Memory is
/// bounded by the limit even if the file grows while it is read.
public func readRegularFile(atPath path: String, limit: Int) throws -> [UInt8] {
    let opened = try openRegularFile(atPath: path)
    defer { close(opened.descriptor) }
    guard opened.size <= limit else {
        throw InputFileError(path: path, reason: "is \(opened.size) bytes, larger than the \(limit) bytes allowed for this kind of file")
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(opened.size)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(opened.descriptor, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw InputFileError(path: path, reason: "read error (\(String(cString: strerror(errno))))")
        }
        if n == 0 { break }
        guard bytes.count + n <= limit else {
            throw InputFileError(path: path, reason: "grew past the \(limit) bytes allowed while it was read")
        }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}

/// The largest JSON configuration or spec file any stage reads (specs are kilobytes).
public let maxConfigFileBytes = 64 << 20

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Returns 0, or the errno of
/// the write that failed (callers word the error: a full disk, a closed pipe).
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += n
    }
    return 0
}
