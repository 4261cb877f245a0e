// ZooStoreError: one clear line naming the file, the object and what was expected.
import HDF5

/// An error about a zoo-family file.
///
/// `description` is one line: `zoo.h5:/architectures/cnn_s/weights: expected float32, found float64`.
public struct ZooStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The output exists and overwriting was not requested.
        case exists
        /// A file or an object inside it is missing.
        case notFound
        /// Not an HDF5 file, or truncated/corrupt.
        case notHDF5
        /// HDF5, but not a hyperzoo file of the expected format.
        case foreignFormat
        /// Written by a newer hyperzoo (`format_version` above what this build reads).
        case newerVersion
        /// Contents contradict the layout (lengths, types, shapes) or a bad argument.
        case invalid
        /// Underlying I/O failure.
        case io
    }

    public var kind: Kind
    public var path: String
    public var object: String
    public var message: String

    public init(_ kind: Kind, path: String, object: String = "", message: String) {
        self.kind = kind
        self.path = path
        self.object = object
        self.message = message
    }

    public var description: String {
        var location = path
        if !object.isEmpty { location += location.isEmpty ? object : ":" + object }
        return location.isEmpty ? message : "\(location): \(message)"
    }

    /// Translates a wrapper error into the zoo vocabulary, keeping its text.
    init(_ error: HDF5Error) {
        let kind: Kind = switch error.kind {
        case .notFound: .notFound
        case .alreadyExists: .exists
        case .invalidFile: .notHDF5
        case .typeMismatch, .invalidArgument: .invalid
        case .closed, .io: .io
        }
        var message = error.message
        if let reason = error.systemReason {
            message += ": \(reason)" + (reason.contains("No space") ? " (free some space, or write the output elsewhere)" : "")
        } else if let root = error.hdf5Message, !root.isEmpty {
            message += " (HDF5: \(root))"
        }
        self.init(kind, path: error.file, object: error.object, message: message)
    }
}

/// Runs `body`, translating `HDF5Error` into `ZooStoreError`.
@inline(__always)
func zoo<R>(_ body: () throws -> R) throws -> R {
    do { return try body() } catch let error as HDF5Error { throw ZooStoreError(error) }
}
