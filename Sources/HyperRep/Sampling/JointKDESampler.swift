// A multivariate Gaussian KDE: pick an anchor, add correlated kernel noise. Unlike S_KDE it keeps
// the anchors' cross-dimension structure; unlike the Gaussian it keeps their multi-modality.
//
// Sizes: N = anchors, D = latent dimension, K = samples.

import Tensor

/// A joint Gaussian kernel density over whole latent vectors.
///
/// Kernel covariance: f²·Σ for Scott/Silverman (Σ the anchors' covariance; scipy's
/// gaussian_kde), or h²·I for a fixed bandwidth (sklearn's KernelDensity). With fewer anchors
/// than dimensions Σ is singular, and a small ridge (reported in ``settings``) makes it factorable.
public struct JointKDESampler: LatentSampler {
    public let kind = SamplerKind.kdeJoint
    public let anchors: LatentMatrix
    public let bandwidthRule: BandwidthRule
    /// L `[D * D]`: Cholesky factor of the kernel covariance.
    public let kernelFactor: [Double]
    /// The ridge added to the kernel covariance's diagonal to factor it (0 when none was needed).
    public let ridge: Double

    public var dimension: Int { anchors.dimension }

    /// Fits the KDE to `anchors` `[N, D]`.
    public init(anchors: LatentMatrix, bandwidth: BandwidthRule = .scott) throws {
        try validateAnchors(anchors, sampler: "kde-joint")
        self.anchors = anchors
        self.bandwidthRule = bandwidth
        let d = anchors.dimension
        var kernel: [Double]
        if let f = bandwidth.factor(pointCount: anchors.count, dimension: d) {
            kernel = anchors.covariance().map { $0 * f * f }
        } else if case .fixed(let h) = bandwidth {
            kernel = [Double](repeating: 0, count: d * d)
            for i in 0..<d { kernel[i * d + i] = h * h }
        } else {
            kernel = []
        }
        (kernelFactor, ridge) = choleskyWithRidge(kernel, order: d)
    }

    public var settings: [String: String] {
        ["sampler": kind.rawValue, "bandwidth": bandwidthRule.description, "ridge": "\(ridge)",
         "anchors": "\(anchors.count)"]
    }

    public func sample(count: Int, seed: UInt64) -> LatentMatrix {
        let d = anchors.dimension
        var out = LatentMatrix(count: count, dimension: d)
        var eps = [Double](repeating: 0, count: d)
        out.values.withUnsafeMutableBufferPointer { buffer in
            for k in 0..<count {
                var stream = RandomStream(seed: seed, purpose: "sample.kde-joint", index: UInt64(k))
                let i = stream.nextInt(below: anchors.count)
                drawCorrelatedNormal(into: buffer.baseAddress! + k * d,
                                     centre: { Double(anchors[i, $0]) },
                                     factor: kernelFactor, dimension: d, stream: &stream, scratch: &eps)
            }
        }
        return out
    }
}
