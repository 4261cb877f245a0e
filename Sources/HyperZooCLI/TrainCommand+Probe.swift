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
        @Option(help: ArgumentHelp("Only these checkpoint epochs, e.g. '4' or '1-4' (default: all stored).", valueName: "list"))
        public var epochs: String?
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

        static let featureNames = ["latent", "weights", "weight_statistics"]

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
                let (model, _) = try AutoencoderCheckpoint.load(path: ae)
                let reader = try ZooReader(path: zoo, formats: [.zoo])
                defer { reader.close() }
                guard reader.table == model.config.table else {
                    throw AutoencoderError("\(zoo): its parameter table differs from the one \(ae) was trained on")
                }
                let rows = reader.select(epochs: try epochs.map { try ConvertCommand.parseEpochs($0) })
                guard !rows.isEmpty else { throw ProbeError("\(zoo): no checkpoints\(epochs.map { " at epochs \($0)" } ?? "") to probe") }
                let splits = rows.map { reader.model(row: $0).split }
                for split in [Split.train, .val, .test] where !splits.contains(split) {
                    throw ProbeError("\(zoo): no \(split.rawValue)-split checkpoints\(epochs.map { " at epochs \($0)" } ?? ""): the probes fit on train, pick the ridge penalty and the MLP's epoch on val, and report on test")
                }
                let (chosen, skipped): ([ProbeProperty], [ProbePropertySummary])
                do { (chosen, skipped) = try PropertyProbe.choose(ProbeProperty.all(of: reader, rows: rows), splits: splits, requested: propertyList) } catch {
                    throw ProbeError("\(zoo): \(error)")
                }

                let n = rows.count, p = reader.parameterCount
                let weights = try reader.readRows(indices: rows)
                var sets: [ProbeFeatureSet] = []
                for name in featureList {
                    switch name {
                    case "latent":
                        let z = model.encode(rows: weights, count: n)
                        sets.append(.init(name: name, matrix: ProbeMatrix(rows: n, columns: model.latentSize, floats: z)))
                    case "weights":
                        sets.append(.init(name: name, matrix: ProbeMatrix(rows: n, columns: p, floats: weights)))
                    default:
                        sets.append(.init(name: name, matrix: WeightStatistics(table: reader.table).features(rows: weights, count: n)))
                    }
                }
                let mlp = MLPProbeOptions(hidden: hidden, epochs: mlpEpochs, batchSize: mlpBatchSize, learningRate: mlpLr)
                let results = try PropertyProbe.run(features: sets, properties: chosen, splits: splits, mlp: mlp, seed: seed) { step in
                    if !json { FileHandle.standardError.write(Data("probing \(step)\n".utf8)) }
                }
                let report = ProbeReport(
                    ae: ae, zoo: zoo, seed: seed, epochs: Array(Set(rows.map { reader.epoch[$0] })).sorted(),
                    checkpoints: .init(train: splits.filter { $0 == .train }.count, val: splits.filter { $0 == .val }.count,
                                       test: splits.filter { $0 == .test }.count),
                    mlp: mlp, features: sets.map { .init(name: $0.name, dimension: $0.matrix.columns) },
                    properties: try chosen.map { try PropertyProbe.summary($0, splits: splits) }, skipped: skipped, results: results)
                let data = try JSONEncoder.sortedNonFinite().encode(report)
                if let output {
                    let file = try AtomicOutput(path: output, overwrite: force)
                    do {
                        try data.write(to: URL(fileURLWithPath: file.partialPath))
                        try file.commit()
                    } catch {
                        file.discard()
                        throw error
                    }
                }
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
