// NumPy .npy files: read any simple numeric dtype (either byte order, C or Fortran order) into a
// HostTensor; write float32 arrays. Object arrays are pickles and are refused.
// Format: "\x93NUMPY", major, minor, header length (u16 for 1.x, u32 for 2.x/3.x), a Python dict
// literal {'descr': '<f4', 'fortran_order': False, 'shape': (16, 2464), }, then the raw data.
import FileIO
import ZooStore

/// Reading and writing NumPy `.npy` arrays.
public enum NumpyArray {
    /// Largest header accepted (numpy itself caps headers at 10 KB by default).
    static let maximumHeaderBytes = 1 << 20

    /// Reads the array in `path`.
    /// - Throws: `FormatError` for a bad magic, an unsupported dtype, or data shorter than the shape needs.
    public static func read(path: String) throws -> HostTensor {
        let file = try RandomAccessFile(path: path)
        let prefixCount = min(file.size, 12)
        let prefix = try file.read(count: prefixCount, at: 0)
        let (headerStart, headerCount) = try headerPosition(prefix, file: path, object: nil)
        let header = try file.read(count: headerCount, at: headerStart)
        let layout = try parseHeader(header, file: path, object: nil)
        let dataStart = headerStart + headerCount
        let data = try file.read(count: min(layout.byteCount, file.size - dataStart), at: dataStart)
        return try layout.tensor(from: data[...], file: path, object: nil)
    }

    /// Parses an in-memory `.npy` (an `.npz` member called `object` inside `file`).
    static func parse(_ bytes: [UInt8], file: String, object: String) throws -> HostTensor {
        let (headerStart, headerCount) = try headerPosition(Array(bytes.prefix(12)), file: file, object: object)
        guard headerStart + headerCount <= bytes.count else {
            throw FormatError(file: file, object: object, "header runs past the end of the array")
        }
        let layout = try parseHeader(Array(bytes[headerStart..<(headerStart + headerCount)]), file: file, object: object)
        return try layout.tensor(from: bytes[(headerStart + headerCount)...], file: file, object: object)
    }

    /// Writes `values` as a little-endian float32 array of `shape` to `path` (atomically).
    public static func writeFloat32(_ values: [Float], shape: [Int], to path: String) throws {
        guard values.count == shape.reduce(1, *) else {
            throw FormatError(file: path, "\(values.count) values do not fill shape \(shape)")
        }
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        // Pad so the data starts on a 64-byte boundary, as numpy does; the header ends in '\n'.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = header.utf8.count
        bytes += [UInt8(n & 0xFF), UInt8(n >> 8)]
        bytes += Array(header.utf8)
        values.withUnsafeBytes { bytes += $0 }
        try writeFileAtomically(bytes, to: path)
    }

    // MARK: header

    struct Layout {
        var dtype: DType
        var bigEndian: Bool
        var fortranOrder: Bool
        var shape: [Int]
        var byteCount: Int

        func tensor(from data: ArraySlice<UInt8>, file: String, object: String?) throws -> HostTensor {
            guard data.count >= byteCount else {
                throw FormatError(file: file, object: object, "data has \(data.count) bytes, shape \(shape) of \(dtype.rawValue) needs \(byteCount) (truncated?)")
            }
            var bytes = Array(data.prefix(byteCount))
            if fortranOrder && shape.count > 1 {
                // Column-major: the first axis varies fastest.
                var strides = [Int](repeating: 1, count: shape.count)
                for axis in 1..<shape.count { strides[axis] = strides[axis - 1] * shape[axis - 1] }
                let count = shape.reduce(1, *)
                bytes = try bytes.withUnsafeBytes { raw in
                    do {
                        return try StridedGather.gather(storage: raw, storageCount: count, itemSize: dtype.size,
                                                        offset: 0, shape: shape, strides: strides)
                    } catch let failure as GatherFailure {
                        throw FormatError(file: file, object: object, failure.message)
                    }
                }
            }
            if bigEndian { StridedGather.swapBytes(&bytes, itemSize: dtype.size) }
            return try HostTensor(dtype: dtype, shape: shape, bytes: bytes)
        }
    }

    static func headerPosition(_ prefix: [UInt8], file: String, object: String?) throws -> (start: Int, count: Int) {
        guard prefix.count >= 10, prefix[0] == 0x93, Array(prefix[1..<6]) == Array("NUMPY".utf8) else {
            throw FormatError(file: file, object: object, "not a .npy array (magic \\x93NUMPY missing)")
        }
        switch prefix[6] {
        case 1:
            return (10, Int(prefix[8]) | Int(prefix[9]) << 8)
        case 2, 3:
            guard prefix.count >= 12 else { throw FormatError(file: file, object: object, "truncated .npy header") }
            let n = Int(littleEndianInteger(prefix, at: 8, count: 4) as UInt32)
            guard n <= maximumHeaderBytes else { throw FormatError(file: file, object: object, "header of \(n) bytes is too large") }
            return (12, n)
        default:
            throw FormatError(file: file, object: object, ".npy format version \(prefix[6]) is not supported (1, 2, 3 are)")
        }
    }

    static func parseHeader(_ header: [UInt8], file: String, object: String?) throws -> Layout {
        func bad(_ message: String) -> FormatError { FormatError(file: file, object: object, "header: \(message)") }
        let text = String(decoding: header, as: UTF8.self)
        var literal = PythonLiteral(text)
        guard case .dict(let entries)? = try? literal.parse() else { throw bad("not a Python dict literal: \(text.prefix(80))") }
        guard case .string(let descr)? = entries["descr"] else {
            throw bad("'descr' must be a simple dtype string (structured arrays are not supported)")
        }
        guard case .bool(let fortran)? = entries["fortran_order"] else { throw bad("'fortran_order' missing") }
        guard case .tuple(let dims)? = entries["shape"], dims.allSatisfy({ $0 >= 0 }) else { throw bad("'shape' missing or negative") }
        let chars = Array(descr)
        guard chars.count >= 3, let size = Int(String(chars[2...])) else { throw bad("dtype '\(descr)' not understood") }
        let order = chars[0], kind = chars[1]
        let dtype: DType? = switch (kind, size) {
        case ("f", 2): .float16
        case ("f", 4): .float32
        case ("f", 8): .float64
        case ("i", 1): .int8
        case ("i", 2): .int16
        case ("i", 4): .int32
        case ("i", 8): .int64
        case ("u", 1): .uint8
        case ("u", 2): .uint16
        case ("u", 4): .uint32
        case ("u", 8): .uint64
        case ("b", 1): .bool
        default: nil
        }
        guard let dtype else {
            throw bad(kind == "O" ? "object arrays are pickles and are refused" : "dtype '\(descr)' is not supported")
        }
        guard let count = checkedElementCount(dims) else { throw bad("shape \(dims) is absurdly large") }
        let (bytes, overflow2) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow2 else { throw bad("shape \(dims) is absurdly large") }
        return Layout(dtype: dtype, bigEndian: order == ">", fortranOrder: fortran, shape: dims, byteCount: bytes)
    }
}

/// The few Python literals a .npy header uses: one dict of str keys to str, bool, int or a tuple
/// of ints. Exactly that grammar, read in one pass without recursion: a header nesting
/// parentheses or braces (even 100,000 deep) is simply not this grammar and fails at its first
/// nested opening.
struct PythonLiteral {
    enum Value { case string(String), bool(Bool), int(Int), tuple([Int]), dict([String: Value]) }
    struct Failure: Error {}
    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    private mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else { throw Failure() }
        i += 1
    }

    /// Skips one optional comma; true if the next character then is `close`.
    private mutating func closes(_ close: Character) -> Bool {
        skipSpace()
        if i < chars.count, chars[i] == "," { i += 1; skipSpace() }
        if i < chars.count, chars[i] == close { i += 1; return true }
        return false
    }

    /// The header: `{ key: value, ... }`.
    mutating func parse() throws -> Value {
        try expect("{")
        var out: [String: Value] = [:]
        skipSpace()
        if i < chars.count, chars[i] == "}" { i += 1; return .dict(out) }
        while true {
            skipSpace()
            guard case .string(let key) = try scalar() else { throw Failure() }
            try expect(":")
            skipSpace()
            out[key] = i < chars.count && chars[i] == "(" ? try intTuple() : try scalar()
            if closes("}") { return .dict(out) }
        }
    }

    /// `(int, int, ...)`: only integers inside, so a nested `(` fails.
    private mutating func intTuple() throws -> Value {
        try expect("(")
        var out: [Int] = []
        skipSpace()
        if i < chars.count, chars[i] == ")" { i += 1; return .tuple(out) }
        while true {
            guard case .int(let n) = try scalar() else { throw Failure() }
            guard out.count < HostTensor.maximumRank else { throw Failure() }
            out.append(n)
            if closes(")") { return .tuple(out) }
        }
    }

    /// A quoted string, True/False or an integer.
    private mutating func scalar() throws -> Value {
        skipSpace()
        guard i < chars.count else { throw Failure() }
        switch chars[i] {
        case "'", "\"":
            let quote = chars[i]
            i += 1
            let start = i
            while i < chars.count, chars[i] != quote { i += 1 }
            guard i < chars.count else { throw Failure() }
            defer { i += 1 }
            return .string(String(chars[start..<i]))
        default:
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" { i += 1 }
            let word = String(chars[start..<i])
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            // Python 2 headers may write longs as 3L.
            if let n = Int(word.hasSuffix("L") ? String(word.dropLast()) : word) { return .int(n) }
            throw Failure()
        }
    }
}
