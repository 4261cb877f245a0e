// S_U: the paper's weak baseline, uniform in a box of the latent space.
//
// Sizes: D = latent dimension, K = samples.

import Tensor

/// z ~ U(box): either the bounding box of the anchors (per dimension [min, max]) or a fixed
/// interval in every dimension (the official code's U(−1, 1)).
public struct UniformSampler: LatentSampler {
    public let kind = SamplerKind.uniform
    /// Lower and upper corner `[D]` each.
    public let lower: [Float]
    public let upper: [Float]
    /// "anchors" or "fixed".
    public let boxSource: String

    public var dimension: Int { lower.count }

    /// Uniform in the bounding box of `anchors` `[N, D]`.
    public init(anchors: LatentMatrix) throws {
        try validateAnchors(anchors, sampler: "uniform")
        var lo = [Float](repeating: .infinity, count: anchors.dimension)
        var hi = [Float](repeating: -.infinity, count: anchors.dimension)
        for i in 0..<anchors.count {
            for j in 0..<anchors.dimension { lo[j] = min(lo[j], anchors[i, j]); hi[j] = max(hi[j], anchors[i, j]) }
        }
        lower = lo
        upper = hi
        boxSource = "anchors"
    }

    /// Uniform in [low, high)^D: `UniformSampler(dimension: d, low: -1, high: 1)` is the paper's S_U.
    public init(dimension: Int, low: Float = -1, high: Float = 1) throws {
        guard dimension > 0, low < high, low.isFinite, high.isFinite else {
            throw SamplingError.invalidSetting("uniform: needs a positive dimension and low < high, got \(dimension), [\(low), \(high))")
        }
        lower = [Float](repeating: low, count: dimension)
        upper = [Float](repeating: high, count: dimension)
        boxSource = "fixed"
    }

    public var settings: [String: String] {
        var s = ["sampler": kind.rawValue, "box": boxSource]
        if boxSource == "fixed" { s["low"] = "\(lower[0])"; s["high"] = "\(upper[0])" }
        return s
    }

    public func sample(count: Int, seed: UInt64) -> LatentMatrix {
        let d = dimension
        var out = LatentMatrix(count: count, dimension: d)
        for k in 0..<count {
            var stream = RandomStream(seed: seed, purpose: "sample.uniform", index: UInt64(k))
            for j in 0..<d { out[k, j] = stream.nextFloat(in: lower[j], upper[j]) }
        }
        return out
    }
}
