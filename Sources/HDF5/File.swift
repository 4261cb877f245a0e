// File: an open HDF5 file, which is also its root group (h5py `File`).
import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open a file; the same meanings as h5py's mode letters.
public enum FileMode: String, Sendable {
    /// `r`: read only; the file must exist.
    case readOnly = "r"
    /// `r+`: read and write; the file must exist.
    case readWrite = "r+"
    /// `w`: create, truncating any existing file.
    case create = "w"
    /// `w-` / `x`: create, failing if the file exists.
    case createExclusive = "w-"
}

/// An open HDF5 file; it is the root group `/`.
///
/// New files are written with the HDF5 1.8+ object format (libver bounds v18…latest), so large
/// attributes (over 64 KiB) are stored densely and h5py ≥ 2 and HDF5 ≥ 1.8 read them.
/// `close()` closes every object of the file; dropping the last reference closes it too.
// unchecked because: a subclass of Object (see there); its one added property is a let.
public final class File: Group, @unchecked Sendable {
    /// The mode the file was opened with.
    public let mode: FileMode

    /// Opens or creates `path`.
    /// - Throws: `HDF5Error` (`notFound` for a missing file in `r`/`r+`, `alreadyExists` in `w-`,
    ///   `invalidFile` for a file that is not HDF5 or is truncated/corrupt).
    public init(path: String, mode: FileMode = .readOnly) throws {
        self.mode = mode
        let id: hid_t = try HDF5Library.withLock {
            let fapl = H5Pcreate(hz_H5P_FILE_ACCESS())
            return try withTemporary(fapl, .propertyList) { fapl in
                // Strong close: closing the file closes all its objects (h5py semantics).
                H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
                H5Pset_libver_bounds(fapl, hz_H5F_LIBVER_V18(), hz_H5F_LIBVER_LATEST())
                switch mode {
                case .readOnly, .readWrite:
                    guard fileExists(path) else {
                        throw HDF5Error(.notFound, file: path, object: "", message: "no such file")
                    }
                    try requireRegularFile(path)
                    let flags = mode == .readOnly ? hz_H5F_ACC_RDONLY() : hz_H5F_ACC_RDWR()
                    let status = H5Fis_hdf5(path)
                    if status == 0 {
                        _ = H5Eclear2(hz_H5E_DEFAULT())
                        throw HDF5Error(.invalidFile, file: path, object: "", message: "not an HDF5 file (no HDF5 signature)")
                    }
                    let id = H5Fopen(path, flags, fapl)
                    if id < 0 {
                        var error = HDF5Error.capture(.invalidFile, file: path, object: "",
                                                      message: "cannot open HDF5 file (truncated or corrupt?)")
                        if isLockedByAnotherProcess(path, exclusive: mode == .readWrite) {
                            // libhdf5 says "unable to lock file, errno = 11": a writer (a stage
                            // still running, or left running by an interrupted run) holds it.
                            error = HDF5Error(.io, file: path, object: "",
                                              message: "is open in another process that is writing it (HDF5 file lock); wait for that process or stop it (fuser \(path) names it)")
                        }
                        throw error
                    }
                    return id
                case .create, .createExclusive:
                    if mode == .createExclusive, fileExists(path) {
                        throw HDF5Error(.alreadyExists, file: path, object: "", message: "file exists (mode w- never overwrites)")
                    }
                    if fileExists(path) { try requireRegularFile(path) }
                    let flags = mode == .create ? hz_H5F_ACC_TRUNC() : hz_H5F_ACC_EXCL()
                    let fcpl = H5Pcreate(hz_H5P_FILE_CREATE())
                    return try withTemporary(fcpl, .propertyList) { fcpl in
                        // Track creation order so h5py can list links and attributes in
                        // the order we wrote them (track_order=True).
                        H5Pset_link_creation_order(fcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
                        H5Pset_attr_creation_order(fcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
                        // No modification times in object headers: the same content gives the
                        // same bytes, so a rerun's file equals the first (content digests, caches).
                        H5Pset_obj_track_times(fcpl, false)
                        let id = H5Fcreate(path, flags, fcpl, fapl)
                        if id < 0 {
                            throw HDF5Error.capture(.io, file: path, object: "", message: "cannot create HDF5 file")
                        }
                        return id
                    }
                }
            }
        }
        HDF5Library.withLock { markDescriptorCloseOnExec(id) }
        let state = FileState(fileID: id, path: path, readOnly: mode == .readOnly)
        let root: hid_t = HDF5Library.withLock { H5Gopen2(id, "/", hid_t(hz_H5P_DEFAULT())) }
        super.init(state: state, id: root, name: "/")
    }

    /// Writes buffered data and metadata to disk.
    public func flush() throws {
        try HDF5Library.withLock {
            let id = try openID()
            if H5Fflush(id, H5F_SCOPE_LOCAL) < 0 { throw captured(.io, "cannot flush file") }
        }
    }

    /// Closes the file and every object still open in it. Idempotent.
    public func close() {
        HDF5Library.withLock {
            handle.close()
            state.handle.close()
        }
    }

    /// Closes the file like `close()`, but reports a failed close: libhdf5 writes cached
    /// metadata and chunks in H5Fclose, so on a full disk the close is where the data is lost.
    /// Writers call this (after `flush()`) before committing an output.
    /// - Throws: `HDF5Error` (`.io`) when libhdf5 could not write the file out.
    public func closeReportingErrors() throws {
        try HDF5Library.withLock {
            handle.close()
            guard state.handle.id >= 0 else { return }
            if state.health.failed {
                state.handle.close()
                throw HDF5Error(.io, file: state.path, object: "", message: "an earlier write failed; the file is incomplete")
            }
            let status = state.handle.closeReturningStatus()
            if status < 0 {
                state.health.failed = true  // the other objects' handles are not closed again
                throw HDF5Error.capture(.io, file: state.path, object: "", message: "cannot write the file out on close")
            }
        }
    }

    /// Number of objects (including the file itself) still open in this file.
    public var openObjectCount: Int {
        HDF5Library.withLock {
            let id = state.handle.id
            guard id >= 0, H5Iis_valid(id) > 0 else { return 0 }
            return Int(H5Fget_obj_count(id, hz_H5F_OBJ_ALL()))
        }
    }

    public override var description: String {
        isOpen ? "<HDF5 file \"\(state.path)\" (mode \(mode.rawValue))>" : "<Closed HDF5 file>"
    }
}

/// Sets FD_CLOEXEC on the descriptor libhdf5 opened for `id` (its sec2 driver opens without
/// O_CLOEXEC). Otherwise every child process started meanwhile (tests run stages in parallel,
/// the pipeline runner starts stages) inherits the descriptor and with it the file's flock, so
/// the file stays "open in another process" after we closed it. Call inside `withLock`.
func markDescriptorCloseOnExec(_ id: hid_t) {
    var handle: UnsafeMutableRawPointer?
    guard H5Fget_vfd_handle(id, hid_t(hz_H5P_DEFAULT()), &handle) >= 0, let handle else {
        _ = H5Eclear2(hz_H5E_DEFAULT())
        return  // a driver without a descriptor (core): nothing to inherit
    }
    let fd = handle.load(as: Int32.self)
    let flags = fcntl(fd, F_GETFD)
    if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// Whether another open file description holds a conflicting `flock` on `path` (libhdf5 locks
/// every file it opens: shared to read, exclusive to write). The probe lock is released at once.
func isLockedByAnotherProcess(_ path: String, exclusive: Bool) -> Bool {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 { return false }
    return errno == EWOULDBLOCK
}

/// Refuses a path that is not a regular file before libhdf5 opens it: H5Fis_hdf5 and H5Fopen
/// open() the path, which blocks forever on a FIFO with no writer, and a device or socket is
/// never an HDF5 file. stat() itself never blocks.
func requireRegularFile(_ path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { return }
    let kind: String
    switch info.st_mode & S_IFMT {
    case S_IFREG: return
    case S_IFDIR: kind = "a folder"
    case S_IFIFO: kind = "a FIFO (named pipe)"
    case S_IFCHR: kind = "a character device"
    case S_IFBLK: kind = "a block device"
    case S_IFSOCK: kind = "a socket"
    default: kind = "not a regular file"
    }
    throw HDF5Error(.invalidFile, file: path, object: "",
                    message: "is \(kind), expected a regular HDF5 file (write it to disk first)")
}
