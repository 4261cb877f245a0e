#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
// Decompression of DEFLATE data (gzip files, zlib streams, raw deflate as in zip/npz entries)
// through the system zlib, and the CRC-32 of zip entries: the package's one way into zlib.
// Bounded: the caller states the most output it accepts (or the exact size a zip directory
// declares), so a hostile or corrupt input can never exhaust memory.
import CZlib
import FileIO

/// How the DEFLATE data is wrapped.
public enum DeflateWrapping: Sendable {
    /// A gzip member (RFC 1952), e.g. a `.gz` file; concatenated members are all decoded.
    case gzip
    /// A zlib stream (RFC 1950).
    case zlib
    /// Bare DEFLATE (RFC 1951), as inside zip and .npz entries.
    case raw

    var windowBits: Int32 {
        switch self {
        case .gzip: return 15 + 16
        case .zlib: return 15
        case .raw: return -15
        }
    }
}

/// A decompression failure, with what was being read.
public struct InflateError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// What went wrong, without the label (for callers that name the input their own way).
    public var reason: String
    public init(_ description: String) { self.description = description; self.reason = description }
    init(label: String, _ reason: String) { self.description = "\(label): \(reason)"; self.reason = reason }
}

/// Decompresses `input`; throws if the data is corrupt, truncated, or would exceed `maxOutput`
/// bytes. `label` (e.g. a file name) starts every error message.
public func inflate(_ input: [UInt8], wrapping: DeflateWrapping, maxOutput: Int = 1 << 31,
                    label: String = "data") throws -> [UInt8] {
    try inflate(input, wrapping: wrapping, limit: maxOutput, mode: .atMost, label: label)
}

/// Decompresses `input` that must give exactly `expectedSize` bytes, as a zip or .npz entry
/// whose directory declares its size. The declared size is only a limit: the output grows with
/// what really comes out, so a directory that lies costs nothing.
public func inflate(_ input: [UInt8], wrapping: DeflateWrapping, expectedSize: Int, label: String = "data") throws -> [UInt8] {
    try inflate(input, wrapping: wrapping, limit: expectedSize, mode: .exactly, label: label)
}

/// The first `count` bytes of the decompressed `input` (fewer if it is shorter): enough to read a
/// header (an IDX file's dimensions) and decide the limit before inflating the rest.
public func inflatePrefix(_ input: [UInt8], wrapping: DeflateWrapping, count: Int, label: String = "data") throws -> [UInt8] {
    try inflate(input, wrapping: wrapping, limit: count, mode: .prefix, label: label)
}

/// What `limit` means to the zlib loop.
private enum InflateMode { case atMost, exactly, prefix }

/// CRC-32 (the ZIP and gzip polynomial) of `bytes`.
public func crc32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return 0 }
        return UInt32(crc32_z(0, base, buffer.count))
    }
}

/// The one zlib loop: feeds the input and offers output room in slices of at most 1 GiB (zlib
/// counts in 32 bits), inflating straight into the result. The result grows by doubling up to
/// `limit` + 1 bytes; the spare byte lets zlib reveal data beyond the limit instead of stopping
/// at it. `.exactly` must come out at `limit`; `.prefix` stops once it has `limit` bytes.
private func inflate(_ input: [UInt8], wrapping: DeflateWrapping, limit: Int, mode: InflateMode, label: String) throws -> [UInt8] {
    let exact = mode == .exactly
    precondition(limit >= 0 && limit < Int.max / 2, "inflate limit \(limit)")
    func failure(_ reason: String) -> InflateError { InflateError(label: label, reason) }
    var strm = z_stream()
    guard hz_inflateInit2(&strm, wrapping.windowBits) == Z_OK else { throw failure("zlib could not start inflating") }
    defer { inflateEnd(&strm) }
    let slice = 1 << 30
    let tooLarge = exact ? "deflated data is larger than the declared \(limit) bytes" : "decompressed size exceeds the limit of \(limit) bytes"
    var output = [UInt8](repeating: 0, count: min(limit + 1, max(input.count * 4, 1024)))
    var produced = 0, consumed = 0
    return try input.withUnsafeBufferPointer { inp in
        while true {
            if strm.avail_in == 0 && consumed < input.count {
                let n = min(slice, input.count - consumed)
                strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + consumed)
                strm.avail_in = UInt32(n)
                consumed += n
            }
            if produced == output.count {
                guard output.count <= limit else { throw failure(tooLarge) }
                output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
            }
            let room = min(slice, output.count - produced)
            let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                strm.next_out = out.baseAddress! + produced
                strm.avail_out = UInt32(room)
                return CZlib.inflate(&strm, Z_NO_FLUSH)
            }
            let step = room - Int(strm.avail_out)
            produced += step
            if mode == .prefix && produced >= limit {
                output.removeLast(output.count - limit)
                return output
            }
            switch status {
            case Z_STREAM_END:
                // gzip files may hold several members back to back; decode them all.
                if wrapping == .gzip && (strm.avail_in > 0 || consumed < input.count) {
                    guard inflateReset(&strm) == Z_OK else { throw failure("zlib reset failed") }
                    continue
                }
                guard produced <= limit else { throw failure(tooLarge) }
                if exact && produced != limit { throw failure("deflated data gives \(produced) bytes, expected \(limit)") }
                output.removeLast(output.count - produced)
                return output
            case Z_OK, Z_BUF_ERROR:
                // No progress with all input given: the data stops before its end.
                if strm.avail_in == 0 && consumed == input.count && step == 0 { throw failure("compressed data is truncated") }
            default:
                let why = strm.msg.map { String(cString: $0) } ?? "error \(status)"
                throw failure("corrupt compressed data (\(why))")
            }
        }
    }
}

/// Reads and decompresses a gzip file; throws naming the path if it is missing or corrupt.
public func gunzipFile(atPath path: String, maxOutput: Int = 1 << 31) throws -> [UInt8] {
    try inflate(readFileBytes(atPath: path), wrapping: .gzip, maxOutput: maxOutput, label: path)
}

/// The bytes of a file, or an error naming it (a FIFO or device is refused, never waited on).
public func readFileBytes(atPath path: String) throws -> [UInt8] {
    do { return try readRegularFile(atPath: path, limit: Int.max) } catch let error as InputFileError { throw InflateError(error.description) }
}
