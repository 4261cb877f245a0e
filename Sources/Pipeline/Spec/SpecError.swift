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
