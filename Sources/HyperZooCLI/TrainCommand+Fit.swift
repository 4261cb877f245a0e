// `hz-train ZOO.h5 -o ae.h5`: training the autoencoder on a zoo's training models, validating on
// its held-out (val) models, checkpointing every epoch, resumable bit for bit.
import ArgumentParser
import Foundation
import HyperRep
import Tensor
import ZooStore

extension TrainCommand {
    public struct Fit: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "fit",
            abstract: "Train the autoencoder on a zoo (the default subcommand).",
            discussion: """
            Models of the zoo's train split are trained on, models of its val split validate (never trained on). Every epoch the AE (weights, optimizer moments, BatchNorm statistics, scheduler and random-stream state) is written atomically to <output>.partial and the metrics of every epoch to <output>.metrics.jsonl.partial (one JSON object per epoch; also on stderr). Only when the last epoch is done are both renamed to <output> and <output>.metrics.jsonl, so an existing AE (with --force) stays in place until the new one is complete, and a stopped or failed run never leaves a half-trained AE at <output>.

            --resume continues <output>.partial (an interrupted run) if it exists, else the finished <output>, bit for bit up to --epochs. A resumed run keeps the architecture, objective, augmentation, batch size, optimizer, schedule and seed of the file; giving one of them with a different value is an error. --lr is the exception: it replaces the run's learning rate from the next epoch on (and says so).

            After the last epoch hz-train checks the run and warns, with what to try, when the validation R² is below 0 or did not improve in the last quarter of the epochs, or when the decoder collapsed (decoded training models spread less than 0.1× as much as the models themselves: the decoder ignores its latent). The numbers are in --json (key "diagnostics") and in the AE file (/training@diagnostics). A NaN or infinite weight in the zoo, or a NaN or infinite loss while training, stops the run with an error.

            With --mpi, or when started by mpirun or srun, the run is data-parallel: every rank takes an equal slice of each batch (--batch-size must be a multiple of the rank count), the gradients are summed over the ranks, NT-Xent and the projection head's BatchNorm see the whole batch, and dropout masks are drawn as for the whole batch, so K ranks train the same AE as one process up to float rounding. Only rank 0 writes files and prints; the checkpoint holds no rank-specific state, so a run resumes with any rank count. An error on any rank ends all of them (MPI_Abort). OpenMPI is loaded at run time (libmpi.so.40).

            With --views, the views come from hz-augment (in another process, through a pipe) instead of being made here. The zoo still supplies the training rows (for the layer-wise σ and the model split) and the held-out models for validation; the stream must carry --epochs epochs of views of exactly the training checkpoints, epoch by epoch. hz-train holds one epoch of views at a time and reads the next when it starts that epoch, so a fast writer waits in the pipe. Views are keyed by checkpoint (zoo row), so the same seed and augmentation give the same AE either way.

            Examples:
              hz-train zoo.h5 -o ae.h5 --epochs 50 --width 128 --latent 64
              hz-augment zoo.h5 --split train --epochs 50 --permute --erase 0.5 -o - \\
                | hz-train zoo.h5 --views - -o ae.h5 --epochs 50
              hz-train zoo.h5 -o ae-mse.h5 --no-layer-norm --gamma 0     # the plain-MSE ablation
              hz-train zoo.h5 -o ae.h5 --resume --epochs 80
              mpirun -n 4 hz-train zoo.h5 -o ae.h5 --epochs 50 --batch-size 64
            """)

        @Argument(help: ArgumentHelp("The zoo file (hyperzoo.zoo).", valueName: "zoo"))
        public var zoo: String
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The AE file to write (hyperzoo.ae).", valueName: "path"))
        public var output: String

        // Architecture, objective, augmentation and optimisation: optional so that a resumed run can
        // tell what was given (see `resumeConflicts`); `Defaults` has the value of a new run.
        @Option(help: ArgumentHelp("Transformer width d_model (default \(Defaults.width)).", valueName: "n")) public var width: Int?
        @Option(help: ArgumentHelp("Attention heads, must divide --width (default \(Defaults.heads)).", valueName: "n")) public var heads: Int?
        @Option(help: ArgumentHelp("Transformer blocks in the encoder and in the decoder (default \(Defaults.blocks)).", valueName: "n")) public var blocks: Int?
        @Option(help: ArgumentHelp("Feed-forward hidden width (default \(Defaults.ffWidth)).", valueName: "n")) public var ffWidth: Int?
        @Option(help: ArgumentHelp("Latent size (default \(Defaults.latent)).", valueName: "n")) public var latent: Int?
        @Option(help: ArgumentHelp("Dropout probability (default \(Defaults.dropout)).", valueName: "p")) public var dropout: Float?
        @Option(help: ArgumentHelp("Bottleneck: linear or linear_bounded (tanh) (default \(Defaults.bottleneck)).", valueName: "kind")) public var bottleneck: String?
        @Option(help: ArgumentHelp("Decompression: linear or repeat (default \(Defaults.decompression)).", valueName: "kind")) public var decompression: String?
        @Option(help: ArgumentHelp("Projection head: Linear/BatchNorm/ReLU layers, hidden width, output width (default \(Defaults.head)).", valueName: "l,h,o"))
        public var head: String?

        // Objective.
        @Option(help: ArgumentHelp("γ: weight of the contrastive loss, 0 = reconstruction only (default \(Defaults.gamma)).", valueName: "γ")) public var gamma: Float?
        @Option(help: ArgumentHelp("NT-Xent temperature (default \(Defaults.temperature)).", valueName: "τ")) public var temperature: Float?
        @Flag(help: "Plain MSE reconstruction: no layer-wise loss normalisation (the paper's ablation).") public var noLayerNorm = false
        @Option(help: ArgumentHelp("Reconstruction reduction: global_mean or layer_mean (default \(Defaults.reduction)).", valueName: "kind")) public var reduction: String?
        @Option(help: ArgumentHelp("Per-layer loss weights, comma separated (default 1 each).", valueName: "list")) public var layerWeights: String?

        // Augmentation.
        @Flag(inversion: .prefixedNo, help: "Permute neurons in each view, function-preserving (default on).") public var permute: Bool?
        @Option(help: ArgumentHelp("Additive Gaussian noise σ of each view (default \(Defaults.noise)).", valueName: "σ")) public var noise: Float?
        @Option(help: ArgumentHelp("Probability of erasing a block (2–33 % of the row) in each view (default \(Defaults.erase)).", valueName: "p")) public var erase: Float?

        // Optimisation.
        @Option(help: ArgumentHelp("Epochs to train in total (a resumed run continues up to this).", valueName: "n")) public var epochs: Int = 10
        @Option(help: ArgumentHelp("Models per batch, each gives two views; drop-last, and there must be at least this many training checkpoints (default \(Defaults.batchSize)).", valueName: "n")) public var batchSize: Int?
        @Option(help: ArgumentHelp("Optimizer: adamw, adam or sgd (default \(Defaults.optimizer)).", valueName: "name")) public var optimizer: String?
        @Option(help: ArgumentHelp("Learning rate (default \(Defaults.lr)). With --resume it replaces the run's rate from the next epoch on.", valueName: "lr")) public var lr: Float?
        @Option(help: ArgumentHelp("Weight decay (default \(Defaults.weightDecay)).", valueName: "wd")) public var weightDecay: Float?
        @Option(help: ArgumentHelp("LR schedule: constant, step:<epochs>:<factor>, cosine, plateau:<factor>:<patience> (default \(Defaults.schedule)).", valueName: "spec"))
        public var schedule: String?
        @Option(help: ArgumentHelp("Clip the global gradient norm to this value.", valueName: "x")) public var clipNorm: Float?
        @Option(help: ArgumentHelp("Clip each gradient to ±this value.", valueName: "x")) public var clipValue: Float?
        @Option(help: ArgumentHelp("Seed of initialisation, shuffling, views and dropout (default \(Defaults.seed)).", valueName: "n")) public var seed: UInt64?

        // Views from hz-augment.
        @Option(help: ArgumentHelp("Read the two views of every training model from hz-augment's view stream: - (stdin), a record-stream file or a views .h5, instead of augmenting here. It must hold --epochs epochs of exactly the training checkpoints; --permute, --noise and --erase are then taken from the stream.", valueName: "stream"))
        public var views: String?

        // Data selection.
        @Option(help: ArgumentHelp("Zoo checkpoint epochs to use, e.g. '21-25' (default: all).", valueName: "list")) public var zooEpochs: String?
        @Option(help: ArgumentHelp("Re-split the zoo's models 70/15/15 with this seed instead of the stored split.", valueName: "n")) public var splitSeed: UInt64?

        @Flag(help: "Continue the run in --output (its .partial if interrupted; same zoo; options are taken from the file, except --lr).") public var resume = false
        @Flag(help: "Replace an existing output (kept until the new one is complete).") public var force = false
        @Flag(help: "Print the final metrics and the run's diagnostics as JSON on stdout.") public var json = false
        @Flag(help: "Train data-parallel over MPI, one process per rank (on by itself under mpirun or srun).") public var mpi = false

        public init() {}

        /// What a new run uses for an option that was not given.
        enum Defaults {
            static let width = 64, heads = 4, blocks = 2, ffWidth = 128, latent = 32
            static let dropout: Float = 0.1
            static let bottleneck = "linear", decompression = "linear", head = "4,400,50"
            static let gamma: Float = 0.1, temperature: Float = 0.1
            static let reduction = "global_mean"
            static let permute = true
            static let noise: Float = 0, erase: Float = 0.5
            static let batchSize = 32
            static let optimizer = "adamw"
            static let lr: Float = 1e-4, weightDecay: Float = 1e-9
            static let schedule = "constant"
            static let seed: UInt64 = 42
        }

        public func validate() throws {
            if resume && force { throw ValidationError("--resume and --force exclude each other") }
            if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2 (NT-Xent needs negatives)") }
            if clipNorm != nil && clipValue != nil { throw ValidationError("give --clip-norm or --clip-value, not both") }
            if let lr, !(lr.isFinite && lr >= 0) { throw ValidationError("--lr must be a finite number ≥ 0, not \(lr)") }
            if let bottleneck, BottleneckKind(rawValue: bottleneck) == nil { throw ValidationError("--bottleneck must be linear or linear_bounded") }
            if let decompression, DecompressionKind(rawValue: decompression) == nil { throw ValidationError("--decompression must be linear or repeat") }
            if let reduction, ReconstructionReduction(rawValue: reduction) == nil { throw ValidationError("--reduction must be global_mean or layer_mean") }
            if let optimizer, OptimizerKind(rawValue: optimizer) == nil { throw ValidationError("--optimizer must be adamw, adam or sgd") }
            _ = try parseSchedule()
            _ = try parseHead()
        }

        func parseHead() throws -> (Int, Int, Int) {
            let text = head ?? Defaults.head
            let parts = text.split(separator: ",").compactMap { Int($0) }
            guard parts.count == 3, parts.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--head must be three positive integers layers,hidden,output, e.g. 4,400,50")
            }
            return (parts[0], parts[1], parts[2])
        }

        func parseSchedule() throws -> LearningRateSchedule {
            let text = schedule ?? Defaults.schedule
            let parts = text.split(separator: ":").map(String.init)
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
            throw ValidationError("--schedule '\(text)': use constant, cosine, step:<epochs>:<factor> or plateau:<factor>:<patience>")
        }

        func parseLayerWeights() throws -> [Float]? {
            try layerWeights.map { text -> [Float] in
                let w = text.split(separator: ",").compactMap { Float($0) }
                guard !w.isEmpty else { throw ValidationError("--layer-weights: expected numbers like 1,1,2,1,1") }
                return w
            }
        }

        func modelConfig(table: ParameterTable) throws -> AutoencoderConfig {
            let (layers, hidden, out) = try parseHead()
            return AutoencoderConfig(
                table: table, modelWidth: width ?? Defaults.width, heads: heads ?? Defaults.heads, blocks: blocks ?? Defaults.blocks,
                feedForwardWidth: ffWidth ?? Defaults.ffWidth, latentSize: latent ?? Defaults.latent, dropout: dropout ?? Defaults.dropout,
                bottleneck: BottleneckKind(rawValue: bottleneck ?? Defaults.bottleneck)!,
                decompression: DecompressionKind(rawValue: decompression ?? Defaults.decompression)!, projectionLayers: layers,
                projectionHidden: hidden, projectionOutput: out)
        }

        func trainingOptions() throws -> AutoencoderTrainingOptions {
            let kind = OptimizerKind(rawValue: optimizer ?? Defaults.optimizer)!
            return AutoencoderTrainingOptions(
                epochs: epochs, batchSize: batchSize ?? Defaults.batchSize,
                optimizer: OptimizerConfig(kind: kind, learningRate: lr ?? Defaults.lr, weightDecay: weightDecay ?? Defaults.weightDecay,
                                           momentum: kind == .sgd ? 0.9 : 0),
                schedule: try parseSchedule(),
                clipping: clipNorm.map { .norm($0) } ?? clipValue.map { .value($0) } ?? GradientClipping.none,
                seed: seed ?? Defaults.seed, gamma: gamma ?? Defaults.gamma, temperature: temperature ?? Defaults.temperature,
                normalizeLoss: !noLayerNorm, reduction: ReconstructionReduction(rawValue: reduction ?? Defaults.reduction)!,
                layerWeights: try parseLayerWeights(),
                augment: AugmentOptions(permute: permute ?? Defaults.permute, noise: noise ?? Defaults.noise,
                                        eraseProbability: erase ?? Defaults.erase))
        }

        /// The options given on the command line that differ from what the resumed run was trained
        /// with (a resumed run cannot change them; --lr and --epochs can change and are not listed).
        func resumeConflicts(config c: AutoencoderConfig, options o: AutoencoderTrainingOptions) throws -> [String] {
            var found: [String] = []
            func check<T: Equatable>(_ name: String, _ given: T?, _ stored: T) {
                if let given, given != stored { found.append("\(name) \(given) (the run has \(stored))") }
            }
            check("--width", width, c.modelWidth); check("--heads", heads, c.heads); check("--blocks", blocks, c.blocks)
            check("--ff-width", ffWidth, c.feedForwardWidth); check("--latent", latent, c.latentSize)
            check("--dropout", dropout, c.dropout); check("--bottleneck", bottleneck, c.bottleneck.rawValue)
            check("--decompression", decompression, c.decompression.rawValue)
            if head != nil {
                let (l, h, out) = try parseHead()
                check("--head", "\(l),\(h),\(out)", "\(c.projectionLayers),\(c.projectionHidden),\(c.projectionOutput)")
            }
            check("--gamma", gamma, o.gamma); check("--temperature", temperature, o.temperature)
            if noLayerNorm && o.normalizeLoss { found.append("--no-layer-norm (the run normalises the loss per layer)") }
            check("--reduction", reduction, o.reduction.rawValue)
            check("--layer-weights", try parseLayerWeights(), o.layerWeights ?? [])
            check("--permute", permute, o.augment.permute); check("--noise", noise, o.augment.noise)
            check("--erase", erase, o.augment.eraseProbability)
            check("--batch-size", batchSize, o.batchSize); check("--optimizer", optimizer, o.optimizer.kind.rawValue)
            check("--weight-decay", weightDecay, o.optimizer.weightDecay)
            if schedule != nil { check("--schedule", "\(try parseSchedule())", "\(o.schedule)") }
            if clipNorm != nil || clipValue != nil {
                check("--clip-norm/--clip-value", "\(clipNorm.map { GradientClipping.norm($0) } ?? clipValue.map { .value($0) }!)", "\(o.clipping)")
            }
            check("--seed", seed, o.seed)
            return found
        }

        public func run() throws {
            if usesMPI {
                try runOverMPI { try train(group: $0) }
            } else {
                try TrainCommand.reporting("fit") { try train(group: nil) }
            }
        }

        /// One run; with a group, this process is one of its ranks and only rank 0 writes and prints.
        private func train(group: (any TrainingGroup)?) throws {
            var request = AutoencoderRunRequest(
                zoo: zoo, output: output, epochs: epochs,
                newRun: { table in
                    (try Autoencoder(config: try modelConfig(table: table), seed: seed ?? Defaults.seed), try trainingOptions())
                },
                resumeConflicts: { config, options in try resumeConflicts(config: config, options: options) })
            request.zooEpochs = try zooEpochs.map { try ConvertCommand.parseEpochs($0, option: "--zoo-epochs") }
            request.splitSeed = splitSeed
            request.resume = resume
            request.force = force
            request.learningRate = lr
            request.batchSizeGiven = batchSize != nil
            request.viewsGiven = views != nil
            if let views {
                request.openViews = { table, checkpoints in
                    ViewStreamSource(try openViews(views, table: table, trainingCheckpoints: checkpoints),
                                     name: views == "-" ? "stdin" : views)
                }
            }
            let run = AutoencoderTrainingRun(request)
            run.group = group
            let isRoot = (group?.rank ?? 0) == 0
            let bar = ProgressBar(label: "training", unit: "steps")
            run.progress = { done, total in bar.update(done, of: total) }
            run.loopFinished = { if isRoot { bar.finish() } }
            let result = try run.perform()
            guard isRoot, let diagnostics = result.diagnostics else { return }
            for warning in diagnostics.warnings {
                FileHandle.standardError.write(Data("hz-train: warning: \(warning.message); try: \(warning.advice)\n".utf8))
            }
            if json, let last = result.lastEpoch {
                let encoder = JSONEncoder.sortedNonFinite()
                var object = try JSONSerialization.jsonObject(with: try encoder.encode(last)) as! [String: Any]
                object["diagnostics"] = try JSONSerialization.jsonObject(with: try encoder.encode(diagnostics))
                try TrainCommand.printJSON(object)
            }
        }
    }
}
