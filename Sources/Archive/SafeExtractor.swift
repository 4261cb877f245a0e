// Extraction that cannot escape its folder or fill the disk:
// - entry paths must be relative without `..` (zip-slip), checked before anything is created;
// - nothing is ever written through a symlink: every parent folder is checked with lstat and files
//   are opened with O_NOFOLLOW | O_EXCL; symlink targets must stay inside the folder; hardlinks may
//   only point at files already extracted; devices, fifos and sockets are refused;
// - an entry may not exceed the size its header (or the caller, e.g. a manifest) declares, and the
//   total is bounded (compression bombs);
// - everything goes into a hidden temporary folder beside the destination, which is renamed into
//   place only when the whole archive was read and checked; on any error it is removed, so a
//   corrupted or hostile archive is reported and never half-extracted.
import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bounds applied while extracting.
public struct ExtractionLimits: Sendable {
    /// The most bytes all entries together may expand to.
    public var maxTotalBytes: Int64
    /// The most entries the archive may hold.
    public var maxEntries: Int

    public init(maxTotalBytes: Int64 = 64 << 30, maxEntries: Int = 1_000_000) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
    }
}

/// A regular file that was extracted, with what was measured while writing it.
public struct ExtractedFile: Equatable, Sendable {
    public var path: String
    public var size: Int64
    public var sha256: String
}

/// Safe extraction of untrusted archives.
public enum SafeExtractor {
    /// Extracts `archive` into the new folder `destination` (which must not exist yet).
    /// - Parameters:
    ///   - declaredSize: a size the caller expects for an entry (e.g. from a manifest read first;
    ///     negative: the entry must not exist, it is missing from the manifest);
    ///     data beyond it is refused as it streams.
    ///   - check: runs on the complete, still hidden extraction (for example, comparing checksums
    ///     with a manifest); throwing from it discards the extraction.
    /// - Returns: the regular files extracted, sorted by path.
    @discardableResult
    public static func extract(archive: String, to destination: String, limits: ExtractionLimits = ExtractionLimits(),
                               declaredSize: (String) -> Int64? = { _ in nil },
                               check: ([ExtractedFile], String) throws -> Void = { _, _ in }) throws -> [ExtractedFile] {
        let destinationURL = URL(fileURLWithPath: destination).standardizedFileURL
        if FileManager.default.fileExists(atPath: destinationURL.path) {
            throw ArchiveError(path: destinationURL.path, message: "already exists; extract into a new folder or remove it first")
        }
        let parent = destinationURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        // A folder, so not an AtomicFile; its name is one, so killed runs' folders are removed alike.
        let staging = claimTemporaryPath(besides: destinationURL.path)
        guard mkdir(staging, 0o755) == 0 else {
            throw ArchiveError(path: staging, message: "cannot create staging folder: \(String(cString: strerror(errno)))")
        }
        do {
            var files = try extractEntries(archive: archive, into: staging, limits: limits, declaredSize: declaredSize)
            files.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            try check(files, staging)
            if rename(staging, destinationURL.path) != 0 {
                throw ArchiveError(path: destinationURL.path, message: "cannot move extraction into place: \(String(cString: strerror(errno)))")
            }
            return files
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    private static func extractEntries(archive: String, into root: String, limits: ExtractionLimits,
                                       declaredSize: (String) -> Int64?) throws -> [ExtractedFile] {
        let reader = try ArchiveReader(path: archive)
        var files: [ExtractedFile] = []
        var total: Int64 = 0
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while let entry = try reader.nextEntry() {
            count += 1
            if count > limits.maxEntries {
                throw ArchiveError(path: archive, message: "more than \(limits.maxEntries) entries; refusing (raise the limit if this is expected)")
            }
            let parts: [Substring]
            switch EntryPath.components(of: entry.path) {
            case .success(let p): parts = p
            case .failure(let problem): throw ArchiveError(path: archive, entry: entry.path, message: problem.description)
            }
            let relative = parts.joined(separator: "/")
            let target = root + "/" + relative
            try makeParents(parts.dropLast(), under: root, archive: archive, entry: entry.path)
            switch entry.kind {
            case .directory:
                if mkdir(target, 0o755) != 0 && !isRealDirectory(target) {
                    throw ArchiveError(path: archive, entry: entry.path, message: "cannot create folder (a file or link is in the way)")
                }
            case .file:
                let expected = declaredSize(relative)
                // A negative expected size is the caller's "this entry is not in my manifest".
                if let expected, expected < 0 {
                    throw ArchiveError(path: archive, entry: entry.path, message: "entry is not listed in the archive's manifest; refusing (the archive was altered or is not a hyperzoo archive)")
                }
                let limit = [entry.declaredSize, expected].compactMap { $0 }.min()
                let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
                guard fd >= 0 else {
                    throw ArchiveError(path: archive, entry: entry.path, message: errno == EEXIST
                        ? "duplicate entry (or name clash with an earlier link or folder)"
                        : "cannot create file: \(String(cString: strerror(errno)))")
                }
                defer { close(fd) }
                var digest = SHA256()
                var size: Int64 = 0
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                    if n == 0 { break }
                    size += Int64(n); total += Int64(n)
                    if let limit, size > limit {
                        throw ArchiveError(path: archive, entry: entry.path, message: "entry is larger than its declared \(limit) bytes; refusing")
                    }
                    if total > limits.maxTotalBytes {
                        throw ArchiveError(path: archive, entry: entry.path, message: "archive expands beyond the \(limits.maxTotalBytes)-byte limit (compression bomb?); refusing")
                    }
                    try buffer.withUnsafeBytes { bytes in
                        let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
                        digest.update(chunk)
                        var offset = 0
                        while offset < n {
                            let w = write(fd, chunk.baseAddress! + offset, n - offset)
                            if w < 0 { throw ArchiveError(path: target, message: "write failed: \(String(cString: strerror(errno)))") }
                            offset += w
                        }
                    }
                }
                if let declared = entry.declaredSize, size != declared {
                    throw ArchiveError(path: archive, entry: entry.path, message: "truncated: \(size) of \(declared) bytes")
                }
                files.append(ExtractedFile(path: relative, size: size, sha256: SHA256.hexString(digest.finalize())))
            case .symlink(let linkTarget):
                guard symlinkStaysInside(linkTarget, linkPath: parts) else {
                    throw ArchiveError(path: archive, entry: entry.path, message: "symlink to '\(linkTarget)' leaves the extraction folder; refusing")
                }
                if symlink(linkTarget, target) != 0 {
                    throw ArchiveError(path: archive, entry: entry.path, message: "cannot create symlink: \(String(cString: strerror(errno)))")
                }
            case .hardlink(let linkTarget):
                guard case .success(let targetParts) = EntryPath.components(of: linkTarget) else {
                    throw ArchiveError(path: archive, entry: entry.path, message: "hardlink to '\(linkTarget)' leaves the extraction folder; refusing")
                }
                let source = root + "/" + targetParts.joined(separator: "/")
                var info = stat()
                guard lstat(source, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                      isInsideWithoutLinks(targetParts.dropLast(), under: root) else {
                    throw ArchiveError(path: archive, entry: entry.path, message: "hardlink to '\(linkTarget)', which is not a file extracted earlier; refusing")
                }
                if link(source, target) != 0 {
                    throw ArchiveError(path: archive, entry: entry.path, message: "cannot create hardlink: \(String(cString: strerror(errno)))")
                }
            case .other(let mode):
                throw ArchiveError(path: archive, entry: entry.path, message: "special file (mode \(String(mode, radix: 8))) refused")
            }
        }
        return files
    }

    /// Creates missing parent folders, refusing any existing component that is not a real folder
    /// (a symlink there would redirect the write outside).
    private static func makeParents(_ parts: ArraySlice<Substring>, under root: String, archive: String, entry: String) throws {
        var path = root
        for part in parts {
            path += "/" + part
            var info = stat()
            if lstat(path, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw ArchiveError(path: archive, entry: entry, message: "path goes through a link or file ('\(part)'); refusing")
                }
            } else if mkdir(path, 0o755) != 0 {
                throw ArchiveError(path: archive, entry: entry, message: "cannot create folder '\(part)': \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func isInsideWithoutLinks(_ parts: ArraySlice<Substring>, under root: String) -> Bool {
        var path = root
        for part in parts {
            path += "/" + part
            if !isRealDirectory(path) { return false }
        }
        return true
    }

    private static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// True when `target`, resolved from the link's folder, stays inside the root. Allowed shape:
    /// some leading `..` (never above the root), then only plain names. Forbidding `..` after a
    /// name makes the lexical answer exact even when a name is itself a link: by induction every
    /// link extracted points inside, and walking down from inside stays inside.
    static func symlinkStaysInside(_ target: String, linkPath: [Substring]) -> Bool {
        if target.isEmpty || target.hasPrefix("/") || target.contains("\\") || target.utf8.contains(0) { return false }
        var depth = linkPath.count - 1  // real folders between the root and the link
        var descending = false
        for part in target.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if descending { return false }
                depth -= 1
                if depth < 0 { return false }
            } else {
                descending = true
            }
        }
        return true
    }
}
