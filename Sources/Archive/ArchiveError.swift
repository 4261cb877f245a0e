// One error type for the Archive target: which file, which entry, what was expected.
import CArchive

/// An archive failure: the archive (or file) path, the entry inside it when known, and one sentence.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var entry: String?
    public var message: String

    public init(path: String, entry: String? = nil, message: String) {
        self.path = path
        self.entry = entry
        self.message = message
    }

    /// `pop.tar.zst:models/m0.safetensors: checksum mismatch ...`
    public var description: String {
        if let entry { return "\(path):\(entry): \(message)" }
        return "\(path): \(message)"
    }

    /// Wraps libarchive's own error string for handle `a`.
    static func library(_ a: OpaquePointer?, path: String, entry: String? = nil, doing: String) -> ArchiveError {
        let detail = a.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown libarchive error"
        return ArchiveError(path: path, entry: entry, message: "\(doing): \(detail)")
    }
}
