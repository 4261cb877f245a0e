// A ZIP reader for torch.save archives and .npz files: central directory (with ZIP64), stored
// and deflated entries, CRC-32 checked. Every size and offset is checked against the file before
// anything is allocated, so a hostile directory cannot make it read or reserve more than the file.
//
// Layout reminders (PKWARE APPNOTE 6.3): the end-of-central-directory record (EOCD, 22 bytes +
// comment) sits at the end; ZIP64 archives put a locator (20 bytes) right before it pointing at a
// ZIP64 EOCD record with 64-bit counts. Each central-directory header (46 bytes + name + extra +
// comment) points at a local header (30 bytes + name + extra) followed by the entry's data.
import Compression

/// One member of a ZIP archive, as described by the central directory.
public struct ZipEntry: Sendable, Equatable {
    /// The member's path inside the archive, e.g. `archive/data/0`.
    public var name: String
    /// 0 = stored, 8 = deflated (others are rejected on read).
    public var method: UInt16
    /// General-purpose flags (bit 0 = encrypted).
    public var flags: UInt16
    /// CRC-32 of the uncompressed data.
    public var crc32: UInt32
    /// Bytes in the archive.
    public var compressedSize: Int
    /// Bytes after decompression.
    public var uncompressedSize: Int
    /// Offset of the local header.
    public var localHeaderOffset: Int
}

/// A ZIP archive opened through its central directory.
public final class ZipArchive: Sendable {
    /// The underlying file.
    public let file: RandomAccessFile
    /// Members in central-directory order.
    public let entries: [ZipEntry]
    private let indexOfName: [String: Int]
    private let centralDirectoryOffset: Int

    /// Upper bound on the central directory (names of millions of members fit easily).
    public static let maximumDirectoryBytes = 256 << 20

    /// True if the file starts like a ZIP archive (a local header or an empty archive's EOCD).
    public static func looksLikeZip(_ file: RandomAccessFile) -> Bool {
        guard file.size >= 4, let head = try? file.read(count: 4, at: 0) else { return false }
        return head == [0x50, 0x4B, 0x03, 0x04] || head == [0x50, 0x4B, 0x05, 0x06]
    }

    /// Opens `path` and reads its central directory.
    public convenience init(path: String) throws {
        try self.init(file: RandomAccessFile(path: path))
    }

    /// Reads the central directory of an already opened file.
    /// - Throws: `FormatError` for a missing or inconsistent directory (truncated file, sizes
    ///   beyond the file, multi-disk archives).
    public init(file: RandomAccessFile) throws {
        self.file = file
        let path = file.path
        func bad(_ message: String) -> FormatError { FormatError(file: path, object: "zip", message) }

        // 1. Find the EOCD record: scan back over at most a 64 KiB comment.
        let tailCount = min(file.size, 22 + 0xFFFF)
        guard tailCount >= 22 else { throw bad("too short to be a ZIP archive (\(file.size) bytes)") }
        let tailStart = file.size - tailCount
        let tail = try file.read(count: tailCount, at: tailStart, object: "zip")
        var eocd = -1
        var i = tailCount - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 0x05, tail[i + 3] == 0x06 {
                let commentLength = Int(tail[i + 20]) | Int(tail[i + 21]) << 8
                if i + 22 + commentLength <= tailCount { eocd = i; break }
            }
            i -= 1
        }
        guard eocd >= 0 else {
            throw bad("no end-of-central-directory record (not a ZIP archive, or truncated)")
        }
        var cursor = ByteCursor(tail, at: eocd + 4) { bad($0) }
        let disk = try cursor.u16(), directoryDisk = try cursor.u16()
        _ = try cursor.u16()
        var count = Int(try cursor.u16())
        var directorySize = Int(try cursor.u32())
        var directoryOffset = Int(try cursor.u32())
        guard disk == 0, directoryDisk == 0 else { throw bad("multi-disk archives are not supported") }

        // 2. ZIP64: the locator sits right before the EOCD record.
        let eocdOffset = tailStart + eocd
        if eocdOffset >= 20 {
            let locator = try file.read(count: 20, at: eocdOffset - 20, object: "zip")
            if locator[0..<4] == [0x50, 0x4B, 0x06, 0x07] {
                var l = ByteCursor(locator, at: 8) { bad($0) }
                let recordOffset64 = try l.u64()
                guard recordOffset64 <= UInt64(eocdOffset - 20), eocdOffset - 20 - Int(recordOffset64) >= 56 else {
                    throw bad("ZIP64 end record offset \(recordOffset64) is outside the file")
                }
                let record = try file.read(count: 56, at: Int(recordOffset64), object: "zip")
                guard record[0..<4] == [0x50, 0x4B, 0x06, 0x06] else { throw bad("ZIP64 end record signature missing") }
                var r = ByteCursor(record, at: 24) { bad($0) }
                _ = try r.u64()
                let total = try r.u64(), size = try r.u64(), offset = try r.u64()
                guard total <= UInt64(Int.max), size <= UInt64(file.size), offset <= UInt64(file.size) else {
                    throw bad("ZIP64 directory claims \(total) entries / \(size) bytes at \(offset), beyond the file")
                }
                count = Int(total)
                directorySize = Int(size)
                directoryOffset = Int(offset)
            }
        }

        // 3. Bound the directory by the file and by a sane cap before reading it.
        guard directoryOffset <= eocdOffset, directorySize <= eocdOffset - directoryOffset else {
            throw bad("central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end record at \(eocdOffset) (truncated?)")
        }
        guard directorySize <= ZipArchive.maximumDirectoryBytes else {
            throw bad("central directory of \(directorySize) bytes exceeds the \(ZipArchive.maximumDirectoryBytes)-byte limit")
        }
        guard count <= directorySize / 46 else {
            throw bad("central directory claims \(count) entries but has room for \(directorySize / 46)")
        }
        let directory = try file.read(count: directorySize, at: directoryOffset, object: "zip")
        var d = ByteCursor(directory) { bad("central directory: " + $0) }
        var entries: [ZipEntry] = []
        entries.reserveCapacity(count)
        var index: [String: Int] = [:]
        for _ in 0..<count {
            guard try d.u32("entry signature") == 0x0201_4B50 else {
                throw bad("central directory entry \(entries.count) has a bad signature")
            }
            _ = try d.u16(); _ = try d.u16()
            let flags = try d.u16(), method = try d.u16()
            _ = try d.u32()
            let crc = try d.u32()
            var compressed = UInt64(try d.u32()), uncompressed = UInt64(try d.u32())
            let nameLength = Int(try d.u16()), extraLength = Int(try d.u16()), commentLength = Int(try d.u16())
            _ = try d.u16(); _ = try d.u16(); _ = try d.u32()
            var localOffset = UInt64(try d.u32())
            let name = String(decoding: try d.take(nameLength, "entry name"), as: UTF8.self)
            var extra = ByteCursor(Array(try d.take(extraLength, "extra field of \(name)"))) { bad("\(name): extra field: " + $0) }
            _ = try d.take(commentLength, "comment of \(name)")
            while extra.remaining >= 4 {
                let id = try extra.u16(), size = Int(try extra.u16())
                guard id == 0x0001 else { _ = try extra.take(size, "extra block"); continue }
                var z = ByteCursor(Array(try extra.take(size, "ZIP64 block"))) { bad("\(name): ZIP64 block: " + $0) }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try z.u64() }
                if compressed == 0xFFFF_FFFF { compressed = try z.u64() }
                if localOffset == 0xFFFF_FFFF { localOffset = try z.u64() }
            }
            let limit = UInt64(directoryOffset)
            guard localOffset < limit, compressed <= limit, localOffset + 30 + compressed <= limit else {
                throw FormatError(file: path, object: name,
                                  "zip entry claims \(compressed) bytes at offset \(localOffset), beyond the \(directoryOffset) bytes before the central directory (truncated or corrupt)")
            }
            guard uncompressed <= UInt64(Int.max / 2) else {
                throw FormatError(file: path, object: name, "zip entry claims an absurd size of \(uncompressed) bytes")
            }
            if index[name] == nil { index[name] = entries.count }
            entries.append(ZipEntry(name: name, method: method, flags: flags, crc32: crc,
                                    compressedSize: Int(compressed), uncompressedSize: Int(uncompressed),
                                    localHeaderOffset: Int(localOffset)))
        }
        self.entries = entries
        self.indexOfName = index
        self.centralDirectoryOffset = directoryOffset
    }

    /// The member called `name`, if present.
    public func entry(named name: String) -> ZipEntry? {
        indexOfName[name].map { entries[$0] }
    }

    /// The file offset where `entry`'s (compressed) data starts, checked against the file.
    public func dataOffset(of entry: ZipEntry) throws -> Int {
        let header = try file.read(count: 30, at: entry.localHeaderOffset, object: entry.name)
        guard header[0..<4] == [0x50, 0x4B, 0x03, 0x04] else {
            throw FormatError(file: file.path, object: entry.name, "local header signature missing at offset \(entry.localHeaderOffset)")
        }
        let nameLength = Int(header[26]) | Int(header[27]) << 8
        let extraLength = Int(header[28]) | Int(header[29]) << 8
        let start = entry.localHeaderOffset + 30 + nameLength + extraLength
        guard start <= centralDirectoryOffset, entry.compressedSize <= centralDirectoryOffset - start else {
            throw FormatError(file: file.path, object: entry.name,
                              "data (\(entry.compressedSize) bytes at \(start)) overlaps the central directory at \(centralDirectoryOffset)")
        }
        return start
    }

    /// The member's uncompressed bytes, CRC-checked.
    /// - Parameter limit: refuse members larger than this many bytes (memory bound).
    /// - Throws: `FormatError` for encrypted members, unknown methods, bad CRC or size, or a
    ///   member over `limit`.
    public func contents(of entry: ZipEntry, limit: Int = Int.max) throws -> [UInt8] {
        func bad(_ message: String) -> FormatError { FormatError(file: file.path, object: entry.name, message) }
        guard entry.flags & 1 == 0 else { throw bad("encrypted zip entries are not supported") }
        guard entry.uncompressedSize <= limit else {
            throw bad("entry of \(entry.uncompressedSize) bytes exceeds the \(limit)-byte limit")
        }
        let start = try dataOffset(of: entry)
        let data: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw bad("stored entry with compressed size \(entry.compressedSize) ≠ size \(entry.uncompressedSize)")
            }
            data = try file.read(count: entry.compressedSize, at: start, object: entry.name)
        case 8:
            // Deflate cannot expand by more than about 1032:1; a larger claim is a zip bomb.
            guard entry.uncompressedSize <= entry.compressedSize * 1032 + 1024 else {
                throw bad("claims \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed (beyond deflate's ratio): refused")
            }
            let compressed = try file.read(count: entry.compressedSize, at: start, object: entry.name)
            do { data = try inflate(compressed, wrapping: .raw, expectedSize: entry.uncompressedSize) } catch let error as InflateError {
                throw bad(error.reason)
            }
        default:
            throw bad("compression method \(entry.method) is not supported (only stored and deflate)")
        }
        let crc = crc32(data)
        guard crc == entry.crc32 else {
            throw bad("CRC-32 mismatch (stored \(String(entry.crc32, radix: 16)), computed \(String(crc, radix: 16))): corrupt entry")
        }
        return data
    }
}
