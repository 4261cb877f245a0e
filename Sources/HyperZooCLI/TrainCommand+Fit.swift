// `hz-train ZOO.h5 -o ae.h5`: training the autoencoder on a zoo's training models, validating on
// its held-out (val) models, checkpointing every epoch, resumable bit for bit.
import ArgumentParser
import Foundation
import HyperRep
import Tensor
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension TrainCommand {
    public struct Fit: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "fit",
            abstract: "Train the autoencoder on a zoo (the default subcommand).",
            discussion: """
            Models of the zoo's train split are trained on, models of its val split validate (never trained on). Every epoch the AE (weights, optimizer moments, BatchNorm statistics, scheduler and random-stream state) is written atomically to the output; --resume continues such a file bit for bit up to --epochs. Metrics of every epoch go to stderr and to <output>.metrics.jsonl (one JSON object per epoch).

            With --views, the views come from hz-augment (in another process, through a pipe) instead of being made here. The zoo still supplies the training rows (for the layer-wise σ and the model split) and the held-out models for validation; the stream must carry --epochs epochs of views of exactly the training checkpoints, epoch by epoch. hz-train holds one epoch of views at a time and reads the next when it starts that epoch, so a fast writer waits in the pipe. Views are keyed by checkpoint (zoo row), so the same seed and augmentation give the same AE either way.

            Examples:
              hz-train zoo.h5 -o ae.h5 --epochs 50 --width 128 --latent 64
              hz-augment zoo.h5 --split train --epochs 50 --permute --erase 0.5 -o - \\
                | hz-train zoo.h5 --views - -o ae.h5 --epochs 50
              hz-train zoo.h5 -o ae-mse.h5 --no-layer-norm --gamma 0     # the plain-MSE ablation
              hz-train zoo.h5 -o ae.h5 --resume --epochs 80
            """)

        @Argument(help: ArgumentHelp("The zoo file (hyperzoo.zoo).", valueName: "zoo"))
        public var zoo: String
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The AE file to write (hyperzoo.ae).", valueName: "path"))
        public var output: String

        // Architecture.
        @Option(help: ArgumentHelp("Transformer width d_model.", valueName: "n")) public var width: Int = 64
        @Option(help: ArgumentHelp("Attention heads (must divide --width).", valueName: "n")) public var heads: Int = 4
        @Option(help: ArgumentHelp("Transformer blocks in the encoder and in the decoder.", valueName: "n")) public var blocks: Int = 2
        @Option(help: ArgumentHelp("Feed-forward hidden width.", valueName: "n")) public var ffWidth: Int = 128
        @Option(help: ArgumentHelp("Latent size.", valueName: "n")) public var latent: Int = 32
        @Option(help: ArgumentHelp("Dropout probability.", valueName: "p")) public var dropout: Float = 0.1
        @Option(help: ArgumentHelp("Bottleneck: linear or linear_bounded (tanh).", valueName: "kind")) public var bottleneck: String = "linear"
        @Option(help: ArgumentHelp("Decompression: linear or repeat.", valueName: "kind")) public var decompression: String = "linear"
        @Option(help: ArgumentHelp("Projection head: Linear/BatchNorm/ReLU layers, hidden width, output width.", valueName: "l,h,o"))
        public var head: String = "4,400,50"

        // Objective.
        @Option(help: ArgumentHelp("γ: weight of the contrastive loss (0 = reconstruction only).", valueName: "γ")) public var gamma: Float = 0.1
        @Option(help: ArgumentHelp("NT-Xent temperature.", valueName: "τ")) public var temperature: Float = 0.1
        @Flag(help: "Plain MSE reconstruction: no layer-wise loss normalisation (the paper's ablation).") public var noLayerNorm = false
        @Option(help: ArgumentHelp("Reconstruction reduction: global_mean or layer_mean.", valueName: "kind")) public var reduction: String = "global_mean"
        @Option(help: ArgumentHelp("Per-layer loss weights, comma separated (default 1 each).", valueName: "list")) public var layerWeights: String?

        // Augmentation.
        @Flag(inversion: .prefixedNo, help: "Permute neurons in each view (function-preserving).") public var permute = true
        @Option(help: ArgumentHelp("Additive Gaussian noise σ of each view.", valueName: "σ")) public var noise: Float = 0
        @Option(help: ArgumentHelp("Probability of erasing a block (2–33 % of the row) in each view.", valueName: "p")) public var erase: Float = 0.5

        // Optimisation.
        @Option(help: ArgumentHelp("Epochs to train in total (a resumed run continues up to this).", valueName: "n")) public var epochs: Int = 10
        @Option(help: ArgumentHelp("Models per batch (each gives two views); drop-last.", valueName: "n")) public var batchSize: Int = 32
        @Option(help: ArgumentHelp("Optimizer: adamw, adam or sgd.", valueName: "name")) public var optimizer: String = "adamw"
        @Option(help: ArgumentHelp("Learning rate.", valueName: "lr")) public var lr: Float = 1e-4
        @Option(help: ArgumentHelp("Weight decay.", valueName: "wd")) public var weightDecay: Float = 1e-9
        @Option(help: ArgumentHelp("LR schedule: constant, step:<epochs>:<factor>, cosine, plateau:<factor>:<patience>.", valueName: "spec"))
        public var schedule: String = "constant"
        @Option(help: ArgumentHelp("Clip the global gradient norm to this value.", valueName: "x")) public var clipNorm: Float?
        @Option(help: ArgumentHelp("Clip each gradient to ±this value.", valueName: "x")) public var clipValue: Float?
        @Option(help: ArgumentHelp("Seed of initialisation, shuffling, views and dropout.", valueName: "n")) public var seed: UInt64 = 42

        // Views from hz-augment.
        @Option(help: ArgumentHelp("Read the two views of every training model from hz-augment's view stream: - (stdin), a record-stream file or a views .h5, instead of augmenting here. It must hold --epochs epochs of exactly the training checkpoints; --permute, --noise and --erase are then taken from the stream.", valueName: "stream"))
        public var views: String?

        // Data selection.
        @Option(help: ArgumentHelp("Zoo checkpoint epochs to use, e.g. '21-25' (default: all).", valueName: "list")) public var zooEpochs: String?
        @Option(help: ArgumentHelp("Re-split the zoo's models 70/15/15 with this seed instead of the stored split.", valueName: "n")) public var splitSeed: UInt64?

        @Flag(help: "Continue the run saved in --output (same zoo; options are taken from the file).") public var resume = false
        @Flag(help: "Replace an existing output.") public var force = false
        @Flag(help: "Print the final metrics as JSON on stdout.") public var json = false

        public init() {}

        public func validate() throws {
            if resume && force { throw ValidationError("--resume and --force exclude each other") }
            if batchSize < 2 { throw ValidationError("--batch-size must be at least 2 (NT-Xent needs negatives)") }
            if clipNorm != nil && clipValue != nil { throw ValidationError("give --clip-norm or --clip-value, not both") }
            guard BottleneckKind(rawValue: bottleneck) != nil else { throw ValidationError("--bottleneck must be linear or linear_bounded") }
            guard DecompressionKind(rawValue: decompression) != nil else { throw ValidationError("--decompression must be linear or repeat") }
            guard ReconstructionReduction(rawValue: reduction) != nil else { throw ValidationError("--reduction must be global_mean or layer_mean") }
            guard OptimizerKind(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adamw, adam or sgd") }
            _ = try parseSchedule()
            _ = try parseHead()
        }

        func parseHead() throws -> (Int, Int, Int) {
            let parts = head.split(separator: ",").compactMap { Int($0) }
            guard parts.count == 3, parts.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--head must be three positive integers layers,hidden,output, e.g. 4,400,50")
            }
            return (parts[0], parts[1], parts[2])
        }

        func parseSchedule() throws -> LearningRateSchedule {
            let parts = schedule.split(separator: ":").map(String.init)
            switch parts.first {
            case "constant": return .constant
            case "cosine": return .cosine(epochs: epochs, minimum: 0)
            case "step" where parts.count == 3:
                if let n = Int(parts[1]), let f = Float(parts[2]) { return .step(stepSize: n, gamma: f) }
            case "plateau" where parts.count == 3:
                if let f = Float(parts[1]), let p = Int(parts[2]) {
                    return .reduceOnPlateau(factor: f, patience: p, threshold: 1e-4, minimum: 0)
                }
            default: break
            }
            throw ValidationError("--schedule '\(schedule)': use constant, cosine, step:<epochs>:<factor> or plateau:<factor>:<patience>")
        }

        func trainingOptions() throws -> AutoencoderTrainingOptions {
            let kind = OptimizerKind(rawValue: optimizer)!
            let weights = try layerWeights.map { text -> [Float] in
                let w = text.split(separator: ",").compactMap { Float($0) }
                guard !w.isEmpty else { throw ValidationError("--layer-weights: expected numbers like 1,1,2,1,1") }
                return w
            }
            return AutoencoderTrainingOptions(
                epochs: epochs, batchSize: batchSize,
                optimizer: OptimizerConfig(kind: kind, learningRate: lr, weightDecay: weightDecay, momentum: kind == .sgd ? 0.9 : 0),
                schedule: try parseSchedule(),
                clipping: clipNorm.map { .norm($0) } ?? clipValue.map { .value($0) } ?? GradientClipping.none,
                seed: seed, gamma: gamma, temperature: temperature, normalizeLoss: !noLayerNorm,
                reduction: ReconstructionReduction(rawValue: reduction)!, layerWeights: weights,
                augment: AugmentOptions(permute: permute, noise: noise, eraseProbability: erase))
        }

        public func run() throws {
            try TrainCommand.reporting("fit") { try train() }
        }

        private func train() throws {
            let reader = try ZooReader(path: zoo)
            defer { reader.close() }
            let zooEpochSet = try zooEpochs.map { try ConvertCommand.parseEpochs($0, option: "--zoo-epochs") }
            let trainIndices = reader.select(split: .train, epochs: zooEpochSet, splitSeed: splitSeed)
            let valIndices = reader.select(split: .val, epochs: zooEpochSet, splitSeed: splitSeed)
            guard trainIndices.count >= 2 else {
                throw AutoencoderError("\(zoo): \(trainIndices.count) training checkpoints selected; need at least 2 (check --zoo-epochs and the zoo's splits)")
            }
            let trainRows = try reader.readRows(indices: trainIndices)
            let valRows = try reader.readRows(indices: valIndices)
            let viewStream = try views.map { try openViews($0, table: reader.table, trainingCheckpoints: trainIndices) }

            let trainer: AutoencoderTrainer
            if resume {
                guard FileManager.default.fileExists(atPath: output) else {
                    throw AutoencoderError("\(output): nothing to resume (run without --resume to start)")
                }
                let (model, state) = try AutoencoderCheckpoint.load(path: output)
                guard var state else { throw AutoencoderError("\(output): has no /training state (an imported AE cannot resume)") }
                guard model.config.table == reader.table else {
                    throw AutoencoderError("\(output): trained on a different architecture than \(zoo)")
                }
                state.options.epochs = epochs
                trainer = try AutoencoderTrainer(model: model, resuming: state)
            } else {
                if FileManager.default.fileExists(atPath: output) && !force {
                    throw AutoencoderError("\(output): exists; pass --resume to continue it or --force to replace it")
                }
                let (layers, hidden, out) = try parseHead()
                let config = AutoencoderConfig(
                    table: reader.table, modelWidth: width, heads: heads, blocks: blocks, feedForwardWidth: ffWidth,
                    latentSize: latent, dropout: dropout, bottleneck: BottleneckKind(rawValue: bottleneck)!,
                    decompression: DecompressionKind(rawValue: decompression)!, projectionLayers: layers,
                    projectionHidden: hidden, projectionOutput: out)
                let model = try Autoencoder(config: config, seed: seed)
                var options = try trainingOptions()
                if let viewStream { options.augment = viewStream.run.options }
                trainer = try trainRows.withUnsafeBufferPointer {
                    try AutoencoderTrainer(model: model, options: options, trainRows: $0, count: trainIndices.count)
                }
            }
            let log = FileHandle.standardError
            let origin = viewStream.map { " views from \(views == "-" ? "stdin" : views!) (hz-augment seed \($0.run.seed))," } ?? ""
            log.write(Data("hz-train: \(trainIndices.count) training / \(valIndices.count) validation checkpoints,\(origin) \(trainer.model.parameters.count) AE parameters, epochs \(trainer.epoch + 1)…\(epochs)\n".utf8))
            let steps = trainer.stepsPerEpoch(count: trainIndices.count)
            let bar = ProgressBar(label: "training", unit: "steps")
            let totalSteps = max(epochs - trainer.epoch, 0) * steps
            var done = 0
            // One epoch of views from the stream, as flat rows [2, N, P] (empty when augmenting here).
            var epochViews = [Float](repeating: 0, count: viewStream == nil ? 0 : 2 * trainIndices.count * reader.parameterCount)
            var wroteCheckpoint = false
            do {
                while let viewStream, viewStream.epochsRead < trainer.epoch { try viewStream.skipEpoch() }
                while trainer.epoch < epochs {
                    if let viewStream { try epochViews.withUnsafeMutableBufferPointer { try viewStream.readEpoch(into: $0) } }
                    let metrics = trainRows.withUnsafeBufferPointer { t in
                        valRows.withUnsafeBufferPointer { v in
                            epochViews.withUnsafeBufferPointer { given in
                                trainer.trainEpoch(views: viewStream == nil ? .augmented(rows: t, sampleIDs: trainIndices) : .given(given),
                                                   count: trainIndices.count, validationRows: v, validationCount: valIndices.count,
                                                   validationIDs: valIndices) { _, _, _ in
                                    done += 1
                                    bar.update(done, of: totalSteps)
                                }
                            }
                        }
                    }
                    try AutoencoderCheckpoint.save(trainer.model, training: trainer.state, source: "hz-train \(zoo)", to: output)
                    wroteCheckpoint = true
                    try writeMetrics(trainer.history)
                    log.write(Data(String(format: "%@epoch %d/%d  loss %.5f (contrast %.4f, recon %.5f)  val loss %.5f  val R² %.4f  lr %.2e  %.1fs\n",
                                          isatty(STDERR_FILENO) != 0 ? "\n" : "", metrics.epoch, epochs, metrics.trainLoss, metrics.trainContrast,
                                          metrics.trainReconstruction, metrics.validationLoss, metrics.validationRSquared,
                                          metrics.learningRate, metrics.seconds).utf8))
                }
                try viewStream?.finish()
            } catch where viewStream != nil {
                throw viewStreamFailure(error, wroteCheckpoint: wroteCheckpoint, trainedEpochs: trainer.epoch)
            }
            bar.finish()
            if json, let last = trainer.history.last {
                let data = try JSONEncoder.sortedNonFinite().encode(last)
                print(String(decoding: data, as: UTF8.self))
            }
        }

        /// Rewrites <output>.metrics.jsonl from the run's history (atomically).
        private func writeMetrics(_ history: [AutoencoderEpochMetrics]) throws {
            let encoder = JSONEncoder.sortedNonFinite()
            var text = ""
            for m in history { text += String(decoding: try encoder.encode(m), as: UTF8.self) + "\n" }
            let path = output + ".metrics.jsonl"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}

extension JSONEncoder {
    /// Sorted keys; NaN and infinities as strings (metrics can be NaN before validation).
    static func sortedNonFinite() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
}
