#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
// The one streamed atomic write of a whole file: the bytes go to a temporary beside the final
// name (same folder, so the rename is atomic), are fsynced, the temporary is renamed into place
// and the folder is fsynced so the new name survives a crash. Until `commit()` nothing exists
// under the final name; any failure, or dropping the writer, removes the temporary it made and
// leaves an existing file at the final path as it was. Plain POSIX calls, so a failure carries
// the system's reason ("No space left on device"), not a paraphrase of it.
// The resumable fixed-name `<path>.partial` of the HDF5 outputs (ZooStore.AtomicOutput) is a
// different contract: a later run resumes that file, so it is neither random nor removed.

/// An output that cannot be written; `description` is one line naming the final path.
public struct OutputFileError: Error, CustomStringConvertible, Sendable {
    /// The final path of the output.
    public var path: String
    /// What failed, with the system's reason.
    public var reason: String
    public var description: String { "\(path): \(reason)" }
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// A file being written under a temporary name (`claimTemporaryPath`) until `commit()` moves it
/// into place. One owner writes it; it is not shared between threads.
public final class AtomicFile {
    /// Where the finished file goes.
    public let path: String
    /// Where it is written meanwhile.
    public let temporaryPath: String
    /// The temporary's descriptor, for a C library that writes to it itself (libarchive); it
    /// stays owned by this object, which closes it.
    public let descriptor: Int32
    private var pending = true

    /// Creates the temporary for `path` (removing those killed runs of this host left behind).
    /// The folder must exist. An existing file at `path` is replaced only by `commit()`.
    public init(path: String) throws {
        self.path = path
        temporaryPath = claimTemporaryPath(besides: path)
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            pending = false
            throw OutputFileError(path: path, reason: "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Appends `bytes` (short writes and EINTR are retried).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let failure = writeAll(descriptor, bytes)
        if failure != 0 { throw OutputFileError(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes the file to disk, renames it into place and flushes the folder. On failure the
    /// temporary is removed and the final path is as it was.
    public func commit() throws {
        guard pending else { throw OutputFileError(path: path, reason: "already committed or discarded") }
        pending = false
        guard fsync(descriptor) == 0 else {
            let why = String(cString: strerror(errno))
            close(descriptor); unlink(temporaryPath)
            throw OutputFileError(path: path, reason: "flush failed: \(why)")
        }
        guard close(descriptor) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputFileError(path: path, reason: "close failed: \(why)")
        }
        guard rename(temporaryPath, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputFileError(path: path, reason: "rename from \(temporaryPath) failed: \(why)")
        }
        // The rename is durable only once the folder's entry is; a failure here leaves a
        // complete file in place, so it is not reported.
        syncFolder(containing: path)
    }

    /// Closes and removes the temporary (what dropping an uncommitted writer does too).
    public func discard() {
        guard pending else { return }
        pending = false
        close(descriptor)
        unlink(temporaryPath)
    }

    deinit { discard() }
}

/// Flushes the folder entry of `path` to disk, so a rename into it survives a crash. Best effort:
/// the file itself is already complete, so a failure is not reported.
public func syncFolder(containing path: String) {
    let folder = open(splitFolderAndName(path).folder, O_RDONLY | O_CLOEXEC)
    if folder >= 0 { fsync(folder); close(folder) }
}
