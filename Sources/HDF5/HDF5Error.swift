// HDF5Error: HDF5's error stack turned into one typed Swift error.
//
// HDF5 reports failure as a negative return value and leaves details on a per-thread error
// stack that the next API call clears. `HDF5Error.capture` must therefore run immediately after
// the failing call, still inside the lock. The library never prints anything itself.
import CHDF5

/// An error from the HDF5 library or from this wrapper's own checks.
///
/// One line: `file:/object: what failed (HDF5: root cause)`.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure, for callers that branch on it (h5py's exception classes).
    public enum Kind: String, Sendable, Equatable {
        /// A file, group, dataset or attribute does not exist (h5py: KeyError / FileNotFoundError).
        case notFound
        /// A file or object of that name already exists (h5py: ValueError / FileExistsError).
        case alreadyExists
        /// Element type, shape or value kind does not match what was asked (h5py: TypeError).
        case typeMismatch
        /// The file is not HDF5, or is truncated or corrupt.
        case invalidFile
        /// A selection or argument outside the object's extent (h5py: IndexError/ValueError).
        case invalidArgument
        /// The object or file was closed already.
        case closed
        /// Any other I/O failure (h5py: OSError).
        case io
    }

    public var kind: Kind
    /// The file the failing operation concerns ("" if none).
    public var file: String
    /// The object path inside the file ("/" for the root, "" if none).
    public var object: String
    /// What the wrapper was doing, e.g. "cannot open dataset".
    public var message: String
    /// HDF5's own root-cause message (deepest entry of its error stack), if HDF5 reported one.
    public var hdf5Message: String?

    public init(_ kind: Kind, file: String, object: String, message: String, hdf5Message: String? = nil) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
        self.hdf5Message = hdf5Message
    }

    /// The operating system's reason when HDF5 failed on a system call (`No space left on
    /// device`, `Read-only file system`, `Permission denied`): HDF5 buries it in its error stack
    /// as `errno = 28, error message = '…'`; this is the one phrase a user needs.
    public var systemReason: String? {
        guard let text = hdf5Message, let start = text.range(of: "error message = '") else { return nil }
        guard let end = text[start.upperBound...].firstIndex(of: "'") else { return nil }
        let reason = String(text[start.upperBound..<end])
        return reason.isEmpty ? nil : reason
    }

    public var description: String {
        var where_ = file
        if !object.isEmpty { where_ += where_.isEmpty ? object : ":" + object }
        var line = where_.isEmpty ? message : "\(where_): \(message)"
        if let systemReason { line += ": \(systemReason)" } else if let hdf5Message, !hdf5Message.isEmpty { line += " (HDF5: \(hdf5Message))" }
        return line
    }

    /// Builds an error from HDF5's current error stack (and clears it). Call right after the
    /// failing C call, inside `HDF5Library.withLock`.
    static func capture(_ fallback: Kind, file: String, object: String, message: String) -> HDF5Error {
        let entries = ErrorStackEntry.current()
        var kind = fallback
        for entry in entries {
            if let mapped = ErrorStackEntry.kind(ofMinor: entry.minor) {
                kind = mapped
                break
            }
        }
        let root = entries.last.map { entry -> String in
            entry.minorMessage.isEmpty || entry.description.contains(entry.minorMessage)
                ? entry.description : "\(entry.description): \(entry.minorMessage)"
        }
        return HDF5Error(kind, file: file, object: object, message: message, hdf5Message: root)
    }
}

/// One entry of HDF5's error stack.
struct ErrorStackEntry {
    var major: hid_t
    var minor: hid_t
    var function: String
    var description: String
    var minorMessage: String

    /// Walks the current thread's error stack from the API call down to the root cause.
    static func current() -> [ErrorStackEntry] {
        let stack = H5Eget_current_stack()
        guard stack >= 0 else { return [] }
        defer { H5Eclose_stack(stack) }
        final class Box { var entries: [ErrorStackEntry] = [] }
        let box = Box()
        let walker: H5E_walk2_t = { _, error, context in
            guard let error, let context else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
            let e = error.pointee
            box.entries.append(ErrorStackEntry(
                major: e.maj_num, minor: e.min_num,
                function: e.func_name.map { String(cString: $0) } ?? "",
                description: e.desc.map { String(cString: $0) } ?? "",
                minorMessage: ErrorStackEntry.message(of: e.min_num)))
            return 0
        }
        _ = H5Ewalk2(stack, H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(box).toOpaque())
        return box.entries
    }

    static func message(of code: hid_t) -> String {
        var type = H5E_MINOR
        var buffer = [CChar](repeating: 0, count: 256)
        let n = H5Eget_msg(code, &type, &buffer, buffer.count)
        guard n > 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Maps HDF5 minor error codes to kinds, as h5py's `_errors` module does.
    static func kind(ofMinor minor: hid_t) -> HDF5Error.Kind? {
        switch minor {
        case H5E_NOTFOUND_g: return .notFound
        case H5E_EXISTS_g, H5E_ALREADYEXISTS_g, H5E_FILEEXISTS_g: return .alreadyExists
        case H5E_NOTHDF5_g, H5E_TRUNCATED_g, H5E_BADFILE_g, H5E_READERROR_g, H5E_BADMESG_g: return .invalidFile
        case H5E_CANTCONVERT_g, H5E_BADTYPE_g: return .typeMismatch
        case H5E_BADRANGE_g, H5E_BADSELECT_g, H5E_OVERFLOW_g: return .invalidArgument
        case H5E_BADATOM_g: return .closed
        default: return nil
        }
    }
}
