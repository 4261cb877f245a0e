// A bounded reader for the part of the MATLAB 5 MAT-file format that numeric datasets use (the
// SVHN cropped-digits release; scipy.io.savemat writes the same): a 128-byte header, then data
// elements, each an miMATRIX of a numeric class (real, not sparse) or an miCOMPRESSED (zlib)
// element holding one. Cells, structs, objects, sparse and complex arrays are refused by name.
// Every size read from the file is checked against what is left of it (or, inside a compressed
// element, against the inflate limit) before anything is allocated; no recursion.
// Reference: MathWorks, "MAT-File Format" (matfile_format.pdf), chapter 1.
import Compression

/// One numeric MATLAB array: its name, class, dimensions (column-major, MATLAB order) and values.
public struct MATArray: Sendable {
    public var name: String
    /// mxCLASS_ID (6 double, 7 single, 8 int8, 9 uint8, 10 int16, 11 uint16, 12 int32, 13 uint32, 14 int64, 15 uint64).
    public var classID: Int
    public var dimensions: [Int]
    /// The values when the class is uint8 and the data is stored as miUINT8 (image data).
    public var bytes: [UInt8]?
    /// The values of any other numeric array, as Double.
    public var values: [Double]?

    public var elementCount: Int { dimensions.reduce(1, *) }
    public static let classNames = [6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16",
                                    12: "int32", 13: "uint32", 14: "int64", 15: "uint64"]
    public var className: String { Self.classNames[classID] ?? "class \(classID)" }
}

public enum MATv5 {
    /// The largest decompressed element accepted (SVHN's train_32x32.mat X is 225 MB).
    public static let maxInflatedElement = 1 << 30
    static let miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6,
               miSINGLE = 7, miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14, miCOMPRESSED = 15

    /// Reads every top-level array of the file at `path`.
    public static func read(path: String) throws -> [String: MATArray] {
        try parse(try readBytes(path), label: path)
    }

    /// Parses a whole MAT v5 file held in `bytes`; `label` names it in errors.
    public static func parse(_ bytes: [UInt8], label: String) throws -> [String: MATArray] {
        func fail(_ m: String) -> DatasetError { DatasetError("\(label): \(m)") }
        guard bytes.count >= 128 else { throw fail("\(bytes.count) bytes, too short for a MAT-file (128-byte header)") }
        guard bytes[0..<6].elementsEqual(Array("MATLAB".utf8)) else {
            throw fail("not a MATLAB 5 MAT-file (the header does not start with 'MATLAB'); v7.3 (HDF5) and v4 files are not read")
        }
        let littleEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): littleEndian = true
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): littleEndian = false
        default: throw fail("bad endian indicator in the MAT-file header (expected 'IM' or 'MI')")
        }
        var arrays: [String: MATArray] = [:]
        var reader = ElementReader(bytes: bytes, start: 128, littleEndian: littleEndian, label: label)
        while let (type, range) = try reader.nextElement() {
            var array: MATArray?
            switch type {
            case miMATRIX:
                array = try parseMatrix(bytes, range, littleEndian: littleEndian, label: label)
            case miCOMPRESSED:
                let inflated: [UInt8]
                do {
                    inflated = try inflate(Array(bytes[range]), wrapping: .zlib, maxOutput: maxInflatedElement,
                                           label: "\(label): compressed element at byte \(range.lowerBound - 8)")
                } catch let e as InflateError { throw DatasetError(e.description) }
                var inner = ElementReader(bytes: inflated, start: 0, littleEndian: littleEndian, label: label + " (inflated element)")
                guard let (innerType, innerRange) = try inner.nextElement() else { continue }
                guard innerType == miMATRIX else { throw fail("a compressed element holds data type \(innerType), expected miMATRIX (14)") }
                array = try parseMatrix(inflated, innerRange, littleEndian: littleEndian, label: label)
            default:
                throw fail("top-level data element of type \(type) at byte \(range.lowerBound - 8), expected miMATRIX (14) or miCOMPRESSED (15)")
            }
            if let array {
                guard arrays[array.name] == nil else { throw fail("variable '\(array.name)' appears twice") }
                arrays[array.name] = array
            }
        }
        return arrays
    }

    /// Walks data elements: 8-byte tags (or 4-byte small-element tags) and 8-byte padding.
    struct ElementReader {
        let bytes: [UInt8]
        var position: Int
        /// Where the enclosing element (or the file) ends.
        let end: Int
        let littleEndian: Bool
        let label: String

        init(bytes: [UInt8], start: Int, end: Int? = nil, littleEndian: Bool, label: String) {
            self.bytes = bytes; self.position = start; self.end = end ?? bytes.count
            self.littleEndian = littleEndian; self.label = label
        }

        func u32(_ at: Int) -> UInt32 {
            let b = (0..<4).map { UInt32(bytes[at + $0]) }
            return littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }

        /// The next element's type and data range, or nil at the end.
        mutating func nextElement() throws -> (Int, Range<Int>)? {
            if position >= end { return nil }
            guard end - position >= 8 else {
                throw DatasetError("\(label): \(end - position) stray bytes at byte \(position), expected an 8-byte element tag")
            }
            let first = u32(position)
            if first >> 16 != 0 {
                // Small data element: size and type in one word, up to 4 bytes of data.
                let n = Int(first >> 16), type = Int(first & 0xFFFF)
                guard n <= 4 else { throw DatasetError("\(label): small data element of \(n) bytes at byte \(position), at most 4 allowed") }
                defer { position += 8 }
                return (type, (position + 4)..<(position + 4 + n))
            }
            let type = Int(first), n = Int(u32(position + 4))
            let start = position + 8
            guard n <= end - start else {
                throw DatasetError("\(label): data element at byte \(position) declares \(n) bytes, only \(end - start) remain (truncated file?)")
            }
            // Compressed elements are not padded; everything else is padded to 8 bytes.
            let padded = type == MATv5.miCOMPRESSED ? n : (n + 7) / 8 * 8
            position = min(start + padded, end)
            return (type, start..<(start + n))
        }
    }

    /// Bytes per element of a numeric data type.
    static func elementSize(_ type: Int) -> Int? {
        switch type {
        case miINT8, miUINT8: return 1
        case miINT16, miUINT16: return 2
        case miINT32, miUINT32, miSINGLE: return 4
        case miDOUBLE, miINT64, miUINT64: return 8
        default: return nil
        }
    }

    /// An miMATRIX's sub-elements: array flags, dimensions, name, real part.
    static func parseMatrix(_ bytes: [UInt8], _ range: Range<Int>, littleEndian: Bool, label: String) throws -> MATArray? {
        if range.isEmpty { return nil }   // an empty matrix element is allowed by the format
        var sub = ElementReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, littleEndian: littleEndian, label: label)
        func next(_ what: String) throws -> (Int, Range<Int>) {
            guard let e = try sub.nextElement() else { throw DatasetError("\(label): an array ends before its \(what)") }
            return e
        }
        let (flagsType, flagsRange) = try next("array flags")
        guard flagsType == miUINT32, flagsRange.count == 8 else { throw DatasetError("\(label): array flags are not 8 bytes of miUINT32") }
        let flags = sub.u32(flagsRange.lowerBound)
        let classID = Int(flags & 0xFF)
        let (dimType, dimRange) = try next("dimensions")
        guard dimType == miINT32, dimRange.count % 4 == 0, dimRange.count >= 8 else { throw DatasetError("\(label): array dimensions are not miINT32 with at least two entries") }
        var dims: [Int] = []
        var elements = 1
        for i in stride(from: dimRange.lowerBound, to: dimRange.upperBound, by: 4) {
            let d = Int(Int32(bitPattern: sub.u32(i)))
            guard d >= 0 else { throw DatasetError("\(label): negative array dimension \(d)") }
            dims.append(d)
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxInflatedElement else { throw DatasetError("\(label): array dimensions \(dims) are too large") }
            elements = product
        }
        let (nameType, nameRange) = try next("name")
        guard nameType == miINT8 || nameType == miUTF8 else { throw DatasetError("\(label): array name of data type \(nameType), expected miINT8") }
        let name = String(decoding: sub.bytes[nameRange], as: UTF8.self)
        guard MATArray.classNames[classID] != nil else {
            let kinds = [1: "cell array", 2: "struct", 3: "object", 4: "char array", 5: "sparse array"]
            throw DatasetError("\(label): variable '\(name)' is a \(kinds[classID] ?? "class \(classID) array"); only numeric arrays are read")
        }
        guard flags & 0x0800 == 0 else { throw DatasetError("\(label): variable '\(name)' is complex; only real arrays are read") }
        let (dataType, dataRange) = try next("real part")
        guard let size = elementSize(dataType) else { throw DatasetError("\(label): variable '\(name)' stores data type \(dataType), expected a numeric type") }
        guard dataRange.count == elements * size else {
            throw DatasetError("\(label): variable '\(name)' of dimensions \(dims) needs \(elements * size) bytes of data, holds \(dataRange.count)")
        }
        var array = MATArray(name: name, classID: classID, dimensions: dims)
        let data = sub.bytes[dataRange]
        if classID == 9 && dataType == miUINT8 {
            array.bytes = Array(data)
        } else {
            // MATLAB may store a double array in a smaller integer type ("type compression").
            var values = [Double](); values.reserveCapacity(elements)
            let base = data.startIndex
            for i in 0..<elements {
                let o = base + i * size
                var raw: UInt64 = 0
                for k in 0..<size {
                    let b = UInt64(sub.bytes[o + (littleEndian ? k : size - 1 - k)])
                    raw |= b << (8 * UInt64(k))
                }
                let v: Double
                switch dataType {
                case miINT8: v = Double(Int8(truncatingIfNeeded: raw))
                case miUINT8: v = Double(UInt8(truncatingIfNeeded: raw))
                case miINT16: v = Double(Int16(truncatingIfNeeded: raw))
                case miUINT16: v = Double(UInt16(truncatingIfNeeded: raw))
                case miINT32: v = Double(Int32(truncatingIfNeeded: raw))
                case miUINT32: v = Double(UInt32(truncatingIfNeeded: raw))
                case miSINGLE: v = Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
                case miINT64: v = Double(Int64(bitPattern: raw))
                case miUINT64: v = Double(raw)
                default: v = Double(bitPattern: raw)
                }
                values.append(v)
            }
            array.values = values
        }
        return array
    }

    static let miUTF8 = 16
}
