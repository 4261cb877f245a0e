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
        // tell what was given (AutoencoderRunSettings.resumeConflicts); `Defaults` has the value of a new run.
        @Option(help: ArgumentHelp("Transformer width d_model (default \(Defaults.width)).", valueName: "n")) public var width: Int?
        @Option(help: ArgumentHelp("Attention heads, must divide --width (default \(Defaults.heads)).", valueName: "n")) public var heads: Int?
        @Option(help: ArgumentHelp("Transformer blocks in the encoder and in the decoder (default \(Defaults.blocks)).", valueName: "n")) public var blocks: Int?
        @Option(help: ArgumentHelp("Feed-forward hidden width (default \(Defaults.feedForwardWidth)).", valueName: "n")) public var ffWidth: Int?
        @Option(help: ArgumentHelp("Latent size (default \(Defaults.latent)).", valueName: "n")) public var latent: Int?
        @Option(help: ArgumentHelp("Dropout probability (default \(Defaults.dropout)).", valueName: "p")) public var dropout: Float?
        @Option(help: ArgumentHelp("Bottleneck: linear or linear_bounded (tanh) (default \(Defaults.bottleneck.rawValue)).", valueName: "kind")) public var bottleneck: BottleneckKind?
        @Option(help: ArgumentHelp("Decompression: linear or repeat (default \(Defaults.decompression.rawValue)).", valueName: "kind")) public var decompression: DecompressionKind?
        @Option(help: ArgumentHelp("Projection head: Linear/BatchNorm/ReLU layers, hidden width, output width (default \(Defaults.head)).", valueName: "l,h,o"))
        public var head: ProjectionHeadShape?

        // Objective.
        @Option(help: ArgumentHelp("γ: weight of the contrastive loss, 0 = reconstruction only (default \(Defaults.gamma)).", valueName: "γ")) public var gamma: Float?
        @Option(help: ArgumentHelp("NT-Xent temperature (default \(Defaults.temperature)).", valueName: "τ")) public var temperature: Float?
        @Flag(help: "Plain MSE reconstruction: no layer-wise loss normalisation (the paper's ablation).") public var noLayerNorm = false
        @Option(help: ArgumentHelp("Reconstruction reduction: global_mean or layer_mean (default \(Defaults.reduction.rawValue)).", valueName: "kind")) public var reduction: ReconstructionReduction?
        @Option(help: ArgumentHelp("Per-layer loss weights, comma separated (default 1 each).", valueName: "list")) var layerWeights: LayerWeightList?

        // Augmentation.
        @Flag(inversion: .prefixedNo, help: "Permute neurons in each view, function-preserving (default on).") public var permute: Bool?
        @Option(help: ArgumentHelp("Additive Gaussian noise σ of each view (default \(Defaults.noise)).", valueName: "σ")) public var noise: Float?
        @Option(help: ArgumentHelp("Probability of erasing a block (2–33 % of the row) in each view (default \(Defaults.erase)).", valueName: "p")) public var erase: Float?

        // Optimisation.
        @Option(help: ArgumentHelp("Epochs to train in total (a resumed run continues up to this).", valueName: "n")) public var epochs: Int = 10
        @Option(help: ArgumentHelp("Models per batch, each gives two views; drop-last, and there must be at least this many training checkpoints (default \(Defaults.batchSize)).", valueName: "n")) public var batchSize: Int?
        @Option(help: ArgumentHelp("Optimizer: adamw, adam or sgd (default \(Defaults.optimizer.rawValue)).", valueName: "name")) public var optimizer: OptimizerKind?
        @Option(help: ArgumentHelp("Learning rate (default \(Defaults.learningRate)). With --resume it replaces the run's rate from the next epoch on.", valueName: "lr")) public var lr: Float?
        @Option(help: ArgumentHelp("Weight decay (default \(Defaults.weightDecay)).", valueName: "wd")) public var weightDecay: Float?
        @Option(help: ArgumentHelp("LR schedule: constant, step:<epochs>:<factor>, cosine, plateau:<factor>:<patience> (default constant).", valueName: "spec"))
        public var schedule: ScheduleChoice?
        @Option(help: ArgumentHelp("Clip the global gradient norm to this value.", valueName: "x")) public var clipNorm: Float?
        @Option(help: ArgumentHelp("Clip each gradient to ±this value.", valueName: "x")) public var clipValue: Float?
        @Option(help: ArgumentHelp("Seed of initialisation, shuffling, views and dropout (default \(Defaults.seed)).", valueName: "n")) public var seed: UInt64?

        // Views from hz-augment.
        @Option(help: ArgumentHelp("Read the two views of every training model from hz-augment's view stream: - (stdin), a record-stream file or a views .h5, instead of augmenting here. It must hold --epochs epochs of exactly the training checkpoints; --permute, --noise and --erase are then taken from the stream.", valueName: "stream"))
        public var views: String?

        // Data selection.
        @Option(help: ArgumentHelp("Zoo checkpoint epochs to use, e.g. '21-25' (default: all).", valueName: "list"),
                transform: EpochSelection.parser("--zoo-epochs")) var zooEpochs: EpochSelection?
        @Option(help: ArgumentHelp("Re-split the zoo's models 70/15/15 with this seed instead of the stored split.", valueName: "n")) public var splitSeed: UInt64?

        @Flag(help: "Continue the run in --output (its .partial if interrupted; same zoo; options are taken from the file, except --lr).") public var resume = false
        @Flag(help: "Replace an existing output (kept until the new one is complete).") public var force = false
        @Flag(help: "Print the final metrics and the run's diagnostics as JSON on stdout.") public var json = false
        @Flag(help: "Train data-parallel over MPI, one process per rank (on by itself under mpirun or srun).") public var mpi = false

        public init() {}

        typealias Defaults = AutoencoderRunSettings.Defaults

        public func validate() throws {
            if resume && force { throw ValidationError("--resume and --force exclude each other") }
            if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2 (NT-Xent needs negatives)") }
            if clipNorm != nil && clipValue != nil { throw ValidationError("give --clip-norm or --clip-value, not both") }
            if let lr, !(lr.isFinite && lr >= 0) { throw ValidationError("--lr must be a finite number ≥ 0, not \(lr)") }
        }

        /// The options as the library's settings.
        var settings: AutoencoderRunSettings {
            var s = AutoencoderRunSettings()
            s.width = width; s.heads = heads; s.blocks = blocks; s.feedForwardWidth = ffWidth; s.latent = latent
            s.dropout = dropout; s.bottleneck = bottleneck; s.decompression = decompression; s.head = head
            s.gamma = gamma; s.temperature = temperature; s.noLayerNorm = noLayerNorm; s.reduction = reduction
            s.layerWeights = layerWeights?.values
            s.permute = permute; s.noise = noise; s.erase = erase
            s.epochs = epochs; s.batchSize = batchSize; s.optimizer = optimizer; s.learningRate = lr; s.weightDecay = weightDecay
            s.schedule = schedule; s.clipNorm = clipNorm; s.clipValue = clipValue; s.seed = seed
            return s
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
            var request = AutoencoderRunRequest(zoo: zoo, output: output, epochs: epochs, settings: settings)
            request.zooEpochs = zooEpochs?.epochs
            request.splitSeed = splitSeed
            request.resume = resume
            request.force = force
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
