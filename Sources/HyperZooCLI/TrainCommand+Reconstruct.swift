// `hz-train reconstruct`: how well an autoencoder reproduces a zoo's models, in weight space (R²
// overall and per layer) and in function (test accuracy of every original next to its
// reconstruction). This is the paper's layer-wise-normalisation experiment (GHRP §4): decode the
// held-out models and compare their accuracy with the originals'.
import ArgumentParser
import Formats
import Foundation
import HyperRep
import Nets
import ZooStore

extension TrainCommand {
    /// `hz-train reconstruct`: encode and decode zoo checkpoints, then compare them with the originals.
    public struct Reconstruct: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "reconstruct",
            abstract: "Reconstruct zoo checkpoints through the AE (eval mode); report R² overall and per layer, and test accuracy of originals vs reconstructions.",
            discussion: """
            The selected checkpoints (by default the test split of the zoo's models: models the AE never saw) are encoded and decoded. R² is 1 − loss / (loss of predicting the training mean), as the paper defines it, with the AE's own reconstruction loss (layer-normalised or plain, as trained) and, comparable across AEs, in plain per-parameter units. An imported AE without training state has no R² reference, so only accuracies are reported.

            Originals and reconstructions are evaluated on the same images: the test split of the zoo's dataset as its recipe loads it (with the recipe's limits); the report names the dataset, split and image count (accuracy.images). The accuracy the zoo recorded for each checkpoint is shown beside it as a check (storedTestAccuracy); when it differs from the originals evaluated here (storedMatchesOriginal false), it was measured on other images, and only original vs reconstructed is a like-for-like comparison.

            Examples:
              hz-train reconstruct ae.h5 zoo.h5 --split test --epochs 4 -o recon.json
              hz-train reconstruct ae.h5 zoo.h5 --split val --rows recon.npy --json
            """)

        @Argument(help: ArgumentHelp("The AE file (hyperzoo.ae).", valueName: "ae"))
        public var ae: String
        @Argument(help: ArgumentHelp("The zoo file the checkpoints come from (hyperzoo.zoo, made by hz-zoo).", valueName: "zoo"))
        public var zoo: String
        @Option(help: ArgumentHelp("Split of the models to reconstruct: train, val or test.", valueName: "split"))
        public var split: String = "test"
        @Option(help: ArgumentHelp("Only these checkpoint epochs, e.g. '4' or '1-4' (default: all stored).", valueName: "list"))
        public var epochs: String?
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the report (the --json object) to this file, atomically.", valueName: "path"))
        public var output: String?
        @Option(help: ArgumentHelp("Also write the reconstructed rows here (float32 .npy [N, P]).", valueName: "path"))
        public var rows: String?
        @Option(help: ArgumentHelp("Models evaluated concurrently.", valueName: "n"))
        public var threads: Int = defaultThreadCount()
        @Flag(help: "Replace an existing --output or --rows.")
        public var force = false
        @Flag(help: "Print the result as JSON on stdout.")
        public var json = false

        public init() {}

        public func validate() throws {
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
            if Split(rawValue: split) == nil { throw ValidationError("--split must be train, val or test, not '\(split)'") }
            if let output, output.hasSuffix(".npy") {
                throw ValidationError("--output \(output): -o/--output is the JSON report; write the reconstructed rows with --rows \(output)")
            }
        }

        public func run() throws {
            try TrainCommand.reporting("reconstruct") {
                if let output { try TrainCommand.refuseExistingOutput(output, force: force) }
                if let rows { try TrainCommand.refuseExistingOutput(rows, force: force) }
                let (model, state) = try AutoencoderCheckpoint.load(path: ae)
                let reader = try ZooReader(path: zoo, formats: [.zoo])
                defer { reader.close() }
                let recipe = try ZooRecipe(zoo: reader, options: RecipeOptions.parse([]))  // defaults: a bare RecipeOptions() cannot be read
                guard reader.table == model.config.table else {
                    throw AutoencoderError("\(zoo): its parameter table differs from the one \(ae) was trained on")
                }
                let indices = reader.select(split: Split(rawValue: split), epochs: try epochs.map { try ConvertCommand.parseEpochs($0) })
                guard !indices.isEmpty else {
                    throw AutoencoderError("\(zoo): no \(split)-split checkpoints\(epochs.map { " at epochs \($0)" } ?? "") to reconstruct")
                }
                let P = model.parameterCount, N = indices.count
                let originals = try reader.readRows(indices: indices)
                let reconstructed = model.decode(latents: model.encode(rows: originals, count: N), count: N)
                if let rows { try NumpyArray.writeFloat32(reconstructed, shape: [N, P], to: rows) }

                let result = ReconstructionReport(
                    ae: ae, zoo: zoo, split: split, epochs: Array(Set(indices.map { reader.epoch[$0] })).sorted(), checkpoints: N,
                    layers: reader.table.layers.map(\.prefix), normalizedLoss: state.map { $0.options.normalizeLoss },
                    fit: state.map { ReconstructionReport.Fit(loss: $0.objective.reconstruction, output: reconstructed, target: originals,
                                                              rows: N, parameters: P) },
                    accuracy: try accuracies(originals: originals, reconstructed: reconstructed, rows: N, recipe: recipe),
                    storedTestAccuracy: indices.map { reader.metricColumns[.testAccuracy]![$0] })
                let report = try JSONEncoder.sortedNonFinite().encode(result)
                if let output {
                    let file = try AtomicOutput(path: output, overwrite: force)
                    do {
                        try report.write(to: URL(fileURLWithPath: file.partialPath))
                        try file.commit()
                    } catch {
                        file.discard()
                        throw error
                    }
                }
                if json {
                    print(String(decoding: report, as: UTF8.self))
                } else {
                    print(result.summary)
                    if let output { print("report → \(output)") }
                }
            }
        }

        /// Test accuracy of each original and each reconstruction on the zoo's test images.
        private func accuracies(originals: [Float], reconstructed: [Float], rows N: Int, recipe: ZooRecipe) throws
            -> ReconstructionReport.Accuracy {
            let P = recipe.architecture.parameterCount
            let test = try recipe.loadData().test
            func rows(_ flat: [Float]) -> [[Float]] { (0..<N).map { Array(flat[($0 * P)..<(($0 + 1) * P)]) } }
            // In chunks of a few models per thread, so that a bar (on a terminal) can show progress.
            let all = rows(originals) + rows(reconstructed)
            let chunk = 4 * max(1, threads)
            let bar = ProgressBar(label: "evaluating originals and reconstructions", unit: "models")
            var evaluated: [Float] = []
            for start in stride(from: 0, to: all.count, by: chunk) {
                evaluated += evaluate(rows: Array(all[start..<min(start + chunk, all.count)]), architecture: recipe.architecture,
                                      dataset: test, threads: threads).map(\.accuracy)
                bar.update(evaluated.count, of: all.count)
            }
            bar.finish()
            return .init(images: .init(dataset: recipe.datasetName, split: "test", count: test.count),
                         original: Array(evaluated[..<N]), reconstructed: Array(evaluated[N...]))
        }
    }
}

/// What `hz-train reconstruct` measures (its --json output).
struct ReconstructionReport: Encodable {
    /// R² of the reconstructions: with the AE's own loss and in plain per-parameter units.
    struct Fit: Encodable {
        var rSquared: Float
        var rSquaredPlain: Float
        var rSquaredPerLayer: [Float]

        init(loss: ReconstructionLoss, output: [Float], target: [Float], rows N: Int, parameters P: Int) {
            let own = loss.evaluate(output: output, target: target, rows: N, parameters: P, gradient: nil)
            let plain = loss.plainEquivalent.evaluate(output: output, target: target, rows: N, parameters: P, gradient: nil)
            rSquared = own.rSquared
            rSquaredPlain = plain.rSquared
            rSquaredPerLayer = plain.rSquaredPerLayer
        }
    }

    /// The images both originals and reconstructions were evaluated on.
    struct Images: Encodable {
        var dataset: String
        var split: String
        var count: Int
    }

    /// Test accuracy per checkpoint, in selection order, originals and reconstructions on the same images.
    struct Accuracy: Encodable {
        var images: Images
        var original: [Float]
        var reconstructed: [Float]
        var meanOriginal: Float { original.reduce(0, +) / Float(max(original.count, 1)) }
        var meanReconstructed: Float { reconstructed.reduce(0, +) / Float(max(reconstructed.count, 1)) }

        enum CodingKeys: String, CodingKey { case images, original, reconstructed, meanOriginal, meanReconstructed }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(images, forKey: .images)
            try c.encode(original, forKey: .original)
            try c.encode(reconstructed, forKey: .reconstructed)
            try c.encode(meanOriginal, forKey: .meanOriginal)
            try c.encode(meanReconstructed, forKey: .meanReconstructed)
        }
    }

    var ae: String, zoo: String, split: String
    var epochs: [Int]
    var checkpoints: Int
    var layers: [String]
    /// Whether the AE was trained with layer-wise normalisation (nil: imported, no training state).
    var normalizedLoss: Bool?
    var fit: Fit?
    var accuracy: Accuracy
    /// The test accuracy the zoo recorded for each checkpoint (a check on the evaluation above; it
    /// may come from other images, e.g. a converted zoo's own evaluation).
    var storedTestAccuracy: [Float]
    /// Largest |stored − original| over the checkpoints.
    var storedMaxDifference: Float {
        zip(storedTestAccuracy, accuracy.original).map { abs($0 - $1) }.max() ?? 0
    }
    /// Whether the recorded accuracies are those of the originals on these images (within 1e-4).
    var storedMatchesOriginal: Bool { storedMaxDifference <= 1e-4 }

    enum CodingKeys: String, CodingKey {
        case ae, zoo, split, epochs, checkpoints, layers, normalizedLoss, fit, accuracy, storedTestAccuracy
        case storedMaxDifference, storedMatchesOriginal
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ae, forKey: .ae); try c.encode(zoo, forKey: .zoo); try c.encode(split, forKey: .split)
        try c.encode(epochs, forKey: .epochs); try c.encode(checkpoints, forKey: .checkpoints); try c.encode(layers, forKey: .layers)
        try c.encodeIfPresent(normalizedLoss, forKey: .normalizedLoss); try c.encodeIfPresent(fit, forKey: .fit)
        try c.encode(accuracy, forKey: .accuracy); try c.encode(storedTestAccuracy, forKey: .storedTestAccuracy)
        try c.encode(storedMaxDifference, forKey: .storedMaxDifference); try c.encode(storedMatchesOriginal, forKey: .storedMatchesOriginal)
    }

    var summary: String {
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
