// XXH64, the 64-bit xxHash of Yann Collet, written from the algorithm's published
// specification (doc/xxhash_spec.md of the xxHash project). It checksums every record-stream
// frame: fast enough (several GB/s on one core) that checksumming never limits a pipe, and
// strong enough that truncation or a flipped bit is caught.

/// XXH64 of a byte buffer.
public enum XXHash64 {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The 64-bit hash of `bytes` with `seed`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        var p = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ prime1 &+ prime2, v2 = seed &+ prime2, v3 = seed, v4 = seed &- prime1
            let base = bytes.baseAddress!
            while p + 32 <= n {
                v1 = round(v1, base.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian)
                v2 = round(v2, base.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian)
                v3 = round(v3, base.loadUnaligned(fromByteOffset: p + 16, as: UInt64.self).littleEndian)
                v4 = round(v4, base.loadUnaligned(fromByteOffset: p + 24, as: UInt64.self).littleEndian)
                p += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1); h = merge(h, v2); h = merge(h, v3); h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h &+= UInt64(n)
        while p + 8 <= n {
            h ^= round(0, bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian)
            h = rotl(h, 27) &* prime1 &+ prime4
            p += 8
        }
        if p + 4 <= n {
            h ^= UInt64(bytes.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian) &* prime1
            h = rotl(h, 23) &* prime2 &+ prime3
            p += 4
        }
        while p < n {
            h ^= UInt64(bytes[p]) &* prime5
            h = rotl(h, 11) &* prime1
            p += 1
        }
        h ^= h >> 33; h &*= prime2
        h ^= h >> 29; h &*= prime3
        h ^= h >> 32
        return h
    }

    /// The 64-bit hash of an array of bytes.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }
    @inline(__always) static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* prime1 &+ prime4
    }
}
