// Object: what every group and dataset has (h5py's HLObject): its file, its path, attributes.
import CHDF5

/// Shared by every object of one open file: the file identifier and its path.
final class FileState: Sendable {
    let handle: Handle
    let path: String
    let readOnly: Bool
    /// Set once a write to this file failed (disk full, I/O error).
    let health: WriteHealth

    init(fileID: hid_t, path: String, readOnly: Bool) {
        health = WriteHealth()
        handle = Handle(fileID, kind: .file, health: health)
        self.path = path
        self.readOnly = readOnly
    }
}

/// Whether a file's writes have failed. libhdf5 (1.10) can dereference NULL when a dataset or
/// file is closed after a failed write (H5D_close flushing its chunk cache into a full disk), so
/// after the first failure the file's identifiers are no longer closed: they are left to the
/// end of the process, which is about to report the error anyway.
// unchecked because: its one var, `storedFailed`, is read and written only holding HDF5Library's lock.
final class WriteHealth: @unchecked Sendable {
    private var storedFailed = false

    var failed: Bool {
        get { HDF5Library.withLock { storedFailed } }
        set { HDF5Library.withLock { storedFailed = newValue } }
    }
}

/// A named object in an HDF5 file (a group or a dataset).
///
/// Objects keep their file open; closing the `File` closes every object of it (h5py semantics),
/// after which using them throws `HDF5Error.Kind.closed`. Objects may be shared between threads:
/// every libhdf5 call of this module holds `HDF5Library`'s lock.
// unchecked because: a non-final class cannot be checked; its stored properties are lets of Sendable types.
public class Object: @unchecked Sendable {
    let state: FileState
    let handle: Handle
    /// The absolute path inside the file, e.g. `/architectures/cnn_s/weights`.
    public let name: String

    /// Takes ownership of `id`, an open group or dataset of the file behind `state`.
    init(state: FileState, id: hid_t, name: String) {
        self.state = state
        handle = Handle(id, kind: .object, health: state.health)
        self.name = name
    }

    /// The path of the file on disk.
    public var filePath: String { state.path }

    /// Whether the object is still open.
    public var isOpen: Bool { handle.isOpen }

    /// The object's attributes (h5py `attrs`).
    public var attributes: Attributes { Attributes(owner: self) }

    /// The absolute path of a child `path` of this object.
    func childName(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return name == "/" ? "/" + path : name + "/" + path
    }

    /// An error about this object (or a child path of it).
    func error(_ kind: HDF5Error.Kind, _ message: String, path: String? = nil) -> HDF5Error {
        HDF5Error(kind, file: state.path, object: path.map(childName) ?? name, message: message)
    }

    /// Captures HDF5's error stack for a failed call on this object.
    func captured(_ kind: HDF5Error.Kind, _ message: String, path: String? = nil) -> HDF5Error {
        let error = HDF5Error.capture(kind, file: state.path, object: path.map(childName) ?? name, message: message)
        if error.kind == .io, !state.readOnly { state.health.failed = true }
        return error
    }

    /// The open identifier, or a `closed` error.
    func openID() throws -> hid_t {
        try HDF5Library.withLock {
            let id = handle.id
            guard id >= 0, H5Iis_valid(id) > 0 else {
                throw error(.closed, "the object (or its file) is closed")
            }
            return id
        }
    }

    func requireWritable() throws {
        if state.readOnly { throw error(.io, "the file is open read-only (open it with mode .readWrite)") }
    }
}
