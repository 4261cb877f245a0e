// Content digests of stage inputs and outputs: SHA-256 of a file, or of a folder's sorted listing
// of (relative path, size, file digest). A stat cache (size + mtime in ns, kept in the run folder's
// .hyperzoo-state.json, outside the deterministic lock) avoids re-hashing unchanged files, so a
// fully cached re-run costs a few stat calls.
import Archive
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// Digests files and folders, remembering digests of files whose size and mtime did not change.
// unchecked because: after init, `entries` and `dirty` are read and written only while holding `lock`.
public final class ContentDigester: @unchecked Sendable {
    private struct Entry: Equatable { var size: Int64; var mtime: Int64; var digest: String }
    private var entries: [String: Entry] = [:]
    private let statePath: String?
    private let lock = NSLock()
    private var dirty = false

    /// - Parameter statePath: where the stat cache is kept between runs (nil: in memory only).
    public init(statePath: String?) {
        self.statePath = statePath
        guard let statePath, let node = try? JSONValue.read(path: statePath), let files = node["files"]?.objectValue else { return }
        for (path, value) in files {
            // mtime in ns is beyond a double's 53 bits: kept as a string.
            if let size = value["size"]?.doubleValue, let mtime = value["mtime_ns"]?.stringValue.flatMap({ Int64($0) }),
               let digest = value["sha256"]?.stringValue {
                entries[path] = Entry(size: Int64(size), mtime: mtime, digest: digest)
            }
        }
    }

    /// The digest of a file or folder, or nil when it does not exist.
    public func digest(of path: String) throws -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let enumerator = FileManager.default.enumerator(atPath: path)
            var lines: [String] = []
            while let relative = enumerator?.nextObject() as? String {
                let full = path + "/" + relative
                var child = stat()
                guard stat(full, &child) == 0, (child.st_mode & S_IFMT) == S_IFREG else { continue }
                lines.append("\(relative)\t\(child.st_size)\t\(try fileDigest(full, child))")
            }
            lines.sort()
            return "dir:" + SHA256.hex(of: Array(lines.joined(separator: "\n").utf8))
        }
        return try fileDigest(path, info)
    }

    private func fileDigest(_ path: String, _ info: stat) throws -> String {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        lock.lock()
        if let known = entries[key], known.size == Int64(info.st_size), known.mtime == mtime { lock.unlock(); return known.digest }
        lock.unlock()
        let digest = try SHA256.hex(ofFileAt: path).digest
        lock.lock()
        entries[key] = Entry(size: Int64(info.st_size), mtime: mtime, digest: digest)
        dirty = true
        lock.unlock()
        return digest
    }

    /// Records for `path` (a hard link or copy of `original`) the digest known for `original`,
    /// when that one is still current, so the link is not hashed again.
    public func adopt(_ path: String, from original: String) {
        var info = stat(), originalInfo = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, stat(original, &originalInfo) == 0 else { return }
        let originalKey = URL(fileURLWithPath: original).standardizedFileURL.path
        let originalMtime = Int64(originalInfo.st_mtim.tv_sec) * 1_000_000_000 + Int64(originalInfo.st_mtim.tv_nsec)
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        lock.lock(); defer { lock.unlock() }
        guard let known = entries[originalKey], known.size == Int64(originalInfo.st_size), known.mtime == originalMtime,
              info.st_size == originalInfo.st_size else { return }
        entries[URL(fileURLWithPath: path).standardizedFileURL.path] = Entry(size: Int64(info.st_size), mtime: mtime, digest: known.digest)
        dirty = true
    }

    /// Follows a rename of folder `source` to `target`: the digests of the files inside stay known
    /// (rename keeps size and mtime), so a result moved into the cache and back is not re-hashed.
    public func moved(from source: String, to target: String) {
        let from = URL(fileURLWithPath: source).standardizedFileURL.path + "/"
        let to = URL(fileURLWithPath: target).standardizedFileURL.path + "/"
        lock.lock(); defer { lock.unlock() }
        for (path, entry) in entries where path.hasPrefix(from) {
            entries[to + path.dropFirst(from.count)] = entry
            dirty = true
        }
    }

    /// Writes the stat cache (atomically) when it changed.
    public func save() {
        lock.lock(); defer { lock.unlock() }
        guard dirty, let statePath else { return }
        var files: [String: JSONValue] = [:]
        for (path, entry) in entries where FileManager.default.fileExists(atPath: path) {
            files[path] = .object(["size": .number(Double(entry.size)), "mtime_ns": .string(String(entry.mtime)), "sha256": .string(entry.digest)])
        }
        try? writeFileAtomically(JSONValue.object(["files": .object(files)]).canonical, to: statePath)
        dirty = false
    }
}
