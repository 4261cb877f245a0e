// AtomicOutput: a new file is written under `<path>.partial` in the same folder and moved into
// place only when complete, so a reader never sees half a file and an existing output is never
// clobbered unless the caller asked for it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FileIO
import Foundation
import HDF5

/// The temporary and final names of one output file.
public struct AtomicOutput: Sendable {
    /// Where the finished file goes.
    public let path: String
    /// Where it is written meanwhile: `<path>.partial` (same folder, so the rename is atomic).
    public let partialPath: String
    /// Whether an existing file at `path` may be replaced.
    public let overwrite: Bool

    /// The temporary name used for `path`.
    public static func partialPath(for path: String) -> String { path + ".partial" }

    /// Prepares an output. Removes a stale `<path>.partial` only when `overwrite` is true.
    /// - Throws: `.exists` when `path` exists and `overwrite` is false ("pass --force"), or
    ///   when an interrupted `<path>.partial` exists (resume it, or pass --force).
    public init(path: String, overwrite: Bool, allowExistingPartial: Bool = false) throws {
        self.path = path
        self.partialPath = AtomicOutput.partialPath(for: path)
        self.overwrite = overwrite
        if !overwrite, pathExists(path) {
            throw ZooStoreError(.exists, path: path, message: "output exists; not overwritten (pass --force to replace it)")
        }
        if pathExists(partialPath), HDF5Library.isLockedByAnotherProcess(path: partialPath, exclusive: true) {
            // Two writers of one output: the other one's partial is neither interrupted nor ours
            // to remove (unlinking it would let both rename half files into place).
            throw ZooStoreError(.exists, path: partialPath,
                                message: "is being written by another process (it holds the HDF5 file lock); wait for it to finish or stop it")
        }
        if pathExists(partialPath), !allowExistingPartial {
            if overwrite {
                unlink(partialPath)
            } else {
                throw ZooStoreError(.exists, path: partialPath,
                                    message: "an interrupted write exists; resume it, or pass --force to start over")
            }
        }
        try ensureFolder(of: path)
    }

    /// Moves the finished partial file into place: fsync, then an atomic rename (replace allowed
    /// only with `overwrite`; otherwise link + unlink, which fails rather than replace).
    public func commit() throws {
        try syncFile(partialPath)
        if overwrite {
            if rename(partialPath, path) != 0 {
                throw ZooStoreError(.io, path: path, message: "cannot rename \(partialPath) into place: \(errnoText())")
            }
        } else {
            if link(partialPath, path) != 0 {
                let reason = errno == EEXIST ? "output appeared while writing; not overwritten (pass --force)" : errnoText()
                throw ZooStoreError(errno == EEXIST ? .exists : .io, path: path,
                                    message: "\(reason); the result is kept at \(partialPath)")
            }
            unlink(partialPath)
        }
        syncFolder(containing: path)
    }

    /// Deletes the partial file (after a failure that must not leave it behind).
    public func discard() { unlink(partialPath) }

    /// Writes `bytes` as the whole partial file (created or truncated) with plain POSIX calls, so
    /// a failure carries the system's reason ("No space left on device"); `commit()` then
    /// fsyncs and moves it into place.
    public func writePartial(_ bytes: UnsafeRawBufferPointer) throws {
        let fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ZooStoreError(.io, path: partialPath, message: "cannot create: \(errnoText())") }
        defer { close(fd) }
        let failure = writeAll(fd, bytes)
        if failure != 0 { throw ZooStoreError(.io, path: partialPath, message: "cannot write: \(String(cString: strerror(failure)))") }
    }

}

func pathExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

func errnoText() -> String { String(cString: strerror(errno)) }

private func ensureFolder(of path: String) throws {
    let dir = splitFolderAndName(path).folder
    var info = stat()
    if stat(dir, &info) != 0 {
        throw ZooStoreError(.notFound, path: path, message: "folder \(dir) does not exist")
    }
}

private func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw ZooStoreError(.io, path: path, message: "cannot open for fsync: \(errnoText())") }
    defer { close(fd) }
    if fsync(fd) != 0 { throw ZooStoreError(.io, path: path, message: "fsync failed: \(errnoText())") }
}

/// Writes `bytes` as the whole file at `path`, atomically, for the small files that several
/// processes may write at once (a pipeline's state, lock and cache records, a `.npy`), through
/// FileIO's `AtomicFile` (a temporary beside it named for this host and process, fsync, rename,
/// folder fsync). Missing folders are created; temporaries of killed writers of the same file are
/// removed first; an error leaves the old file as it was.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let dir = splitFolderAndName(path).folder
    if !pathExists(dir) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ZooStoreError(.io, path: path, message: "cannot create folder \(dir): \(error.localizedDescription)")
        }
    }
    do {
        let file = try AtomicFile(path: path)
        try file.write(bytes)
        try file.commit()
    } catch let error as OutputFileError {
        throw ZooStoreError(.io, path: path, message: error.reason)
    }
}

/// `writeFileAtomically` of a text's UTF-8 bytes.
public func writeFileAtomically(_ text: String, to path: String) throws {
    try writeFileAtomically(Array(text.utf8), to: path)
}
