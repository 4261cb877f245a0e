// S_KDE: the paper's sampler, one Gaussian kernel density per latent dimension, sampled
// dimension by dimension and concatenated into latent vectors.
//
// Sizes: N = anchors, D = latent dimension, K = samples.
//
// Sampling a 1-D Gaussian KDE is: pick an anchor index i uniformly, return anchor[i] + h·ε.
// Done right, each dimension has its own random stream, so sample k mixes values from
// different anchors in different dimensions: a draw from the product of the marginals.
//
// The official code (paper-notes §6.3) calls sklearn's `KernelDensity.sample(n,
// random_state=42)` once per dimension. sklearn draws all n indices first (u ~ U(0,1)^n,
// i = ⌊u·N⌋) and then the n deviates, from one generator seeded identically for every
// dimension, so every dimension picks the same anchor and the same deviate: sample k is
// anchor[i_k] + ε_k·h, a near copy of one anchor. `Seeding.paper` reproduces exactly that
// procedure (a fresh, identically keyed stream per dimension, indices then deviates).

import Tensor

/// S_KDE: per-latent-dimension Gaussian kernel densities fitted to anchors.
public struct PerDimensionKDESampler: LatentSampler {
    /// How random streams are assigned to dimensions.
    public enum Seeding: String, Sendable, Codable {
        /// An independent stream per dimension: samples follow the product of the marginals.
        case independent
        /// The official code's behaviour: every dimension replays the same stream, so all
        /// dimensions share anchor index and deviate (samples collapse onto anchors).
        case paper
    }

    public let kind = SamplerKind.kde
    public let anchors: LatentMatrix
    public let seeding: Seeding
    public let bandwidthRule: BandwidthRule
    /// h_j per dimension `[D]`: the kernel's standard deviation.
    public let bandwidths: [Double]

    public var dimension: Int { anchors.dimension }

    /// Fits one KDE per dimension of `anchors` `[N, D]`.
    /// - Throws: ``SamplingError`` when there are no anchors or an anchor is not finite.
    public init(anchors: LatentMatrix, bandwidth: BandwidthRule = .scott, seeding: Seeding = .independent) throws {
        try validateAnchors(anchors, sampler: "kde")
        self.anchors = anchors
        self.seeding = seeding
        self.bandwidthRule = bandwidth
        if let f = bandwidth.factor(pointCount: anchors.count, dimension: 1) {
            let cov = Self.columnStandardDeviations(anchors)
            bandwidths = cov.map { f * $0 }
        } else if case .fixed(let h) = bandwidth {
            bandwidths = [Double](repeating: h, count: anchors.dimension)
        } else {
            bandwidths = []
        }
    }

    public var settings: [String: String] {
        let mean = bandwidths.isEmpty ? 0 : bandwidths.reduce(0, +) / Double(bandwidths.count)
        return ["sampler": kind.rawValue, "bandwidth": bandwidthRule.description,
                "mean_bandwidth": "\(mean)", "seeding": seeding.rawValue,
                "anchors": "\(anchors.count)"]
    }

    public func sample(count: Int, seed: UInt64) -> LatentMatrix {
        let n = anchors.count, d = anchors.dimension
        var out = LatentMatrix(count: count, dimension: d)
        var indices = [Int](repeating: 0, count: count)
        for j in 0..<d {
            var stream: RandomStream
            switch seeding {
            case .independent: stream = RandomStream(seed: seed, purpose: "sample.kde.dimension", index: UInt64(j))
            case .paper: stream = RandomStream(seed: seed, purpose: "sample.kde.paper", index: 0)
            }
            // Indices first, then deviates: sklearn's order, which is what makes `.paper` collapse.
            for k in 0..<count { indices[k] = stream.nextInt(below: n) }
            let h = bandwidths[j]
            for k in 0..<count {
                let eps = stream.nextNormalDouble()
                out[k, j] = Float(Double(anchors[indices[k], j]) + h * eps)
            }
        }
        return out
    }

    /// Standard deviation of every column (divisor N − 1; 0 for a single anchor).
    static func columnStandardDeviations(_ m: LatentMatrix) -> [Double] {
        let mean = m.columnMeans()
        var s = [Double](repeating: 0, count: m.dimension)
        guard m.count > 1 else { return s }
        for i in 0..<m.count {
            for j in 0..<m.dimension {
                let c = Double(m[i, j]) - mean[j]
                s[j] += c * c
            }
        }
        return s.map { ($0 / Double(m.count - 1)).squareRoot() }
    }
}
