// Writes that never leave a half-written file under the final name: data goes to a temporary
// file in the same folder, is flushed, then renamed into place (rename is atomic on POSIX).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file being written under a temporary name until `commit()` renames it into place.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private let handle: FileHandle
    private var committed = false

    /// Starts writing `path`. Fails if `path` exists and `overwrite` is false.
    init(path: String, overwrite: Bool = true) throws {
        self.path = path
        if !overwrite, FileManager.default.fileExists(atPath: path) {
            throw FormatError(file: path, "already exists (pass overwrite/--force to replace it)")
        }
        temporaryPath = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw FormatError(file: path, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
    }

    func write(_ bytes: some ContiguousBytes) throws {
        do {
            try bytes.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        } catch {
            throw FormatError(file: path, "write failed: \(error.localizedDescription)")
        }
    }

    /// Flushes and renames into place.
    func commit() throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw FormatError(file: path, "flush failed: \(error.localizedDescription)")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw FormatError(file: path, "rename from \(temporaryPath) failed: \(String(cString: strerror(errno)))")
        }
        committed = true
    }

    deinit {
        if !committed {
            try? handle.close()
            unlink(temporaryPath)
        }
    }

    /// Writes `bytes` to `path` atomically.
    static func write(_ bytes: [UInt8], to path: String, overwrite: Bool = true) throws {
        let file = try AtomicFile(path: path, overwrite: overwrite)
        try file.write(bytes)
        try file.commit()
    }
}
