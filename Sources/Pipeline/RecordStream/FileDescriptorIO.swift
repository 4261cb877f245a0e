// Whole-buffer reads and writes on file descriptors, retrying short transfers and EINTR.
import FileIO
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

enum FileDescriptorIO {
    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        let failure = FileIO.writeAll(fd, bytes)
        if failure == EPIPE { throw RecordStreamError("\(name): the reading end of the pipe was closed (the next stage stopped early)") }
        if failure != 0 { throw RecordStreamError("\(name): write failed: \(String(cString: strerror(failure)))") }
    }

    /// Reads up to `buffer.count` bytes, returning fewer only at end of input.
    static func readFull(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, name: String) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw RecordStreamError("\(name): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads at most `buffer.count` bytes with one successful read (0 only at end of input).
    static func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, name: String) throws -> Int {
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw RecordStreamError("\(name): read failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// Asks Linux for a larger pipe buffer (best effort; fewer wake-ups between processes).
    static func enlargePipe(_ fd: Int32, bytes: Int32 = 1 << 20) {
        #if os(Linux)
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
        _ = fcntl(fd, setPipeSize, bytes)
        #endif
    }
}
