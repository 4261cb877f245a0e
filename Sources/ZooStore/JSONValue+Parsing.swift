// Reading JSON text into a JSONValue. A small recursive-descent parser rather than Foundation's
// decoder, for three reasons: its errors give the line and column (Foundation's say only "not
// valid JSON"); a number beyond a double is named with its key (`1e400` is "not valid JSON" in Foundation,
// with no location), while `1e+308` is a valid number; and a duplicated key is an error, not a
// silent last-one-wins.
import FileIO
import Foundation

extension JSONValue {
    /// Arrays and objects nested deeper than this are refused (the recursion stays bounded).
    public static let maxNestingDepth = 512

    /// Parses JSON text.
    /// - Throws: `ZooStoreError` (kind `invalid`) naming `source`, then the line and column or the
    ///   key of the problem.
    public init(parsing text: String, source: String = "") throws {
        self = try Self.parse(Array(text.utf8), source: source)
    }

    /// Parses JSON bytes (UTF-8, an optional byte-order mark); errors name `source`.
    public static func parse(_ data: Data, source: String) throws -> JSONValue {
        try parse(Array(data), source: source)
    }

    /// Parses JSON bytes (UTF-8, an optional byte-order mark); errors name `source`.
    public static func parse(_ bytes: [UInt8], source: String) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, source: source)
        return try parser.document()
    }

    /// Reads and parses the JSON file at `path`: a regular file of at most `maxConfigFileBytes`,
    /// opened without blocking (a FIFO or a device is refused, not waited on).
    /// - Throws: `ZooStoreError` (`io` when the file cannot be read, `invalid` for its text).
    public static func read(path: String) throws -> JSONValue {
        let bytes: [UInt8]
        do { bytes = try readRegularFile(atPath: path, limit: maxConfigFileBytes) } catch let error as InputFileError {
            throw ZooStoreError(.io, path: path, message: "cannot read file: \(error.reason)")
        }
        return try parse(bytes, source: path)
    }
}

/// One pass over the bytes of a document.
private struct JSONParser {
    let bytes: [UInt8]
    let source: String
    var index = 0

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws -> JSONValue {
        skipWhitespace()
        let value = try value(path: "", depth: 0)
        skipWhitespace()
        if index < bytes.count { throw syntax("unexpected text after the JSON value") }
        return value
    }

    // MARK: - Values

    private mutating func value(path: String, depth: Int) throws -> JSONValue {
        guard index < bytes.count else { throw syntax("unexpected end of text, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): return try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number(path: path))
        default: throw syntax("expected a value, found \(found())")
        }
    }

    private mutating func object(path: String, depth: Int) throws -> JSONValue {
        if depth > JSONValue.maxNestingDepth { throw syntax("nested deeper than \(JSONValue.maxNestingDepth) levels") }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(members) }
        while true {
            guard peek(UInt8(ascii: "\"")) else { throw syntax("expected a key (a string) or '}', found \(found())") }
            let keyStart = index
            let key = try string()
            let memberPath = JSONPath.member(path, key)
            if members[key] != nil { throw problem(at: memberPath, "the key appears twice in one object", offset: keyStart) }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw syntax("expected ':' after a key, found \(found())") }
            index += 1
            skipWhitespace()
            members[key] = try value(path: memberPath, depth: depth)
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; skipWhitespace(); continue }
            if peek(UInt8(ascii: "}")) { index += 1; return .object(members) }
            throw syntax("expected ',' or '}' in an object, found \(found())")
        }
    }

    private mutating func array(path: String, depth: Int) throws -> JSONValue {
        if depth > JSONValue.maxNestingDepth { throw syntax("nested deeper than \(JSONValue.maxNestingDepth) levels") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
        while true {
            items.append(try value(path: JSONPath.index(path, items.count), depth: depth))
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; skipWhitespace(); continue }
            if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
            throw syntax("expected ',' or ']' in an array, found \(found())")
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes[index...].starts(with: expected) else { throw syntax("expected a value, found \(found())") }
        index += expected.count
    }

    /// A number per RFC 8259; refused, by its key, when no Double holds it.
    private mutating func number(path: String) throws -> Double {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        if peek(UInt8(ascii: "0")) {
            index += 1
        } else if digitsFollow() {
            skipDigits()
        } else {
            throw syntax("expected a digit in a number, found \(found())")
        }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard digitsFollow() else { throw syntax("expected a digit after '.', found \(found())") }
            skipDigits()
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard digitsFollow() else { throw syntax("expected a digit in the exponent, found \(found())") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw problem(at: path, "\(text) is beyond the range of a double (about ±1.8e308)", offset: start)
        }
        // An integer beyond Int64 is kept as the nearest double, as Foundation reads it: reports
        // hold UInt64 seeds. It is no `intValue`, so an integer param refuses it by its key.
        return value
    }

    private mutating func string() throws -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw syntax("unterminated string", offset: start) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: utf8, as: UTF8.self) else { throw syntax("the string is not valid UTF-8", offset: start) }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw syntax("unterminated string", offset: start) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: String(try unicodeEscape()).utf8)
                default: throw syntax("unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string", offset: index - 2)
                }
            case 0..<0x20:
                throw syntax("a control character (0x\(String(byte, radix: 16))) in a string must be escaped")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    /// The scalar of `\uXXXX` (index just after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws -> Character {
        let escapeStart = index - 2
        let high = try hex4()
        var code = UInt32(high)
        if (0xD800..<0xDC00).contains(high) {
            guard bytes[index...].starts(with: Array("\\u".utf8)) else { throw syntax("a lone surrogate \\u\(String(high, radix: 16)) in a string", offset: escapeStart) }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw syntax("a lone surrogate \\u\(String(high, radix: 16)) in a string", offset: escapeStart) }
            code = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw syntax("a lone surrogate \\u\(String(high, radix: 16)) in a string", offset: escapeStart) }
        return Character(scalar)
    }

    private mutating func hex4() throws -> UInt16 {
        guard index + 4 <= bytes.count, let v = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
              bytes[index..<index + 4].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else {
            throw syntax("expected four hex digits after \\u")
        }
        index += 4
        return v
    }

    // MARK: - Bytes

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }
    private func digitsFollow() -> Bool { index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) }
    private mutating func skipDigits() { while digitsFollow() { index += 1 } }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func found() -> String {
        guard index < bytes.count else { return "the end of the text" }
        let byte = bytes[index]
        return (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    // MARK: - Errors

    private func location(_ offset: Int) -> String {
        var line = 1, column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return "line \(line), column \(column)"
    }

    private func syntax(_ message: String, offset: Int? = nil) -> ZooStoreError {
        ZooStoreError(.invalid, path: source, message: "not valid JSON: \(location(offset ?? index)): \(message)")
    }

    private func problem(at path: String, _ message: String, offset: Int) -> ZooStoreError {
        let place = path.isEmpty ? location(offset) : "at '\(path)' (\(location(offset)))"
        return ZooStoreError(.invalid, path: source, message: "\(place): \(message)")
    }
}

/// Paths into a JSON document as messages write them: `stages[3].params.lr`, `vars["a b"]`.
public enum JSONPath {
    /// `base.key`, or `base["key"]` when the key is not a plain name.
    public static func member(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        if plain { return base.isEmpty ? key : base + "." + key }
        return base + "[" + JSONText.quote(key) + "]"
    }

    /// `base[i]`.
    public static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
}
