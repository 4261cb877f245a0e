// Bounds-checked little-endian reads from a byte array: every read either succeeds inside the
// array or throws, so parsers of foreign formats cannot run past their input.

/// A reading position over a byte array.
struct ByteCursor {
    let bytes: [UInt8]
    var position: Int
    /// Builds the error for a read past the end (the caller knows the file and object).
    let fail: (String) -> FormatError

    init(_ bytes: [UInt8], at position: Int = 0, fail: @escaping (String) -> FormatError) {
        self.bytes = bytes
        self.position = position
        self.fail = fail
    }

    var remaining: Int { bytes.count - position }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw fail("\(what): needs \(n) bytes at offset \(position), only \(remaining) left (truncated?)")
        }
    }

    mutating func u8(_ what: String = "byte") throws -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ what: String = "u16") throws -> UInt16 {
        try need(2, what)
        defer { position += 2 }
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    mutating func u32(_ what: String = "u32") throws -> UInt32 {
        try need(4, what)
        defer { position += 4 }
        return littleEndianInteger(bytes, at: position, count: 4)
    }

    mutating func u64(_ what: String = "u64") throws -> UInt64 {
        try need(8, what)
        defer { position += 8 }
        return littleEndianInteger(bytes, at: position, count: 8)
    }

    mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try need(n, what)
        defer { position += n }
        return bytes[position..<(position + n)]
    }
}

/// The unsigned little-endian integer of `count` bytes at `offset` (no bounds check).
@inline(__always)
func littleEndianInteger<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], at offset: Int, count: Int) -> T {
    var value: T = 0
    for i in 0..<count { value |= T(bytes[offset + i]) << (8 * i) }
    return value
}
