// SHA-256 (FIPS 180-4), written here so manifests and pipeline cache keys need no extra package.
// Size legend: a block is 64 bytes (16 big-endian UInt32 words); the state is 8 UInt32 words.
// Checked against the FIPS 180-4 test vectors and `sha256sum` in ArchiveTests/SHA256Tests.
import Foundation

/// An incremental SHA-256 digest: `update` with bytes as they stream, then `finalize` once.
public struct SHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var pending = [UInt8](repeating: 0, count: 64)  // [64] bytes not yet forming a block
    private var pendingCount = 0
    private var totalBytes: UInt64 = 0

    public init() {}

    /// Feeds bytes into the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress else { return }
        var count = bytes.count
        totalBytes &+= UInt64(count)
        if pendingCount > 0 {
            let take = min(64 - pendingCount, count)
            pending.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + pendingCount).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take; base += take; count -= take
            if pendingCount < 64 { return }
            pending.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
            pendingCount = 0
        }
        let whole = count / 64
        if whole > 0 { compress(blocks: base, count: whole) }
        let rest = count - whole * 64
        if rest > 0 {
            pending.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: base + whole * 64, byteCount: rest)
            }
            pendingCount = rest
        }
    }

    /// Feeds a byte array or `Data` into the digest.
    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Pads, processes the last block(s) and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var tail: [UInt8] = [0x80]
        let padZeros = (64 + 56 - (pendingCount + 1) % 64) % 64
        tail += [UInt8](repeating: 0, count: padZeros)
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let savedTotal = totalBytes
        tail.withUnsafeBytes { update($0) }
        totalBytes = savedTotal
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * UInt32($0))) } }
    }

    /// The digest of `bytes` as 64 lowercase hex characters.
    public static func hex<Bytes: ContiguousBytes>(of bytes: Bytes) -> String {
        var digest = SHA256()
        digest.update(bytes)
        return hexString(digest.finalize())
    }

    /// The digest of the file at `path`, read in 1 MiB chunks (bounded memory), as hex.
    public static func hex(ofFileAt path: String) throws -> (digest: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveError(path: path, message: "cannot open for reading")
        }
        defer { try? handle.close() }
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

    // The 64 round constants: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Processes `count` whole 64-byte blocks starting at `blocks`.
    // Optimised even in debug builds, so tests hashing a few MB stay fast.
    @_optimize(speed)
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.k.withUnsafeBufferPointer { k in
                for blockIndex in 0..<count {
                    let block = blocks + blockIndex * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let a = w[t - 15], b = w[t - 2]
                        let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3)
                        let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ choose &+ k[t] &+ w[t]
                        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ majority
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 = h0 &+ a; h1 = h1 &+ b; h2 = h2 &+ c; h3 = h3 &+ d
                    h4 = h4 &+ e; h5 = h5 &+ f; h6 = h6 &+ g; h7 = h7 &+ h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}

@_optimize(speed) @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
