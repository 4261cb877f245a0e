// Float buffers allocated once per batch shape and freed together (llm.c's activation memory).

/// Owns a set of zeroed Float buffers; all are released with the arena.
final class Arena {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    /// Floats allocated so far.
    private(set) var floats = 0

    /// A new zeroed buffer of `count` floats.
    func make(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        buffers.append(p)
        floats += max(count, 1)
        return p
    }

    deinit { for p in buffers { p.deallocate() } }
}

/// Fills `mask[n]` with inverted-dropout factors: 0 with probability p, else 1/(1−p).
func fillDropoutMask(_ mask: UnsafeMutablePointer<Float>, count n: Int, p: Float, stream: inout RandomStream) {
    let keep = 1 / (1 - p)
    for i in 0..<n { mask[i] = stream.nextFloat() < p ? 0 : keep }
}

import Tensor
