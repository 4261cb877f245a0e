// torch.utils.data.random_split(dataset, lengths, generator=torch.Generator().manual_seed(s)) as
// the Model Zoos generators call it, reproduced without torch: the published train/validation
// image splits are then the same images (membership and order) as the zoos were trained on.
//
// torch's CPU generator is the 32-bit Mersenne Twister (at::mt19937, init_genrand seeding with
// the low 32 bits of the seed); random_split takes randperm(sum(lengths)) and cuts it in order;
// randperm on the CPU (for n < 2^32 / 20) is the Fisher–Yates walk `z = random() % (n - i);
// swap(r[i], r[i + z])`. Checked against torch: randperm(10) after manual_seed(42) is
// [2, 6, 1, 8, 4, 5, 0, 9, 3, 7] (Tests/NetsTests/PaperDatasetTests.swift).

/// The 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura), as torch and numpy's
/// RandomState seed it from an integer.
struct MersenneTwister19937 {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt64) {
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func next() -> UInt32 {
        if index >= 624 {
            for i in 0..<624 {
                let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
                state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }
}

/// torch's `random_split` with a seeded generator.
public enum TorchRandomSplit {
    /// `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`.
    public static func permutation(_ n: Int, seed: UInt64) -> [Int] {
        precondition(n >= 0 && n < Int(UInt32.max / 20), "randperm of \(n) elements: torch uses another algorithm from 2^32/20 on")
        var generator = MersenneTwister19937(seed: seed)
        var r = Array(0..<n)
        if n < 2 { return r }
        for i in 0..<(n - 1) {
            let z = Int(generator.next() % UInt32(n - i))
            r.swapAt(i, i + z)
        }
        return r
    }

    /// The index lists of `random_split(range(sum(lengths)), lengths, generator=manual_seed(seed))`.
    public static func split(lengths: [Int], seed: UInt64) -> [[Int]] {
        let perm = permutation(lengths.reduce(0, +), seed: seed)
        var out: [[Int]] = [], start = 0
        for n in lengths {
            out.append(Array(perm[start..<(start + n)]))
            start += n
        }
        return out
    }
}
