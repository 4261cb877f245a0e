// SHA-256 (FIPS 180-4) for manifests and pipeline cache keys, computed by nettle (the library
// libarchive already links; SHA-NI instructions where the CPU has them, about 10x a portable
// implementation). Checked against the FIPS 180-4 vectors and `sha256sum` in ArchiveTests.
import CArchive
import FileIO
import Foundation

/// An incremental SHA-256 digest: `update` with bytes as they stream, then `finalize` once.
public struct SHA256: Sendable {
    private var context = sha256_ctx()

    public init() {
        nettle_sha256_init(&context)
    }

    /// Feeds bytes into the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        nettle_sha256_update(&context, bytes.count, base.assumingMemoryBound(to: UInt8.self))
    }

    /// Feeds a byte array or `Data` into the digest.
    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the 32-byte digest (the digest is then reset, as nettle does).
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { nettle_sha256_digest(&context, 32, $0.baseAddress) }
        return digest
    }

    /// The digest of `bytes` as 64 lowercase hex characters.
    public static func hex<Bytes: ContiguousBytes>(of bytes: Bytes) -> String {
        var digest = SHA256()
        digest.update(bytes)
        return hexString(digest.finalize())
    }

    /// The digest of the file at `path`, read in 1 MiB chunks (bounded memory), as hex.
    public static func hex(ofFileAt path: String) throws -> (digest: String, size: Int64) {
        let opened: (descriptor: Int32, size: Int)
        do { opened = try openRegularFile(atPath: path) } catch let error as InputFileError {
            throw ArchiveError(path: path, message: error.reason)
        }
        let handle = FileHandle(fileDescriptor: opened.descriptor, closeOnDealloc: true)
        var digest = SHA256()
        var size: Int64 = 0
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            size += Int64(chunk.count)
            digest.update(chunk)
        }
        return (hexString(digest.finalize()), size)
    }

    /// Lowercase hex of a digest.
    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
