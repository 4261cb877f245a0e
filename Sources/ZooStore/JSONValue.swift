// JSONValue: the one JSON value of hyperzoo (zoo configs, hyperparameters, provenance, pipeline
// specs, locks, cache records, manifests). Its text is canonical, so the same value always gives
// the same bytes and the pipeline can hash it for cache keys:
// - object keys sorted by their UTF-8 bytes (what Foundation's `.sortedKeys` does on Linux);
// - integral numbers with |n| < 2^63 (the Int64 range) as plain digits, `-0` as `0`; other finite
//   numbers in Swift's shortest round-trip form (`2.5`, `1e+20`, `1e+308`); a non-finite number,
//   which no JSON text can hold, as `null`;
// - strings escaped by `JSONText.quote` (the escaper of every hand-written JSON text).
// Parsing (JSONValue+Parsing.swift) refuses what this text could not give back: integers beyond
// Int64, numbers beyond Double, duplicate keys.
import Foundation

/// Any JSON value.
public enum JSONValue: Codable, Sendable, Hashable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }

    /// Converts any Encodable value (e.g. a config struct) to a JSONValue.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes this value as `T`.
    public func decode<T: Decodable>(as _: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(canonical.utf8))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            if let i = Self.exactInteger(d) { try c.encode(i) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    // MARK: - Accessors

    /// Member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var doubleValue: Double? { if case .number(let d) = self { d } else { nil } }
    /// The number as an `Int` when it is integral and within Int64: exactly the numbers the text
    /// writes as plain digits, so a value accepted as an integer reaches a command line as one.
    public var intValue: Int? {
        if case .number(let d) = self, let i = Self.exactInteger(d) { return Int(i) }
        return nil
    }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }

    /// The JSON type name used in messages ("a number", "an object", ...).
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// `d` as an Int64 when it is integral and in range (-2^63 ..< 2^63 holds every such Double).
    static func exactInteger(_ d: Double) -> Int64? {
        guard d.isFinite, d.rounded() == d, d >= -0x1p63, d < 0x1p63 else { return nil }
        return Int64(d)
    }

    // MARK: - Canonical text

    /// Compact JSON (no insignificant whitespace): the form hashed for cache keys and stored in
    /// zoo attributes.
    public var canonical: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// The canonical text (the name zoo-side callers use).
    public var jsonText: String { canonical }

    public var description: String { canonical }

    /// The canonical text indented by two spaces, `": "` after keys, with a final newline: the
    /// form written to lock files, records and manifests.
    public var pretty: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out + "\n"
    }

    /// How a scalar appears on a command line (strings bare, numbers canonical).
    public var commandLineText: String {
        if case .string(let s) = self { return s }
        return canonical
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += Self.numberText(n)
        case .string(let s): JSONText.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                Self.newline(&out, indent, level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent, level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out += "," }
                Self.newline(&out, indent, level + 1)
                JSONText.quote(key, into: &out)
                out += indent == nil ? ":" : ": "
                members[key]!.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent, level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    private static func numberText(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if let i = exactInteger(n) { return String(i) }
        return "\(n)"
    }
}
