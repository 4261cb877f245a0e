// Is a sampled population usable? Two failures are common and silent: a collapsed population
// (the decoder ignores its latent, so every sample is nearly the same model) and samples that are
// near copies of training models (the sampler only reproduces its anchors). Both are measured in
// weight space against the typical distance between two training models (the median pairwise
// distance of the novelty reference), so the thresholds mean the same for every zoo:
//
//   spread ratio   = mean pairwise distance among the samples / typical training distance
//                    collapsed when < 0.1 (training models are ten times farther apart than
//                    the samples are from each other)
//   near copy      = a sample whose distance to the nearest training model or anchor is
//                    < 0.2 × the typical training distance (a 2025 re-evaluation of the paper's
//                    released SVHN autoencoder found copies at 8.1 / 50.0 = 0.16 that agreed
//                    with their nearest training model on 95-100% of test predictions)
//
// hz-sample computes these on what it writes; hz-eval on the models it evaluates.
//
// Sizes: K = samples, R = reference rows, A = anchors, P = parameters per model.

import Tensor

/// Collapse and copy diagnostics of one population.
public struct PopulationDiagnostics: Codable, Sendable, Equatable {
    /// Below this spread ratio the population counts as collapsed.
    public static let collapseThreshold = 0.1
    /// Below this relative distance to the nearest training model (or anchor) a sample counts as a near copy.
    public static let nearCopyThreshold = 0.2

    public var population: String
    public var samples: Int
    /// Median pairwise distance between training models (the novelty reference).
    public var typicalTrainingDistance: Double
    /// Mean pairwise distance among the samples (NaN for one sample).
    public var meanPairwiseSampleDistance: Double
    /// meanPairwiseSampleDistance / typicalTrainingDistance.
    public var spreadRatio: Double
    public var collapseThreshold: Double
    public var collapsed: Bool
    /// Per sample: distance to the nearest training model or anchor / typical training distance.
    public var nearestRelativeDistances: [Double]
    public var nearCopyThreshold: Double
    /// Samples whose nearest relative distance is below the threshold.
    public var nearCopies: Int
    /// Plain-language warnings, each with what to try; empty when nothing looks wrong.
    public var warnings: [String]

    /// Measures `samples` `[K * P]` against `reference` (training rows `[R * P]`, R ≥ 2) and
    /// optional `anchors` `[A * P]` (a sampler's own anchors, which a strided reference may miss).
    ///
    /// - Throws: ``NoveltyError`` for NaN or infinite weights.
    public init(population: String, samples: [Float], reference: [Float], anchors: [Float] = [], width p: Int,
                seed: UInt64 = 0) throws {
        let summary = try NoveltySummary(samples: samples, training: reference, width: p, seed: seed)
        var nearest = summary.relativeDistances
        if !anchors.isEmpty {
            if let (row, parameter) = WeightSpaceDistance.firstNonFinite(anchors, width: p) {
                throw NoveltyError.nonFinite(what: "anchors", row: row, parameter: parameter)
            }
            let toAnchors = WeightSpaceDistance.nearest(queries: samples, references: anchors, width: p)
            for k in nearest.indices { nearest[k] = min(nearest[k], toAnchors[k].distance / summary.typicalDistance) }
        }
        self.population = population
        self.samples = samples.count / p
        typicalTrainingDistance = summary.typicalDistance
        meanPairwiseSampleDistance = WeightSpaceDistance.meanPairwiseDistance(samples, width: p, seed: seed)
        spreadRatio = meanPairwiseSampleDistance / typicalTrainingDistance
        collapseThreshold = Self.collapseThreshold
        collapsed = spreadRatio < Self.collapseThreshold
        nearestRelativeDistances = nearest
        nearCopyThreshold = Self.nearCopyThreshold
        nearCopies = nearest.filter { $0 < Self.nearCopyThreshold }.count
        warnings = []
        let ratio = String(format: "%.3f", spreadRatio)
        if collapsed {
            warnings.append("\(population) collapsed: its samples are \(ratio) × the typical distance between training models apart "
                + "(below \(Self.collapseThreshold)), so they are nearly one model. Try: check the autoencoder (hz-train's validation R² "
                + "and decoder-spread warnings; a decoder that ignores its latent decodes every latent to the same model), "
                + "a wider sampler (--bandwidth silverman or a larger number, --sampler kde-joint or neigh), or more anchors (--anchors all).")
        }
        if nearCopies > 0 {
            let median = quantile(sorted: nearest.sorted(), 0.5)
            warnings.append("\(population): \(nearCopies) of \(self.samples) samples are near copies of a training model or anchor "
                + "(closer than \(Self.nearCopyThreshold) × the typical training distance; median \(String(format: "%.3f", median))). "
                + "They are not new models. Try: a larger --bandwidth, or compare with the noise control at the same novelty "
                + "(hz-sample --sampler noise-control --match-novelty THIS.h5) to see whether the sampler adds anything.")
        }
    }
}
