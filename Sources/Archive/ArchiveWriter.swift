// Deterministic archive writing over libarchive: the same entries give byte-identical archives.
// Every entry gets mtime 0, uid/gid 0, no user/group names, mode 0644; the gzip header carries no
// timestamp; the caller decides the entry order (`write(files:)` sorts by path). libarchive
// writes to the descriptor of an `AtomicFile` (FileIO), which `finish()` fsyncs and renames into
// place, so a failed or interrupted write never leaves a partial archive under the final name.
import CArchive
import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes one archive entry by entry. Call `finish()` to publish it; dropping the writer
/// without `finish()` deletes the temporary file.
public final class ArchiveWriter {
    public let path: String
    public let format: ArchiveFormat
    private let output: AtomicFile
    private var handle: OpaquePointer?
    private var written = Set<String>()
    private var buffer: [UInt8]

    /// Opens a writer for `path`.
    /// - Parameters:
    ///   - compressionLevel: zstd 1–19 (default 3), gzip/zip deflate 0–9 (default 6).
    ///   - threads: zstd worker threads (the output is identical for any count ≥ 1).
    ///   - chunkBytes: how much of a source file is read at a time (bounds memory).
    public init(path: String, format: ArchiveFormat, compressionLevel: Int? = nil, threads: Int = 1,
                chunkBytes: Int = 1 << 20) throws {
        self.path = path
        buffer = [UInt8](repeating: 0, count: max(chunkBytes, 4096))
        self.format = format
        do { output = try AtomicFile(path: path) } catch let error as OutputFileError {
            throw ArchiveError(path: path, message: error.reason)
        }
        guard let a = archive_write_new() else { throw ArchiveError(path: path, message: "libarchive: out of memory") }
        handle = a
        var status: Int32
        switch format {
        case .tarZstd:
            status = archive_write_set_format_pax_restricted(a)
            if status == ARCHIVE_OK { status = archive_write_add_filter_zstd(a) }
            if status == ARCHIVE_OK { status = archive_write_set_options(a, "zstd:compression-level=\(compressionLevel ?? 3)") }
            if status == ARCHIVE_OK {
                // Always zstd's multi-threaded mode (≥ 1 worker): its output does not depend on the
                // worker count, so archives are identical whatever --threads is. Builds without the
                // option fall back to single-threaded output, equally deterministic.
                _ = archive_write_set_options(a, "zstd:threads=\(max(1, threads))")
            }
        case .tarGzip:
            status = archive_write_set_format_pax_restricted(a)
            if status == ARCHIVE_OK { status = archive_write_add_filter_gzip(a) }
            if status == ARCHIVE_OK {
                status = archive_write_set_options(a, "gzip:!timestamp,gzip:compression-level=\(compressionLevel ?? 6)")
            }
        case .zip:
            status = archive_write_set_format_zip(a)
            if status == ARCHIVE_OK {
                status = archive_write_set_options(a, "zip:compression=deflate,zip:compression-level=\(compressionLevel ?? 6)")
            }
        case .tar:
            status = archive_write_set_format_pax_restricted(a)
        }
        if status != ARCHIVE_OK {
            let error = ArchiveError.library(a, path: path, doing: "configuring \(format.rawValue) output")
            archive_write_free(a); handle = nil
            throw error
        }
        // The same bytes as archive_write_open_filename: both leave the last block unpadded for a
        // regular file.
        if archive_write_open_fd(a, output.descriptor) != ARCHIVE_OK {
            let error = ArchiveError.library(a, path: path, doing: "opening for writing")
            archive_write_free(a); handle = nil
            throw error
        }
    }

    /// An unfinished archive is dropped; the `AtomicFile` then removes its temporary.
    deinit {
        if let handle { archive_write_free(handle) }
    }

    /// Adds the regular file at `sourcePath` as `entryPath`, streaming it in chunks.
    /// Returns the size written and the SHA-256 of the bytes (computed on the way).
    /// - Parameter computeDigest: false skips hashing (the returned digest is then empty).
    @discardableResult
    public func addFile(at sourcePath: String, as entryPath: String, computeDigest: Bool = true) throws -> (size: Int64, sha256: String) {
        // Never blocks: a FIFO among the inputs is refused before anything reads it.
        let opened: (descriptor: Int32, size: Int)
        do { opened = try openRegularFile(atPath: sourcePath) } catch let error as InputFileError {
            throw ArchiveError(path: sourcePath, message: error.reason)
        }
        let fd = opened.descriptor
        defer { close(fd) }
        let size = Int64(opened.size)
        try writeHeader(entryPath, size: size)
        var digest = SHA256()
        var remaining = size
        while remaining > 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { throw ArchiveError(path: sourcePath, message: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            let take = Int(min(Int64(n), remaining))
            try buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<take])
                if computeDigest { digest.update(chunk) }
                try writeData(chunk, entryPath)
            }
            remaining -= Int64(take)
        }
        if remaining != 0 {
            throw ArchiveError(path: sourcePath, message: "file shrank while being archived (\(remaining) bytes missing)")
        }
        return (size, computeDigest ? SHA256.hexString(digest.finalize()) : "")
    }

    /// Adds `bytes` as the regular file `entryPath`.
    public func addData(_ bytes: [UInt8], as entryPath: String) throws {
        try writeHeader(entryPath, size: Int64(bytes.count))
        try bytes.withUnsafeBytes { try writeData($0, entryPath) }
    }

    /// Closes the archive and renames it into place.
    public func finish() throws {
        guard let a = handle else { throw ArchiveError(path: path, message: "archive already finished") }
        let closed = archive_write_close(a)
        let error = closed == ARCHIVE_OK ? nil : ArchiveError.library(a, path: path, doing: "closing")
        archive_write_free(a)
        handle = nil
        if let error { output.discard(); throw error }
        do { try output.commit() } catch let error as OutputFileError {
            throw ArchiveError(path: path, message: error.reason)
        }
    }

    /// Writes `files` (entry path → source file) sorted by entry path into a new archive.
    public static func write(files: [(entryPath: String, sourcePath: String)], to path: String,
                             format: ArchiveFormat, compressionLevel: Int? = nil, threads: Int = 1,
                             chunkBytes: Int = 1 << 20) throws {
        let writer = try ArchiveWriter(path: path, format: format, compressionLevel: compressionLevel,
                                       threads: threads, chunkBytes: chunkBytes)
        for file in files.sorted(by: { $0.entryPath.utf8.lexicographicallyPrecedes($1.entryPath.utf8) }) {
            try writer.addFile(at: file.sourcePath, as: file.entryPath)
        }
        try writer.finish()
    }

    // MARK: - libarchive calls

    private func writeHeader(_ entryPath: String, size: Int64) throws {
        guard let a = handle else { throw ArchiveError(path: path, message: "archive already finished") }
        if case .failure(let problem) = EntryPath.components(of: entryPath) {
            throw ArchiveError(path: path, entry: entryPath, message: problem.description)
        }
        guard written.insert(entryPath).inserted else {
            throw ArchiveError(path: path, entry: entryPath, message: "duplicate entry")
        }
        guard let entry = archive_entry_new() else { throw ArchiveError(path: path, message: "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, entryPath)
        archive_entry_set_size(entry, size)
        archive_entry_set_filetype(entry, hz_AE_IFREG())
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        if archive_write_header(a, entry) < ARCHIVE_WARN {
            throw ArchiveError.library(a, path: path, entry: entryPath, doing: "writing header")
        }
    }

    private func writeData(_ bytes: UnsafeRawBufferPointer, _ entryPath: String) throws {
        guard let a = handle, var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = archive_write_data(a, base, left)
            if n < 0 { throw ArchiveError.library(a, path: path, entry: entryPath, doing: "writing data") }
            if n == 0 { break }  // libarchive 3.x may report 0 for a complete write (archive_write_data.3 BUGS)
            base += n; left -= n
        }
    }
}
