// One error type for every foreign-format reader and writer: it names the file, the object
// inside it (a ZIP entry, a tensor, a pickle offset) and what was expected, in one line.

/// A malformed, hostile, truncated or unsupported input, or a failed write.
///
/// `description` is one line: `file:object: message`, e.g.
/// `model.pt:archive/data.pkl: GLOBAL posix.system is not allowed`.
public struct FormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file being read or written.
    public var file: String
    /// The object inside the file (entry, tensor name, pickle offset), if any.
    public var object: String?
    /// What went wrong and, where known, what was expected.
    public var message: String

    public init(file: String, object: String? = nil, _ message: String) {
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String {
        if let object { return "\(file):\(object): \(message)" }
        return "\(file): \(message)"
    }
}
