// Reading archives entry by entry over libarchive (every filter and format it knows: tar, pax,
// zip, with gzip/zstd/xz/... compression). Memory stays bounded: data is streamed in chunks.
import CArchive
import FileIO
import Foundation

/// What an entry is.
public enum ArchiveEntryKind: Equatable, Sendable {
    case file
    case directory
    case symlink(target: String)
    case hardlink(target: String)
    case other(mode: UInt32)
}

/// One entry's header.
public struct ArchiveEntryInfo: Equatable, Sendable {
    public var path: String
    public var kind: ArchiveEntryKind
    /// The size the header declares, when it declares one.
    public var declaredSize: Int64?
}

/// Iterates the entries of an archive: `nextEntry()`, then `read(into:)` or `skipData()`.
public final class ArchiveReader {
    public let path: String
    private var handle: OpaquePointer?
    private var current: ArchiveEntryInfo?
    /// The archive's descriptor (libarchive reads it but does not close it).
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArchiveError(path: path, message: "no such file")
        }
        // Opened here, not by libarchive's open_filename, which would block forever on a FIFO.
        do { descriptor = try openRegularFile(atPath: path).descriptor } catch let error as InputFileError {
            throw ArchiveError(path: path, message: error.reason)
        }
        guard let a = archive_read_new() else {
            close(descriptor)
            throw ArchiveError(path: path, message: "libarchive: out of memory")
        }
        handle = a
        archive_read_support_filter_all(a)
        archive_read_support_format_all(a)
        if archive_read_open_fd(a, descriptor, 1 << 16) != ARCHIVE_OK {
            let error = ArchiveError.library(a, path: path, doing: "not a readable archive")
            archive_read_free(a); handle = nil
            close(descriptor)
            throw error
        }
    }

    deinit {
        if let handle {
            archive_read_free(handle)
            close(descriptor)
        }
    }

    /// The next entry's header, or nil at the end of the archive.
    public func nextEntry() throws -> ArchiveEntryInfo? {
        guard let a = handle else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(a, &entry)
        if status == ARCHIVE_EOF { current = nil; return nil }
        guard status >= ARCHIVE_WARN, let entry else {
            throw ArchiveError.library(a, path: path, entry: current?.path, doing: "reading the entry after this one")
        }
        let name = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)
        let entryPath = name.map { String(cString: $0) } ?? ""
        let type = UInt32(archive_entry_filetype(entry)) & hz_AE_IFMT()
        let kind: ArchiveEntryKind
        if let link = archive_entry_hardlink_utf8(entry) ?? archive_entry_hardlink(entry) {
            kind = .hardlink(target: String(cString: link))
        } else if type == hz_AE_IFLNK() {
            let link = archive_entry_symlink_utf8(entry) ?? archive_entry_symlink(entry)
            kind = .symlink(target: link.map { String(cString: $0) } ?? "")
        } else if type == hz_AE_IFDIR() {
            kind = .directory
        } else if type == hz_AE_IFREG() {
            kind = .file
        } else {
            kind = .other(mode: type)
        }
        let size: Int64? = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
        current = ArchiveEntryInfo(path: entryPath, kind: kind, declaredSize: size)
        return current
    }

    /// Reads up to `buffer.count` bytes of the current entry's data; 0 at its end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let a = handle, let base = buffer.baseAddress else { return 0 }
        let n = archive_read_data(a, base, buffer.count)
        if n < 0 { throw ArchiveError.library(a, path: path, entry: current?.path, doing: "reading data") }
        return n
    }

    /// Reads the whole current entry, refusing more than `limit` bytes.
    public func readAll(limit: Int) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            if out.count + n > limit {
                throw ArchiveError(path: path, entry: current?.path, message: "entry larger than the \(limit)-byte limit")
            }
            out += chunk[0..<n]
        }
    }

    /// Lists every entry's header (reads through the archive once, skipping data).
    public static func list(path: String) throws -> [ArchiveEntryInfo] {
        let reader = try ArchiveReader(path: path)
        var entries: [ArchiveEntryInfo] = []
        while let entry = try reader.nextEntry() { entries.append(entry) }
        return entries
    }
}
