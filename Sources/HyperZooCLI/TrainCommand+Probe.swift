// `hz-train probe`: what the latent space knows about the models, GHRP's downstream tasks.
// Encodes a zoo's checkpoints, fits ridge and small-MLP predictors of test accuracy, epoch and
// every varying hyper-parameter on the training models (penalty and epoch picked on val) and
// reports R² / accuracy on the test models, beside the same predictors on the raw weights and on
// per-layer weight statistics (the NeurIPS'21 baselines) and a constant predictor.
import ArgumentParser
import Foundation
import HyperRep
import ZooStore

extension TrainCommand {
    /// `hz-train probe`: property prediction from latents, weights and weight statistics.
    public struct Probe: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "probe",
            abstract: "Predict model properties (test accuracy, epoch, hyper-parameters) from the AE's latents, the raw weights and weight statistics.",
            discussion: """
            The selected checkpoints of the zoo are encoded by the AE (eval mode). For every property that varies on the training-split models (recorded test accuracy, epoch, and each key of the models' hyper-parameters: numeric → regression, scored by R²; otherwise → classification, scored by accuracy), three feature sets are probed: latent (the AE's latents), weights (the flat rows) and weight_statistics (per layer, for weights and biases: mean, variance, 1/25/50/75/99 % quantiles). Each gets a ridge predictor in closed form (the penalty picked on the val split from GHRP's grid 1e3 … 1e-5; classes as one-hot targets) and a two-layer MLP (Adam, the epoch with the best val score kept). Features are standardised on the training rows. Scores are reported on train, val and test; the test column is the result. A constant predictor (training mean or majority class) is the floor.

            The report (-o, written atomically; --json prints it) is documented in schemas/probe-report.md. The same seed gives the same report.

            Examples:
              hz-train probe ae.h5 zoo.h5 -o probe.json
              hz-train probe ae.h5 zoo.h5 --epochs 1-10 --properties test_accuracy,epoch --json
            """)

        @Argument(help: ArgumentHelp("The AE file (hyperzoo.ae).", valueName: "ae"))
        public var ae: String
        @Argument(help: ArgumentHelp("The zoo whose checkpoints are probed (hyperzoo.zoo, with train, val and test models).", valueName: "zoo"))
        public var zoo: String
        @Option(help: ArgumentHelp("Only these checkpoint epochs, e.g. '4' or '1-4' (default: all stored).", valueName: "list"),
                transform: EpochSelection.parser("--epochs"))
        var epochs: EpochSelection?
        @Option(help: ArgumentHelp("Comma-separated properties to predict (default: every one that varies on the training models).", valueName: "names"))
        public var properties: String?
        @Option(help: ArgumentHelp("Comma-separated feature sets: latent, weights, weight_statistics (default: all three).", valueName: "names"))
        public var features: String = Self.featureNames.joined(separator: ",")
        @Option(help: ArgumentHelp("Seed of the MLPs' initialisation and shuffling.", valueName: "n"))
        public var seed: UInt64 = 1
        @Option(help: ArgumentHelp("Hidden width of the MLP probe.", valueName: "n"))
        public var hidden: Int = MLPProbeOptions().hidden
        @Option(help: ArgumentHelp("Training epochs of the MLP probe.", valueName: "n"))
        public var mlpEpochs: Int = MLPProbeOptions().epochs
        @Option(help: ArgumentHelp("Minibatch size of the MLP probe.", valueName: "n"))
        public var mlpBatchSize: Int = MLPProbeOptions().batchSize
        @Option(help: ArgumentHelp("Adam learning rate of the MLP probe.", valueName: "lr"))
        public var mlpLr: Float = MLPProbeOptions().learningRate
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the JSON report to this file, atomically.", valueName: "path"))
        public var output: String?
        @Flag(help: "Replace an existing --output.")
        public var force = false
        @Flag(help: "Print the report as JSON on stdout instead of the table.")
        public var json = false

        static let featureNames = ProbeRequest.Feature.allCases.map(\.rawValue)

        public init() {}

        var featureList: [String] { features.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        var propertyList: [String]? {
            properties.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }

        public func validate() throws {
            if hidden < 1 { throw ValidationError("--hidden must be at least 1") }
            if mlpEpochs < 1 { throw ValidationError("--mlp-epochs must be at least 1") }
            if mlpBatchSize < 1 { throw ValidationError("--mlp-batch-size must be at least 1") }
            if !(mlpLr > 0) || !mlpLr.isFinite { throw ValidationError("--mlp-lr must be a positive number") }
            let unknown = featureList.filter { !Self.featureNames.contains($0) }
            if featureList.isEmpty || !unknown.isEmpty {
                throw ValidationError("--features: '\(unknown.joined(separator: ","))' is not one of \(Self.featureNames.joined(separator: ", "))")
            }
            if let propertyList, propertyList.isEmpty { throw ValidationError("--properties: name at least one property") }
        }

        public func run() throws {
            try TrainCommand.reporting("probe") {
                if let output { try TrainCommand.refuseExistingOutput(output, force: force) }
                var request = ProbeRequest(ae: ae, zoo: zoo)
                request.epochs = epochs?.epochs; request.epochsText = epochs?.text
                request.properties = propertyList
                request.features = featureList.compactMap(ProbeRequest.Feature.init(rawValue:))
                request.mlp = MLPProbeOptions(hidden: hidden, epochs: mlpEpochs, batchSize: mlpBatchSize, learningRate: mlpLr)
                request.seed = seed
                let report = try ProbeRun.run(request) { step in
                    if !json { FileHandle.standardError.write(Data("probing \(step)\n".utf8)) }
                }
                let data = try JSONEncoder.sortedNonFinite().encode(report)
                if let output { try TrainCommand.writeReport(data, to: output, force: force) }
                if json {
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print("test-split scores of \(report.checkpoints.test) checkpoints (fitted on \(report.checkpoints.train) train, selected on \(report.checkpoints.val) val):")
                    print(report.table)
                    if let output { print("report → \(output)") }
                }
            }
        }
    }
}
