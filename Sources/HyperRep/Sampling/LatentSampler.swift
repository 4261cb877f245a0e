// What every latent-space sampler is: fitted to anchor latents once, then asked for any number
// of samples under a seed. Sampling is a pure function of (fitted sampler, count, seed): the
// same call returns the same matrix bit for bit, on any machine and any number of cores.

import Tensor
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The samplers hyperzoo offers, by their command-line names.
public enum SamplerKind: String, CaseIterable, Sendable, Codable {
    /// S_KDE: one Gaussian kernel density per latent dimension (``PerDimensionKDESampler``).
    case kde
    /// A multivariate Gaussian KDE over whole latent vectors (``JointKDESampler``).
    case kdeJoint = "kde-joint"
    /// One Gaussian with the anchors' mean and full covariance (``GaussianSampler``).
    case gaussian
    /// S_Neigh: uniform in a low-dimensional PCA map of the anchors, mapped back (``NeighbourhoodSampler``).
    case neigh
    /// S_U: uniform in a box (``UniformSampler``).
    case uniform
}

/// A distribution over latent vectors, fitted to anchors, that draws reproducible samples.
public protocol LatentSampler: Sendable {
    /// Which sampler this is.
    var kind: SamplerKind { get }
    /// D: the latent dimension of the samples.
    var dimension: Int { get }
    /// Everything needed to describe the fitted sampler in a report or a population file
    /// (bandwidths, ridge, box, seeding mode...), as sorted key/value strings.
    var settings: [String: String] { get }
    /// `count` samples `[count, dimension]`; a pure function of (self, count, seed).
    func sample(count: Int, seed: UInt64) -> LatentMatrix
}

/// How a kernel bandwidth is chosen.
///
/// The automatic rules follow scipy.stats.gaussian_kde: a factor f times the data's standard
/// deviation (1-D) or f² times its covariance (joint), with Scott's f = N^(−1/(D+4)) and
/// Silverman's f = (N·(D+2)/4)^(−1/(D+4)). `fixed(h)` is sklearn's `KernelDensity(bandwidth: h)`:
/// an absolute, isotropic kernel standard deviation (the paper's S_KDE used h = 0.002).
public enum BandwidthRule: Sendable, Equatable, CustomStringConvertible {
    case scott
    case silverman
    case fixed(Double)

    /// Parses `scott`, `silverman` or a positive number.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "scott": self = .scott
        case "silverman": self = .silverman
        default:
            guard let h = Double(text), h > 0, h.isFinite else { return nil }
            self = .fixed(h)
        }
    }

    public var description: String {
        switch self {
        case .scott: "scott"
        case .silverman: "silverman"
        case .fixed(let h): "\(h)"
        }
    }

    /// The scale factor f for N points in D dimensions (nil for `fixed`).
    public func factor(pointCount n: Int, dimension d: Int) -> Double? {
        let nn = Double(max(n, 1)), dd = Double(d)
        switch self {
        case .scott: return pow(nn, -1 / (dd + 4))
        case .silverman: return pow(nn * (dd + 2) / 4, -1 / (dd + 4))
        case .fixed: return nil
        }
    }
}

/// Why a sampler could not be fitted.
public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case noAnchors(sampler: String)
    case tooFewAnchors(sampler: String, needed: Int, found: Int)
    case nonFiniteAnchor(row: Int, column: Int)
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .noAnchors(let s): "\(s): no anchors to fit (select at least one training model)"
        case .tooFewAnchors(let s, let needed, let found):
            "\(s): needs at least \(needed) anchors, found \(found) (select more training models)"
        case .nonFiniteAnchor(let r, let c): "anchor \(r), latent dimension \(c): value is NaN or infinite"
        case .invalidSetting(let text): text
        }
    }
}

/// Checks anchors are non-empty and finite.
func validateAnchors(_ anchors: LatentMatrix, sampler: String, minimum: Int = 1) throws {
    if anchors.count == 0 { throw SamplingError.noAnchors(sampler: sampler) }
    if anchors.count < minimum {
        throw SamplingError.tooFewAnchors(sampler: sampler, needed: minimum, found: anchors.count)
    }
    for (k, v) in anchors.values.enumerated() where !v.isFinite {
        throw SamplingError.nonFiniteAnchor(row: k / anchors.dimension, column: k % anchors.dimension)
    }
}

/// z[k] = mean + L·ε with ε ~ N(0, I) drawn from `stream`; writes `dimension` values at `out`.
///
/// - Parameters:
///   - out: `[D]` destination.
///   - centre: `[D]`.
///   - factor: L `[D * D]` lower-triangular.
@inline(__always)
func drawCorrelatedNormal(into out: UnsafeMutablePointer<Float>, centre: (Int) -> Double,
                          factor l: [Double], dimension d: Int, stream: inout RandomStream,
                          scratch eps: inout [Double]) {
    for j in 0..<d { eps[j] = stream.nextNormalDouble() }
    for i in 0..<d {
        var s = centre(i)
        for k in 0...i { s += l[i * d + k] * eps[k] }
        out[i] = Float(s)
    }
}
