// A validator for the subset of JSON Schema draft 2020-12 that hyperzoo's own schemas use
// (no Swift package on this machine validates 2020-12; research notes §5). Supported keywords:
// type, enum, const, properties, required, additionalProperties, patternProperties, propertyNames,
// items, minItems, maxItems, uniqueItems, minLength, pattern, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, minProperties, $ref (to "#/$defs/..."), $defs, allOf, anyOf, oneOf, not, if/then/else.
// Annotations ($schema, $id, $comment, title, description, default, examples, format, deprecated)
// are ignored. A schema using any other keyword is rejected when loaded, so no rule is ever
// silently skipped. Errors carry JSON paths: `stages[3].params.lr: expected a number, found a string`.
import Foundation
import ZooStore

/// A compiled schema document that validates JSON values.
public struct JSONSchemaValidator: Sendable {
    public let root: JSONValue
    private let name: String

    private static let assertions: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
        "propertyNames", "items", "minItems", "maxItems", "uniqueItems", "minLength", "pattern", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum", "minProperties", "$ref", "$defs", "allOf", "anyOf",
        "oneOf", "not", "if", "then", "else",
    ]
    private static let annotations: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "format", "deprecated",
        "markdownDescription",
    ]

    /// Loads a schema; throws when it uses a keyword this validator does not implement.
    public init(schema: JSONValue, name: String) throws {
        root = schema
        self.name = name
        try JSONSchemaValidator.checkKeywords(schema, at: "", in: name)
    }

    /// Parses the schema text (for schemas embedded in the binary).
    public init(text: String, name: String) throws {
        try self.init(schema: try JSONValue.parse(Data(text.utf8), source: name), name: name)
    }

    /// Every violation, as (JSON path, message) pairs; empty when `value` is valid.
    public func validate(_ value: JSONValue) -> [(path: String, message: String)] {
        var errors: [(String, String)] = []
        check(value, against: root, at: "", into: &errors)
        return errors
    }

    /// Throws `SpecErrors` naming `file` when `value` is invalid.
    public func require(_ value: JSONValue, file: String) throws {
        let errors = validate(value)
        if !errors.isEmpty {
            throw SpecErrors(errors.map { SpecError(file: file, path: $0.path, message: $0.message) })
        }
    }

    // MARK: - Keyword checks

    private static func checkKeywords(_ schema: JSONValue, at path: String, in name: String) throws {
        guard case .object(let members) = schema else {
            if case .bool = schema { return }
            throw SpecError(file: name, path: path, message: "a schema must be an object or a boolean")
        }
        for (key, sub) in members {
            guard assertions.contains(key) || annotations.contains(key) else {
                throw SpecError(file: name, path: path, message: "keyword '\(key)' is not implemented by hyperzoo's schema validator")
            }
            switch key {
            case "properties", "patternProperties", "$defs":
                for (k, s) in sub.objectValue ?? [:] { try checkKeywords(s, at: "\(path)/\(key)/\(k)", in: name) }
            case "allOf", "anyOf", "oneOf":
                for (i, s) in (sub.arrayValue ?? []).enumerated() { try checkKeywords(s, at: "\(path)/\(key)/\(i)", in: name) }
            case "additionalProperties", "items", "not", "if", "then", "else", "propertyNames":
                try checkKeywords(sub, at: "\(path)/\(key)", in: name)
            default: break
            }
        }
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = node[String(part)] else { return nil }
            node = next
        }
        return node
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, into errors: inout [(String, String)]) {
        if case .bool(let allowed) = schema {
            if !allowed { errors.append((path, "not allowed here")) }
            return
        }
        guard case .object(let s) = schema else { return }
        if let reference = s["$ref"]?.stringValue {
            if let target = resolve(reference) {
                check(value, against: target, at: path, into: &errors)
            } else {
                errors.append((path, "schema reference \(reference) not found"))
            }
        }
        if let type = s["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if !allowed.contains(where: { matches(value, type: $0) }) {
                errors.append((path, "expected \(allowed.map(Self.article).joined(separator: " or ")), found \(value.typeDescription)"))
                return  // further keywords would only repeat the type mismatch
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            errors.append((path, "expected one of \(options.map(\.canonical).joined(separator: ", ")), found \(value.canonical)"))
        }
        if let constant = s["const"], constant != value {
            errors.append((path, "expected \(constant.canonical), found \(value.canonical)"))
        }
        switch value {
        case .object(let members): checkObject(members, s, at: path, into: &errors)
        case .array(let items): checkArray(items, s, at: path, into: &errors)
        case .string(let text): checkString(text, s, at: path, into: &errors)
        case .number(let n): checkNumber(n, s, at: path, into: &errors)
        default: break
        }
        checkCombinators(value, s, at: path, into: &errors)
    }

    /// The errors `value` has against `schema` alone (for a branch of anyOf, oneOf, not, if).
    private func errors(of value: JSONValue, against schema: JSONValue, at path: String) -> [(String, String)] {
        var e: [(String, String)] = []
        check(value, against: schema, at: path, into: &e)
        return e
    }

    /// allOf, anyOf, oneOf, not and if/then/else.
    private func checkCombinators(_ value: JSONValue, _ s: [String: JSONValue], at path: String, into errors: inout [(String, String)]) {
        for sub in s["allOf"]?.arrayValue ?? [] { check(value, against: sub, at: path, into: &errors) }
        if let branches = s["anyOf"]?.arrayValue {
            let results = branches.map { self.errors(of: value, against: $0, at: path) }
            if !results.contains(where: \.isEmpty) { errors += closest(results) }
        }
        if let branches = s["oneOf"]?.arrayValue {
            let results = branches.map { self.errors(of: value, against: $0, at: path) }
            let passing = results.filter(\.isEmpty).count
            if passing == 0 { errors += closest(results) }
            if passing > 1 { errors.append((path, "matches more than one of the allowed forms")) }
        }
        if let negated = s["not"], self.errors(of: value, against: negated, at: path).isEmpty {
            errors.append((path, "matches a form that is not allowed"))
        }
        if let condition = s["if"] {
            let e = self.errors(of: value, against: condition, at: path)
            if e.isEmpty, let then = s["then"] { check(value, against: then, at: path, into: &errors) }
            if !e.isEmpty, let otherwise = s["else"] { check(value, against: otherwise, at: path, into: &errors) }
        }
    }

    /// For a failed anyOf/oneOf: the branch that got furthest (deepest error path, then fewest errors).
    private func closest(_ results: [[(String, String)]]) -> [(String, String)] {
        results.min { a, b in
            let da = a.map { $0.0.count }.max() ?? 0, db = b.map { $0.0.count }.max() ?? 0
            return da != db ? da > db : a.count < b.count
        } ?? []
    }

    private func checkObject(_ members: [String: JSONValue], _ s: [String: JSONValue], at path: String, into errors: inout [(String, String)]) {
        let properties = s["properties"]?.objectValue ?? [:]
        let patterns = (s["patternProperties"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
        for key in (s["required"]?.arrayValue ?? []).compactMap(\.stringValue) where members[key] == nil {
            errors.append((path, "missing required member '\(key)'"))
        }
        if let minimum = s["minProperties"]?.intValue, members.count < minimum {
            errors.append((path, "expected at least \(minimum) member\(minimum == 1 ? "" : "s")"))
        }
        for key in members.keys.sorted() {
            let value = members[key]!
            let memberPath = JSONPath.member(path, key)
            if let names = s["propertyNames"] {
                var e: [(String, String)] = []
                check(.string(key), against: names, at: memberPath, into: &e)
                if !e.isEmpty { errors.append((memberPath, "invalid name: \(e[0].1)")) }
            }
            var matched = false
            if let sub = properties[key] { matched = true; check(value, against: sub, at: memberPath, into: &errors) }
            for (pattern, sub) in patterns where Self.search(pattern, in: key) {
                matched = true
                check(value, against: sub, at: memberPath, into: &errors)
            }
            if !matched, let extra = s["additionalProperties"] {
                if case .bool(false) = extra {
                    let known = properties.keys.sorted()
                    let hint = known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"
                    errors.append((memberPath, "unknown member '\(key)'\(hint)"))
                } else {
                    check(value, against: extra, at: memberPath, into: &errors)
                }
            }
        }
    }

    private func checkArray(_ items: [JSONValue], _ s: [String: JSONValue], at path: String, into errors: inout [(String, String)]) {
        if let minimum = s["minItems"]?.intValue, items.count < minimum {
            errors.append((path, "expected at least \(minimum) item\(minimum == 1 ? "" : "s"), found \(items.count)"))
        }
        if let maximum = s["maxItems"]?.intValue, items.count > maximum {
            errors.append((path, "expected at most \(maximum) items, found \(items.count)"))
        }
        if s["uniqueItems"]?.boolValue == true {
            for i in items.indices where items[..<i].contains(items[i]) {
                errors.append((JSONPath.index(path, i), "duplicate of an earlier item"))
            }
        }
        if let itemSchema = s["items"] {
            for (i, item) in items.enumerated() { check(item, against: itemSchema, at: JSONPath.index(path, i), into: &errors) }
        }
    }

    private func checkString(_ text: String, _ s: [String: JSONValue], at path: String, into errors: inout [(String, String)]) {
        if let minimum = s["minLength"]?.intValue, text.count < minimum {
            errors.append((path, minimum == 1 ? "must not be empty" : "expected at least \(minimum) characters"))
        }
        if let pattern = s["pattern"]?.stringValue, !Self.search(pattern, in: text) {
            errors.append((path, "\(JSONValue.string(text).canonical) does not match the pattern \(pattern)"))
        }
    }

    private func checkNumber(_ n: Double, _ s: [String: JSONValue], at path: String, into errors: inout [(String, String)]) {
        let text = JSONValue.number(n).canonical
        if let m = s["minimum"]?.doubleValue, n < m { errors.append((path, "expected ≥ \(JSONValue.number(m).canonical), found \(text)")) }
        if let m = s["maximum"]?.doubleValue, n > m { errors.append((path, "expected ≤ \(JSONValue.number(m).canonical), found \(text)")) }
        if let m = s["exclusiveMinimum"]?.doubleValue, n <= m { errors.append((path, "expected > \(JSONValue.number(m).canonical), found \(text)")) }
        if let m = s["exclusiveMaximum"]?.doubleValue, n >= m { errors.append((path, "expected < \(JSONValue.number(m).canonical), found \(text)")) }
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
             ("array", .array), ("object", .object): return true
        case ("integer", .number(let n)): return n.rounded() == n
        default: return false
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "integer": return "an integer"
        case "array": return "an array"
        case "object": return "an object"
        case "null": return "null"
        default: return "a \(type)"
        }
    }

    /// ECMA-262-style `pattern`: unanchored search.
    static func search(_ pattern: String, in text: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }
}
