// Writes that never leave a half-written file under the final name: data goes to a temporary
// file in the same folder, is fsynced, then renamed into place (rename is atomic on POSIX).
// Plain POSIX calls, so a failure is reported with the system's reason ("No space left on
// device"), not a Foundation paraphrase of it.
import Compression
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file being written under a temporary name until `commit()` renames it into place.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private let descriptor: Int32
    private var committed = false

    /// Starts writing `path`. Fails if `path` exists and `overwrite` is false.
    init(path: String, overwrite: Bool = true) throws {
        self.path = path
        if !overwrite, FileManager.default.fileExists(atPath: path) {
            throw FormatError(file: path, "already exists (pass overwrite/--force to replace it)")
        }
        let url = URL(fileURLWithPath: path)
        removeStaleTemporaries(in: url.deletingLastPathComponent().path, prefix: url.lastPathComponent + ".partial-")
        temporaryPath = path + ".partial-\(getpid())"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FormatError(file: path, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: some ContiguousBytes) throws {
        let failure = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        if failure != 0 { throw FormatError(file: path, "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Flushes to disk and renames into place.
    func commit() throws {
        guard fsync(descriptor) == 0 else {
            throw FormatError(file: path, "flush failed: \(String(cString: strerror(errno)))")
        }
        guard close(descriptor) == 0 else {
            committed = true  // the descriptor is gone either way; only the temporary file is left
            unlink(temporaryPath)
            throw FormatError(file: path, "close failed: \(String(cString: strerror(errno)))")
        }
        committed = true
        guard rename(temporaryPath, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw FormatError(file: path, "rename from \(temporaryPath) failed: \(why)")
        }
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporaryPath)
        }
    }
}
