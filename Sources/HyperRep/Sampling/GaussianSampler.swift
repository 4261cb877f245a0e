// One multivariate Gaussian fitted to the anchors (mean and full covariance): the simplest
// density that keeps correlations between latent dimensions.
//
// Sizes: N = anchors, D = latent dimension, K = samples.

import Tensor

/// z ~ N(μ, Σ) with μ, Σ the anchors' mean and covariance; Σ = L·Lᵀ by Cholesky.
public struct GaussianSampler: LatentSampler {
    public let kind = SamplerKind.gaussian
    /// μ `[D]`.
    public let mean: [Double]
    /// L `[D * D]`: Cholesky factor of Σ (+ ridge).
    public let covarianceFactor: [Double]
    /// The ridge added to Σ's diagonal to factor it (0 when none was needed).
    public let ridge: Double
    public let anchorCount: Int
    public let dimension: Int

    /// Fits the Gaussian to `anchors` `[N, D]` (N ≥ 2 for a covariance).
    public init(anchors: LatentMatrix) throws {
        try validateAnchors(anchors, sampler: "gaussian", minimum: 2)
        dimension = anchors.dimension
        anchorCount = anchors.count
        mean = anchors.columnMeans()
        (covarianceFactor, ridge) = choleskyWithRidge(anchors.covariance(), order: anchors.dimension)
    }

    public var settings: [String: String] {
        ["sampler": kind.rawValue, "ridge": "\(ridge)", "anchors": "\(anchorCount)"]
    }

    public func sample(count: Int, seed: UInt64) -> LatentMatrix {
        let d = dimension
        var out = LatentMatrix(count: count, dimension: d)
        var eps = [Double](repeating: 0, count: d)
        out.values.withUnsafeMutableBufferPointer { buffer in
            for k in 0..<count {
                var stream = RandomStream(seed: seed, purpose: "sample.gaussian", index: UInt64(k))
                drawCorrelatedNormal(into: buffer.baseAddress! + k * d, centre: { mean[$0] },
                                     factor: covarianceFactor, dimension: d, stream: &stream, scratch: &eps)
            }
        }
        return out
    }
}
