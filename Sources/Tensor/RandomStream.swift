#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// A counter-based, seedable random generator.
//
// Every random draw in hyperzoo comes from a stream keyed by (seed, purpose, index): the value
// of draw number `counter` is a pure function of (key, counter). Runs are therefore
// reproducible bit for bit, a resumed job continues the same sequence by restoring one
// integer, and independent consumers (model 17's init, view 2 of sample 40, ...) never share
// or race on state. The mixing function is SplitMix64's finaliser applied to
// `key + counter * golden-gamma`, the construction of Java's SplittableRandom.

/// A reproducible stream of random numbers identified by a key; its only state is a counter.
public struct RandomStream: Sendable, Equatable, Codable {
    /// The stream's identity, derived from (seed, purpose, index).
    public let key: UInt64
    /// How many 64-bit words have been drawn so far. Restoring it resumes the stream exactly.
    public var counter: UInt64

    /// A stream for one purpose of one run, e.g. `RandomStream(seed: 7, purpose: "init", index: 3)`
    /// for the initial weights of model 3.
    public init(seed: UInt64, purpose: String, index: UInt64 = 0) {
        var h = RandomStream.mix(seed &+ 0x243F_6A88_85A3_08D3)
        h = RandomStream.mix(h ^ RandomStream.fnv1a(purpose))
        h = RandomStream.mix(h ^ (index &* 0xD1B5_4A32_D192_ED03))
        self.init(key: h, counter: 0)
    }

    /// A stream with an explicit key and position (for restoring a saved state).
    public init(key: UInt64, counter: UInt64 = 0) {
        self.key = key
        self.counter = counter
    }

    /// A new, independent stream derived from this one's key (this stream's position is unused).
    public func derived(purpose: String, index: UInt64 = 0) -> RandomStream {
        RandomStream(seed: key, purpose: purpose, index: index)
    }

    /// The value of draw `counter` of this stream, without advancing.
    @inline(__always)
    public func value(at counter: UInt64) -> UInt64 {
        RandomStream.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        let v = value(at: counter)
        counter &+= 1
        return v
    }

    /// Uniform in [0, 1) with 24 random bits (every Float in the grid is equally likely).
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(nextUInt64() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [low, high).
    @inline(__always)
    public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }

    /// A standard normal deviate (Box–Muller; two draws per value so the state stays one counter).
    @inline(__always)
    public mutating func nextNormal() -> Float {
        Float(nextNormalDouble())
    }

    /// A standard normal deviate in double precision.
    public mutating func nextNormalDouble() -> Double {
        // u1 in (0, 1]: avoid log(0).
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Uniform integer in 0..<n (Lemire's nearly-divisionless method, unbiased).
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound")
        let bound = UInt64(n)
        var m = nextUInt64().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold {
                m = nextUInt64().multipliedFullWidth(by: bound)
            }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// Shuffles `array` in place (Fisher–Yates).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}

