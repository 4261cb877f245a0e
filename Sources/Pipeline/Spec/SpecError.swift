// Errors about a spec, lock or manifest: the file, the JSON path inside it, and what was expected,
// e.g. `quickstart.json: stages[3].params.lr: expected a number, found a string`.

/// A problem in a JSON document, located by file and JSON path.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    /// `stages[3].params.lr`; empty for the whole document.
    public var path: String
    public var message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}

/// Several problems found together (validation reports all it finds, not only the first).
public struct SpecErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [SpecError]
    public init(_ errors: [SpecError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// JSON path helpers: `stages[3].params.lr`.
enum JSONPath {
    static func member(_ base: String, _ key: String) -> String {
        let simple = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        let part = simple ? key : "[\"\(key)\"]"
        if base.isEmpty { return simple ? key : part }
        return simple ? "\(base).\(key)" : "\(base)\(part)"
    }
    static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
}
