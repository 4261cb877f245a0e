// S_Neigh: sample in a low-dimensional map of the anchors' neighbourhood, then go back to the
// latent space.
//
// Sizes: N = anchors, D = latent dimension, M = map dimension (default 3), K = samples.
//
// The official code maps anchors with UMAP (3 components), draws uniformly in the cube spanned
// by the mapped anchors and returns through `umap.inverse_transform`. hyperzoo uses PCA
// instead: the map is y = Vᵀ(z − μ) with V the top M principal directions of the anchors, and
// the way back is its exact linear inverse z = μ + V·y. Why: PCA is deterministic and has a true
// inverse (UMAP's inverse_transform is an approximate interpolation between training points whose
// result depends on UMAP's own stochastic optimisation); it needs no external library; and the
// region it samples, a box around the anchors in their M main directions of variation, is
// exactly the "neighbourhood of the anchors" the method aims at. What it loses: the samples
// lie in an M-dimensional affine subspace, so variation outside the top M directions is absent.
// The box is per component by default (each principal axis spans its own anchor range); the
// paper's single cube [min, max]^M over all components is available as `BoxShape.cube`.

import Tensor

/// S_Neigh with a PCA map: uniform in the box of the anchors' top principal components.
public struct NeighbourhoodSampler: LatentSampler {
    /// The region sampled in the map.
    public enum BoxShape: String, Sendable, Codable {
        /// [min_m, max_m] per principal component m.
        case perComponent = "per-component"
        /// One cube [min, max]^M with min/max over all components jointly (the official code).
        case cube
    }

    public let kind = SamplerKind.neigh
    /// μ `[D]`: the anchors' mean.
    public let mean: [Double]
    /// V `[D * M]` row-major: column m is the m-th principal direction.
    public let components: [Double]
    /// Variance of the anchors along each component `[M]`, descending.
    public let componentVariances: [Double]
    /// Lower and upper corner of the sampled box in the map `[M]` each.
    public let lower: [Double]
    public let upper: [Double]
    public let mapDimension: Int
    public let dimension: Int
    public let boxShape: BoxShape
    public let anchorCount: Int

    /// Fits the PCA map to `anchors` `[N, D]`.
    /// - Parameters:
    ///   - mapDimension: M, the number of principal components (≤ D); the official code used 3.
    public init(anchors: LatentMatrix, mapDimension: Int = 3, box: BoxShape = .perComponent) throws {
        try validateAnchors(anchors, sampler: "neigh")
        let d = anchors.dimension
        guard mapDimension >= 1, mapDimension <= d else {
            throw SamplingError.invalidSetting("neigh: map dimension \(mapDimension) must be between 1 and the latent dimension \(d)")
        }
        let m = mapDimension
        dimension = d
        self.mapDimension = m
        boxShape = box
        anchorCount = anchors.count
        mean = anchors.columnMeans()
        let (values, vectors) = symmetricEigen(anchors.covariance(), order: d)
        var v = [Double](repeating: 0, count: d * m)
        for i in 0..<d { for c in 0..<m { v[i * m + c] = vectors[i * d + c] } }
        components = v
        componentVariances = Array(values.prefix(m)).map { max($0, 0) }
        let projected = Self.project(anchors, mean: mean, components: v, mapDimension: m)
        var lo = [Double](repeating: .infinity, count: m), hi = [Double](repeating: -.infinity, count: m)
        for row in projected {
            for c in 0..<m { lo[c] = min(lo[c], row[c]); hi[c] = max(hi[c], row[c]) }
        }
        if box == .cube {
            let a = lo.min()!, b = hi.max()!
            lo = [Double](repeating: a, count: m); hi = [Double](repeating: b, count: m)
        }
        lower = lo
        upper = hi
    }

    public var settings: [String: String] {
        ["sampler": kind.rawValue, "map": "pca", "map_dimension": "\(mapDimension)",
         "box": boxShape.rawValue, "anchors": "\(anchorCount)",
         "explained_variance": componentVariances.map { "\($0)" }.joined(separator: ",")]
    }

    /// The map: y = Vᵀ(z − μ) for each row of `latents` `[N, D]`; returns N rows of M values.
    public func map(_ latents: LatentMatrix) -> [[Double]] {
        Self.project(latents, mean: mean, components: components, mapDimension: mapDimension)
    }

    /// The way back: z = μ + V·y for a map point `y` `[M]`; returns `[D]`.
    public func inverse(_ y: [Double]) -> [Float] {
        (0..<dimension).map { i in
            var s = mean[i]
            for c in 0..<mapDimension { s += components[i * mapDimension + c] * y[c] }
            return Float(s)
        }
    }

    public func sample(count: Int, seed: UInt64) -> LatentMatrix {
        var out = LatentMatrix(count: count, dimension: dimension)
        var y = [Double](repeating: 0, count: mapDimension)
        for k in 0..<count {
            var stream = RandomStream(seed: seed, purpose: "sample.neigh", index: UInt64(k))
            for c in 0..<mapDimension { y[c] = lower[c] + (upper[c] - lower[c]) * stream.nextDouble() }
            let z = inverse(y)
            for i in 0..<dimension { out[k, i] = z[i] }
        }
        return out
    }

    static func project(_ latents: LatentMatrix, mean: [Double], components v: [Double], mapDimension m: Int) -> [[Double]] {
        let d = latents.dimension
        return (0..<latents.count).map { r in
            var y = [Double](repeating: 0, count: m)
            for i in 0..<d {
                let c = Double(latents[r, i]) - mean[i]
                for j in 0..<m { y[j] += v[i * m + j] * c }
            }
            return y
        }
    }
}
