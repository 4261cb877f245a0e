#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
// Decompression of DEFLATE data (gzip files, zlib streams, raw deflate as in zip/npz entries)
// through the system zlib. Bounded: the caller states the most output it accepts, so a hostile
// or corrupt input can never exhaust memory.
import CZlib

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
    public init(_ description: String) { self.description = description }
}

/// Decompresses `input`; throws if the data is corrupt, truncated, or would exceed `maxOutput`
/// bytes. `label` (e.g. a file name) starts every error message.
public func inflate(_ input: [UInt8], wrapping: DeflateWrapping, maxOutput: Int = 1 << 31,
                    label: String = "data") throws -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(min(maxOutput, max(input.count * 4, 1024)))
    var strm = z_stream()
    guard hz_inflateInit2(&strm, wrapping.windowBits) == Z_OK else {
        throw InflateError("\(label): zlib could not start inflating")
    }
    defer { inflateEnd(&strm) }
    let chunk = 1 << 16
    var buffer = [UInt8](repeating: 0, count: chunk)
    try input.withUnsafeBufferPointer { inp in
        strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
        strm.avail_in = UInt32(inp.count)
        while true {
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { buf in
                strm.next_out = buf.baseAddress
                strm.avail_out = UInt32(chunk)
                return CZlib.inflate(&strm, Z_NO_FLUSH)
            }
            let produced = chunk - Int(strm.avail_out)
            if out.count + produced > maxOutput {
                throw InflateError("\(label): decompressed size exceeds the limit of \(maxOutput) bytes")
            }
            out.append(contentsOf: buffer[0..<produced])
            switch status {
            case Z_STREAM_END:
                // gzip files may hold several members back to back; decode them all.
                if wrapping == .gzip && strm.avail_in > 0 {
                    guard inflateReset(&strm) == Z_OK else { throw InflateError("\(label): zlib reset failed") }
                    continue
                }
                return
            case Z_OK:
                if strm.avail_in == 0 && produced == 0 {
                    throw InflateError("\(label): compressed data is truncated")
                }
            case Z_BUF_ERROR:
                if strm.avail_in == 0 { throw InflateError("\(label): compressed data is truncated") }
            default:
                let why = strm.msg.map { String(cString: $0) } ?? "error \(status)"
                throw InflateError("\(label): corrupt compressed data (\(why))")
            }
        }
    }
    return out
}

/// Reads and decompresses a gzip file; throws naming the path if it is missing or corrupt.
public func gunzipFile(atPath path: String, maxOutput: Int = 1 << 31) throws -> [UInt8] {
    try inflate(readFileBytes(atPath: path), wrapping: .gzip, maxOutput: maxOutput, label: path)
}

/// The bytes of a file, or an error naming it.
public func readFileBytes(atPath path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw InflateError("\(path): cannot open (\(String(cString: strerror(errno))))") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
        if n < buffer.count {
            if ferror(f) != 0 { throw InflateError("\(path): read error") }
            break
        }
    }
    return bytes
}
