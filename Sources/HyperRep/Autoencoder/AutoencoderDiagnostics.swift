// What a finished training run says about itself, so that a failed run is called failed: whether
// the held-out R² is above 0 and still improving, and whether the decoder uses its latent at all.
// hz-train prints the warnings with what to try, adds them to its --json output, and stores them in
// the AE file (/training@diagnostics, JSON) for later stages and reports.
//
// Decoder spread ratio. Encode the training rows (eval mode), decode the latents, and compare how
// far the decoded rows lie from their centroid with how far the rows themselves do, per layer:
//     ratio_l = sqrt( Σ_i ‖d_i,l − mean_i d_i,l‖² / Σ_i ‖x_i,l − mean_i x_i,l‖² )
// and the overall ratio is the mean over layers (every layer counts the same, as in the
// layer-wise loss). A decoder that ignores its latent gives (almost) the same row for every model:
// ratio ≈ 0. One that reconstructs well gives ratio ≈ 1; a decoder that predicts the conditional
// mean explains about ratio² of the variance, so ratio < 0.1 means the decoded models spread by
// less than 1 % of the zoo's variance: sampled models would be near copies of one model.
//
// R² trend. The window is the last quarter of the epochs (at least 2); the trend is the best
// validation R² inside the window minus the best before it. Below 0.001 it is "not improving"
// (needs at least 4 epochs with validation).
//
// Size legend: N = training rows used (at most `spreadRowLimit`), P = parameters per row.
import Foundation

/// Diagnostics of a finished autoencoder run (stored as JSON in /training@diagnostics).
public struct AutoencoderDiagnostics: Codable, Sendable, Equatable {
    /// One problem found, with what to try.
    public struct Warning: Codable, Sendable, Equatable {
        /// Stable identifier: `validation_r2_negative`, `validation_r2_not_improving`, `decoder_collapse`.
        public var code: String
        public var message: String
        public var advice: String
    }

    /// Below this decoder spread ratio the decoder counts as collapsed (see the file header).
    public static let collapseThreshold: Float = 0.1
    /// The smallest gain of the best validation R² in the last window that counts as improving.
    public static let minimumImprovement: Float = 1e-3
    /// At most this many training rows (evenly spaced) are encoded and decoded for the spread.
    public static let spreadRowLimit = 2048

    /// Epochs the AE has been trained in total.
    public var epochs: Int
    /// Validation R² of the last epoch and the best of all epochs (nil without validation rows).
    public var validationRSquared: Float?
    public var validationRSquaredBest: Float?
    /// Epochs in the trend window, and best R² in it minus best before it (nil below 4 epochs).
    public var trendEpochs: Int?
    public var validationRSquaredTrend: Float?
    /// Decoded spread / row spread, mean over layers, and per layer (see the file header).
    public var decoderSpreadRatio: Float
    public var decoderSpreadRatioPerLayer: [Float]
    /// Training rows the spread was measured on.
    public var spreadRows: Int
    public var collapseThreshold: Float
    public var warnings: [Warning]

    /// Measures `model` after training with `history` on `rows` [count, P] (the training rows).
    public init(model: Autoencoder, history: [AutoencoderEpochMetrics], trainRows rows: [Float], count: Int,
                layerRanges: [Range<Int>]) {
        epochs = history.last?.epoch ?? 0
        collapseThreshold = Self.collapseThreshold
        let validated = history.filter { $0.validationRSquared.isFinite }
        validationRSquared = validated.last?.validationRSquared
        validationRSquaredBest = validated.map(\.validationRSquared).max()
        if validated.count >= 4 {
            let window = max(2, validated.count / 4)
            let before = validated.dropLast(window).map(\.validationRSquared).max()!
            let inside = validated.suffix(window).map(\.validationRSquared).max()!
            trendEpochs = window
            validationRSquaredTrend = inside - before
        }
        let spread = Self.decoderSpread(model: model, rows: rows, count: count, layerRanges: layerRanges)
        decoderSpreadRatio = spread.ratio
        decoderSpreadRatioPerLayer = spread.perLayer
        spreadRows = spread.rows
        warnings = []
        warnings = findWarnings()
    }

    private func findWarnings() -> [Warning] {
        var found: [Warning] = []
        if let r2 = validationRSquared, r2 < 0 {
            found.append(Warning(
                code: "validation_r2_negative",
                message: String(format: "validation R² is %.4f after %d epochs: the AE reconstructs held-out models worse than the training models' mean would", r2, epochs),
                advice: "train longer (--epochs), raise --lr (e.g. 5e-4 to 1e-3), train on more models or checkpoints (--zoo-epochs), and check that the zoo's models have left their initialisation"))
        }
        if let trend = validationRSquaredTrend, let window = trendEpochs, trend < Self.minimumImprovement {
            found.append(Warning(
                code: "validation_r2_not_improving",
                message: String(format: "validation R² did not improve in the last %d epochs (best in them minus best before: %+.4f)", window, trend),
                advice: "if R² is already high the run has converged and more epochs will not help; if it fell, lower --lr or add augmentation (--erase, --noise) against overfitting; if it is flat and low, raise --lr"))
        }
        if decoderSpreadRatio.isNaN || decoderSpreadRatio < Self.collapseThreshold {
            found.append(Warning(
                code: "decoder_collapse",
                message: String(format: "the decoder barely uses its latent: decoded training models spread %.3f× as much as the models themselves (collapse below %.2f), so sampled models will be near copies of one model", decoderSpreadRatio, Self.collapseThreshold),
                advice: "train longer or with a higher --lr, lower --weight-decay and --dropout, lower --gamma (less contrastive weight), or use a larger --latent"))
        }
        return found
    }

    /// The decoder spread ratio on at most `spreadRowLimit` evenly spaced rows of `rows` [count, P].
    static func decoderSpread(model: Autoencoder, rows: [Float], count: Int, layerRanges: [Range<Int>])
        -> (ratio: Float, perLayer: [Float], rows: Int) {
        let P = model.parameterCount
        let N = min(count, spreadRowLimit)
        guard N >= 2 else { return (.nan, [], N) }
        var picked = [Float](repeating: 0, count: N * P)
        for i in 0..<N {
            let r = i * count / N
            for k in 0..<P { picked[i * P + k] = rows[r * P + k] }
        }
        let decoded = model.decode(latents: model.encode(rows: picked, count: N), count: N)
        // Σ_i ‖y_i − ȳ‖² over the columns of one layer.
        func scatter(_ y: [Float], _ r: Range<Int>) -> Double {
            var total = 0.0
            for k in r {
                var sum = 0.0, sq = 0.0
                for i in 0..<N { let v = Double(y[i * P + k]); sum += v; sq += v * v }
                total += max(sq - sum * sum / Double(N), 0)
            }
            return total
        }
        let perLayer = layerRanges.map { r -> Float in
            let original = scatter(picked, r)
            return original > 0 ? Float((scatter(decoded, r) / original).squareRoot()) : .nan
        }
        let finite = perLayer.filter { $0.isFinite }
        return (finite.isEmpty ? .nan : finite.reduce(0, +) / Float(finite.count), perLayer, N)
    }
}
