// One `hz-train reconstruct` as a library call: encode and decode a zoo's checkpoints through an
// autoencoder (eval mode), then measure how well the reconstructions match in weight space (R²
// overall and per layer, with the AE's own loss and in plain units) and in function (test
// accuracy of every original next to its reconstruction, on the same images). This is the
// paper's layer-wise-normalisation experiment (GHRP §4).
import Foundation
import Nets
import ZooStore

/// What to reconstruct.
public struct ReconstructionRequest: Sendable {
    /// The AE file (hyperzoo.ae) and the zoo the checkpoints come from.
    public var ae: String, zoo: String
    /// The models' split, and only these checkpoint epochs (nil: every stored one), with the
    /// list as the user wrote it (e.g. "1-4") for messages.
    public var split: Split = .test
    public var epochs: Set<Int>?
    public var epochsText: String?
    /// Models evaluated concurrently.
    public var threads = 1

    public init(ae: String, zoo: String) { self.ae = ae; self.zoo = zoo }
}

/// The reconstruct subcommand's work.
public enum ReconstructionRun {
    /// Reconstructs the selected checkpoints and measures them.
    /// - Parameters:
    ///   - readers: the dataset file readers HyperRep cannot import (the zoo's test images).
    ///   - progress: (models evaluated, total) while originals and reconstructions are evaluated, then nil.
    /// - Returns: the report and the reconstructed rows `[N * P]`, in selection order.
    /// - Throws: ``AutoencoderError`` for an AE of another parameter table or an empty selection,
    ///   the recipe's ``EvaluationError`` or the readers' errors.
    public static func run(_ r: ReconstructionRequest, readers: DatasetReaders,
                           progress: ((Int, Int)?) -> Void = { _ in }) throws -> (report: ReconstructionReport, rows: [Float]) {
        let (model, state) = try AutoencoderCheckpoint.load(path: r.ae)
        let reader = try ZooReader(path: r.zoo, formats: [.zoo])
        defer { reader.close() }
        let recipe = try ZooRecipe(zoo: reader)
        guard reader.table == model.config.table else {
            throw AutoencoderError("\(r.zoo): its parameter table differs from the one \(r.ae) was trained on")
        }
        let indices = reader.select(split: r.split, epochs: r.epochs)
        guard !indices.isEmpty else {
            throw AutoencoderError("\(r.zoo): no \(r.split.rawValue)-split checkpoints\(r.epochsText.map { " at epochs \($0)" } ?? "") to reconstruct")
        }
        let P = model.parameterCount, N = indices.count
        let originals = try reader.readRows(indices: indices)
        let reconstructed = model.decode(latents: model.encode(rows: originals, count: N), count: N)
        let report = ReconstructionReport(
            ae: r.ae, zoo: r.zoo, split: r.split.rawValue, epochs: Array(Set(indices.map { reader.epoch[$0] })).sorted(), checkpoints: N,
            layers: reader.table.layers.map(\.prefix), normalizedLoss: state.map { $0.options.normalizeLoss },
            fit: state.map { ReconstructionReport.Fit(loss: $0.objective.reconstruction, output: reconstructed, target: originals,
                                                      rows: N, parameters: P) },
            accuracy: try accuracies(originals: originals, reconstructed: reconstructed, rows: N, recipe: recipe,
                                     readers: readers, threads: r.threads, progress: progress),
            storedTestAccuracy: indices.map { reader.metricColumns[.testAccuracy]![$0] })
        return (report, reconstructed)
    }

    /// Test accuracy of each original and each reconstruction on the zoo's test images.
    static func accuracies(originals: [Float], reconstructed: [Float], rows N: Int, recipe: ZooRecipe, readers: DatasetReaders,
                           threads: Int, progress: ((Int, Int)?) -> Void) throws -> ReconstructionReport.Accuracy {
        let P = recipe.architecture.parameterCount
        let test = try recipe.loadData(readers: readers).test
        func rows(_ flat: [Float]) -> [[Float]] { (0..<N).map { Array(flat[($0 * P)..<(($0 + 1) * P)]) } }
        // In chunks of a few models per thread, so that a bar (on a terminal) can show progress.
        let all = rows(originals) + rows(reconstructed)
        let chunk = 4 * max(1, threads)
        var evaluated: [Float] = []
        for start in stride(from: 0, to: all.count, by: chunk) {
            evaluated += evaluate(rows: Array(all[start..<min(start + chunk, all.count)]), architecture: recipe.architecture,
                                  dataset: test, threads: threads).map(\.accuracy)
            progress((evaluated.count, all.count))
        }
        progress(nil)
        return .init(images: .init(dataset: recipe.datasetName, split: "test", count: test.count),
                     original: Array(evaluated[..<N]), reconstructed: Array(evaluated[N...]))
    }
}

/// What `hz-train reconstruct` measures (its --json output).
public struct ReconstructionReport: Encodable, Sendable {
    /// R² of the reconstructions: with the AE's own loss and in plain per-parameter units.
    public struct Fit: Encodable, Sendable {
        public var rSquared: Float
        public var rSquaredPlain: Float
        public var rSquaredPerLayer: [Float]

        public init(loss: ReconstructionLoss, output: [Float], target: [Float], rows N: Int, parameters P: Int) {
            let own = loss.evaluate(output: output, target: target, rows: N, parameters: P, gradient: nil)
            let plain = loss.plainEquivalent.evaluate(output: output, target: target, rows: N, parameters: P, gradient: nil)
            rSquared = own.rSquared
            rSquaredPlain = plain.rSquared
            rSquaredPerLayer = plain.rSquaredPerLayer
        }
    }

    /// The images both originals and reconstructions were evaluated on.
    public struct Images: Encodable, Sendable {
        public var dataset: String
        public var split: String
        public var count: Int
    }

    /// Test accuracy per checkpoint, in selection order, originals and reconstructions on the same images.
    public struct Accuracy: Encodable, Sendable {
        public var images: Images
        public var original: [Float]
        public var reconstructed: [Float]
        public var meanOriginal: Float { original.reduce(0, +) / Float(max(original.count, 1)) }
        public var meanReconstructed: Float { reconstructed.reduce(0, +) / Float(max(reconstructed.count, 1)) }

        enum CodingKeys: String, CodingKey { case images, original, reconstructed, meanOriginal, meanReconstructed }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(images, forKey: .images)
            try c.encode(original, forKey: .original)
            try c.encode(reconstructed, forKey: .reconstructed)
            try c.encode(meanOriginal, forKey: .meanOriginal)
            try c.encode(meanReconstructed, forKey: .meanReconstructed)
        }
    }

    public var ae: String, zoo: String, split: String
    public var epochs: [Int]
    public var checkpoints: Int
    public var layers: [String]
    /// Whether the AE was trained with layer-wise normalisation (nil: imported, no training state).
    public var normalizedLoss: Bool?
    public var fit: Fit?
    public var accuracy: Accuracy
    /// The test accuracy the zoo recorded for each checkpoint (a check on the evaluation above; it
    /// may come from other images, e.g. a converted zoo's own evaluation).
    public var storedTestAccuracy: [Float]
    /// Largest |stored − original| over the checkpoints.
    public var storedMaxDifference: Float {
        zip(storedTestAccuracy, accuracy.original).map { abs($0 - $1) }.max() ?? 0
    }
    /// Whether the recorded accuracies are those of the originals on these images (within 1e-4).
    public var storedMatchesOriginal: Bool { storedMaxDifference <= 1e-4 }

    enum CodingKeys: String, CodingKey {
        case ae, zoo, split, epochs, checkpoints, layers, normalizedLoss, fit, accuracy, storedTestAccuracy
        case storedMaxDifference, storedMatchesOriginal
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ae, forKey: .ae); try c.encode(zoo, forKey: .zoo); try c.encode(split, forKey: .split)
        try c.encode(epochs, forKey: .epochs); try c.encode(checkpoints, forKey: .checkpoints); try c.encode(layers, forKey: .layers)
        try c.encodeIfPresent(normalizedLoss, forKey: .normalizedLoss); try c.encodeIfPresent(fit, forKey: .fit)
        try c.encode(accuracy, forKey: .accuracy); try c.encode(storedTestAccuracy, forKey: .storedTestAccuracy)
        try c.encode(storedMaxDifference, forKey: .storedMaxDifference); try c.encode(storedMatchesOriginal, forKey: .storedMatchesOriginal)
    }

    /// The lines hz-train reconstruct prints without --json.
    public var summary: String {
        var lines = ["\(checkpoints) \(split)-split checkpoints (epochs \(epochs.map(String.init).joined(separator: ","))) of \(zoo) through \(ae)"]
        if let fit {
            let kind = normalizedLoss == true ? "layer-normalised" : "plain MSE"
            lines.append(String(format: "R² %.4f (own %@ loss), %.4f per parameter", fit.rSquared, kind, fit.rSquaredPlain))
            lines.append("R² per layer: " + zip(layers, fit.rSquaredPerLayer).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: ", "))
        }
        lines.append(String(format: "accuracy on the same %d %@-split images of %@: originals %.2f%%, reconstructions %.2f%%",
                            accuracy.images.count, accuracy.images.split, accuracy.images.dataset,
                            accuracy.meanOriginal * 100, accuracy.meanReconstructed * 100))
        if !storedMatchesOriginal {
            lines.append(String(format: "note: the zoo's recorded test accuracy differs from the originals' here by up to %.4f: it was measured on other images; compare originals with reconstructions only", storedMaxDifference))
        }
        return lines.joined(separator: "\n")
    }
}
