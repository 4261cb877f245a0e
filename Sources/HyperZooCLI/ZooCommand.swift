// `hz-zoo` / `hyperzoo zoo`: train a population of networks from a JSON config and write every
// checkpoint (epoch 0 = untrained, then each epoch) with its metrics into one zoo file.
import ArgumentParser
import Foundation
import Nets
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// The zoo stage.
public struct ZooCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("zoo"),
        abstract: "Train a model zoo (many small networks at once) and write it as one HDF5 zoo file.",
        discussion: """
        CONFIG.json names the architecture (cnn_s, cnn_m, mlp), the dataset, the recipe (initialiser, optimizer, learning rate, batch size, epochs), the seeds, and optionally a hyperparameter grid (activation, dropout, initializer, optimizer, learning_rate, weight_decay) trained for every seed, like the Model Zoos "Hyp" zoos. A Model Zoos generator config.json is accepted too.

        A grid mixing dropout 0 and > 0 gives CNN-s (or the MLP) two state_dict layouts with the same shapes (Dropout modules shift the module_list indices); both go into the one file as two architecture groups, cnn_s and cnn_s_dropout (format_version 2, see schemas/zoo-layout.md). The full "Hyp" grid (256 configurations, one seed each, 1 epoch):

          hz-zoo fixtures/zoo/fmnist-cnn-s-hyp.json -o hyp.h5 --models 1 --epochs 1

        Every model is evaluated untrained (epoch 0) and after each epoch on train/val/test data; each checkpoint is written as it is produced. If the run is interrupted, run the same command again: it resumes after the last finished epoch and the final file is the same.

        --checkpoint-epochs (or "checkpoint_epochs" in the config) keeps only the listed checkpoints and evaluates only there; the paper's autoencoder trains on epochs 21-25, so its zoo needs only those and epoch 0. Resuming still works at every epoch (the optimizer state is saved after each one). The paper-regime zoo (300 models, 25 epochs on all 50,000 images, about an hour on 2 cores):

          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o paper.h5 --models 300 --epochs 25 --checkpoint-epochs 0,21-25

        Example (the Fashion-MNIST "uniform" recipe, 20 models, 5 epochs):

          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o fmnist.h5 --models 20 --epochs 5

        Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist), normalised (x - 0.5) / 0.5 and split 50000/10000 with seed 42.

        Sharding (Slurm job arrays, several machines): --shard I/N trains only the models of shard I of N, 0 ≤ I < N. Model index m (file order: m0000 is 0) belongs to shard m mod N (round-robin, so a grid's configurations spread over all shards). Every model's seed, initialisation and data order come from the spec alone, so its rows equal the single-process run's. The shard file records spec_digest, index, count, total_models and its model indices in the root attribute `shard`; a killed shard resumes like any run. --shard env reads I from SLURM_ARRAY_TASK_ID and N from SLURM_ARRAY_TASK_COUNT (sbatch --array=0-3). hyperzoo merge (see its --help) joins the shards into the zoo one process writes:

          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-0.h5 --models 20 --epochs 5 --shard 0/2
          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-1.h5 --models 20 --epochs 5 --shard 1/2
          hyperzoo merge shard-0.h5 shard-1.h5 -o fmnist.h5

        --shard mpi does the same under mpirun or srun (OpenMPI, loaded at run time): rank r of size n trains shard r/n into <output>.shard-r-of-n.h5 beside the output; when every rank has finished, rank 0 merges the shards into the output (written as .partial and renamed) and removes them. If a rank fails, every rank exits 1 and the shards stay; the same command resumes each shard (a finished shard is not trained again).

          mpirun -n 4 hz-zoo fixtures/zoo/fmnist-cnn-s.json -o fmnist.h5 --models 20 --epochs 5 --shard mpi --threads 1

        The papers' datasets (dataset.name mnist, svhn, cifar10, stl10; recipes in fixtures/zoo) are read from their release files in --dataset-path, dataset.directory, or $HYPERZOO_DATA/<name>, and prepared as the Model Zoos generators do (README, "Datasets"); hyperzoo never downloads. A Model Zoos config runs on the dataset its dataset::dump names, or is refused.
        """,
        version: HyperZooVersion.string)

    @Argument(help: ArgumentHelp("The zoo config (JSON).", valueName: "CONFIG.json"))
    public var config: String

    @OptionGroup var outputOptions: OutputOptions<OutputHelp>

    enum OutputHelp: OutputOptionsHelp {
        static var output: ArgumentHelp { ArgumentHelp("The zoo file to write (written as <file>.partial, renamed when done).", valueName: "ZOO.h5") }
        static var force: ArgumentHelp { "Replace an existing output or an interrupted run instead of refusing or resuming." }
        static var json: ArgumentHelp { "Print a JSON summary on stdout (throughput, mean test accuracy per epoch)." }
    }


    @Option(help: ArgumentHelp("Train this many seeds (starting at the config's first seed, or --seed).", valueName: "n"))
    public var models: Int?

    @Option(help: ArgumentHelp("Training epochs after the epoch-0 evaluation (overrides the config).", valueName: "n"))
    public var epochs: Int?

    @Option(name: .customLong("checkpoint-epochs"), help: ArgumentHelp("Keep (and evaluate) only these checkpoints, e.g. 0,21-25 (overrides the config's checkpoint_epochs). Default: every epoch.", valueName: "list"),
            transform: EpochSelection.parser("--checkpoint-epochs"))
    var checkpointEpochs: EpochSelection?

    @Option(name: .customLong("train-size"), help: ArgumentHelp("Use only the first n training images (quick runs).", valueName: "n"))
    public var trainSize: Int?

    // Not SeedOptions: this seed is the first model's (models are seeds seed, seed+1, ...), an
    // override of the config's seed list, not the seed of this command's random streams.
    @Option(help: ArgumentHelp("First seed; seeds are seed, seed+1, ... (with --models, or the config's count).", valueName: "n"))
    public var seed: Int?

    @OptionGroup var threadOptions: ThreadOptions<ThreadsHelpText>

    enum ThreadsHelpText: ThreadsHelp {
        static var threads: ArgumentHelp { ArgumentHelp("Worker threads (models trained concurrently). Default: all processors.", valueName: "n") }
    }

    @Option(name: .customLong("dataset-path"), help: ArgumentHelp("The dataset's folder (overrides the config's dataset.directory). Default: the config's, else $HYPERZOO_DATA/<name> for mnist, svhn, cifar10, stl10.", valueName: "path"))
    public var datasetPath: String?

    @Option(help: ArgumentHelp("Train only shard I of N (model m goes to shard m mod N) into a shard file; `env` reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT. Join the shards with hyperzoo merge. `mpi` (under mpirun/srun): each rank trains shard rank/size into <output>.shard-<rank>-of-<size>.h5 and rank 0 merges them into the output.", valueName: "I/N|env|mpi"),
            transform: { try ShardChoice.parse($0, allowingMPI: true) })
    var shard: ShardChoice?

    @Flag(name: .shortAndLong, help: "No progress bar.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        if let models, models < 1 { throw ValidationError("--models must be at least 1") }
        if let epochs, epochs < 0 { throw ValidationError("--epochs must be 0 or more") }
        if let trainSize, trainSize < 1 { throw ValidationError("--train-size must be at least 1") }
        if let seed, seed < 0 { throw ValidationError("--seed must be non-negative") }
    }

    public func run() throws {
        // nil: the MPI run has finished (runOverMPI reports its own outcome).
        let planned: ZooBuilder? = try StageFailure.reporting(as: "hz-zoo") {
            var loaded = try ZooSpec.load(path: config)
            if let datasetPath { loaded.dataset.directory = datasetPath }
            let spec = loaded.overriding(
                models: models, epochs: epochs, trainSize: trainSize, seed: seed,
                checkpointEpochs: checkpointEpochs?.epochs)
            try spec.validate(label: config)
            if shard == .mpi {
                try runOverMPI(spec: spec)
                return nil
            }
            let shard = try shard?.resolved(environment: ProcessInfo.processInfo.environment)
            return ZooBuilder(spec: spec, output: outputOptions.output, threads: threadOptions.count, force: outputOptions.force, readers: .formats, shard: shard)
        }
        guard let builder = planned else { return }
        let bar = ZooProgressBar(enabled: !quiet && isatty(2) == 1)
        let summary = try StageFailure.reporting(as: "hz-zoo") {
            defer { bar.finish() }  // before the error line, so it starts a fresh line
            return try builder.run { bar.handle($0) }
        }
        if outputOptions.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else if !quiet {
            let acc = summary.meanTestAccuracy.last.map { String(format: "%.4f", $0) } ?? "n/a"
            FileHandle.standardError.write(Data("hz-zoo: wrote \(summary.output): \(summary.models) models × \(summary.epochs) epochs, \(summary.checkpoints) checkpoints\(summary.architectures.count > 1 ? " in architectures " + summary.architectures.joined(separator: ", ") : ""), mean test accuracy \(acc), \(String(format: "%.2f", summary.modelEpochsPerSecond)) model-epochs/s\n".utf8))
        }
    }
}

/// hz-zoo's build events drawn on a `ProgressBar`: samples trained of all models' epochs, the rate
/// counted from where a resumed build started, the last epoch's mean test accuracy as a note.
// unchecked because: every method holds `lock` for its whole body, so the mutable counters and
// the note are never touched by two threads at once (the wrapped ProgressBar locks itself too).
final class ZooProgressBar: @unchecked Sendable {
    private let bar: ProgressBar
    private let lock = NSLock()
    private var total = 0, done = 0
    private var note = ""

    init(enabled: Bool) { bar = ProgressBar(label: "training", unit: "samples", enabled: enabled) }

    func handle(_ event: ZooBuildEvent) {
        lock.lock(); defer { lock.unlock() }
        var force = false
        switch event {
        case let .started(totalSamples, alreadyDone, models, resumedAt):
            total = totalSamples; done = alreadyDone
            bar.restart(at: alreadyDone)
            note = resumedAt.map { "resumed after epoch \($0), \(models) models" } ?? "\(models) models"
        case let .samples(n):
            done += n
        case let .epochFinished(epoch, acc, _):
            note = acc.isNaN ? "epoch \(epoch) trained (not kept)" : "epoch \(epoch): mean test acc \(String(format: "%.3f", acc))"
            force = true
        }
        if total > 0 { bar.update(done, of: total, note: note, force: force) }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if total > 0 { bar.finish() }
        total = 0
    }
}
