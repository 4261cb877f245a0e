// zlib through CZlib: raw deflate (ZIP method 8) with a known output size, and CRC-32.
import CZlib

enum Inflate {
    /// Inflates raw deflate data that must produce exactly `expectedSize` bytes.
    static func raw(_ input: [UInt8], expectedSize: Int, fail: (String) -> FormatError) throws -> [UInt8] {
        var stream = z_stream()
        guard hz_inflateInit2(&stream, -15) == Z_OK else { throw fail("zlib inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        // One spare byte lets zlib reveal data beyond the declared size instead of stopping at it.
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        var status: Int32 = Z_OK
        var produced = 0
        var consumed = 0
        let slice = 1 << 30  // zlib counts in 32-bit units
        try input.withUnsafeBufferPointer { inBuffer in
            try output.withUnsafeMutableBufferPointer { outBuffer in
                while status != Z_STREAM_END {
                    if stream.avail_in == 0 && consumed < inBuffer.count {
                        let n = min(slice, inBuffer.count - consumed)
                        stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress! + consumed)
                        stream.avail_in = uInt(n)
                        consumed += n
                    }
                    let room = min(slice, outBuffer.count - produced)
                    guard room > 0 else { throw fail("deflated data is larger than the declared \(expectedSize) bytes") }
                    stream.next_out = outBuffer.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                    if status == Z_BUF_ERROR && stream.avail_in == 0 && consumed == inBuffer.count {
                        throw fail("deflated data ends early (truncated?)")
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw fail("corrupt deflate data (zlib status \(status))")
                    }
                }
            }
        }
        guard produced == expectedSize else {
            throw fail("deflated data gives \(produced) bytes, expected \(expectedSize)")
        }
        output.removeLast()
        return output
    }

    /// CRC-32 (the ZIP polynomial) of `bytes`.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return UInt32(crc32_z(0, base, buffer.count))
        }
    }
}
