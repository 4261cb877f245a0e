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
        public var split: Split = .test
        @Option(help: ArgumentHelp("Only these checkpoint epochs, e.g. '4' or '1-4' (default: all stored).", valueName: "list"),
                transform: EpochSelection.parser("--epochs"))
        var epochs: EpochSelection?
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
            if let output, output.hasSuffix(".npy") {
                throw ValidationError("--output \(output): -o/--output is the JSON report; write the reconstructed rows with --rows \(output)")
            }
        }

        public func run() throws {
            try TrainCommand.reporting("reconstruct") {
                if let output { try TrainCommand.refuseExistingOutput(output, force: force) }
                if let rows { try TrainCommand.refuseExistingOutput(rows, force: force) }
                var request = ReconstructionRequest(ae: ae, zoo: zoo)
                request.split = split; request.threads = threads
                request.epochs = epochs?.epochs; request.epochsText = epochs?.text
                let bar = ProgressBar(label: "evaluating originals and reconstructions", unit: "models")
                let (result, reconstructed) = try ReconstructionRun.run(request, readers: .formats) { step in
                    if let (done, total) = step { bar.update(done, of: total) } else { bar.finish() }
                }
                if let rows { try NumpyArray.writeFloat32(reconstructed, shape: [result.checkpoints, reconstructed.count / max(result.checkpoints, 1)], to: rows) }
                let report = try JSONEncoder.sortedNonFinite().encode(result)
                if let output { try TrainCommand.writeReport(report, to: output, force: force) }
                if json {
                    print(String(decoding: report, as: UTF8.self))
                } else {
                    print(result.summary)
                    if let output { print("report → \(output)") }
                }
            }
        }
    }
}
