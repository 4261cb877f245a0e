// `hz-eval` / `hyperzoo eval`: fine-tune sampled populations and the baselines the same way and
// report how good they are as initialisations, ensembles and transfer starts, and how novel they
// are. Writes DIR/report.json (every number, commands, seeds) and DIR/report.html (self-contained,
// inline SVG charts).
import ArgumentParser
import Foundation
import HyperRep
import ZooStore

/// The eval stage.
public struct EvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("eval"),
        abstract: "Fine-tune sampled populations against baselines; write report.json and report.html.",
        discussion: EvalHelp.discussion,
        version: HyperZooVersion.string
    )

    @Argument(help: ArgumentHelp("Population files written by hz-sample.", valueName: "population.h5"))
    public var populations: [String] = []

    @Option(help: ArgumentHelp("The zoo the populations were sampled from (baselines, recipe, data, novelty).", valueName: "zoo.h5"))
    public var zoo: String

    // Its own -o, not OutputOptions': a folder of two files (or, with --shard, a part file), and
    // not needed with --show-recipe.
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Folder for report.json and report.html (created); with --shard, the part file. Required unless --show-recipe.", valueName: "dir"))
    public var outputOption: String?

    /// The report folder (validated to be given, except with --show-recipe).
    var output: String { outputOption ?? "" }

    // The default is spelled in the help: a transform's default is not shown by the parser.
    @Option(help: ArgumentHelp("Fine-tuning epochs to report, e.g. '0,1,5,25'; training runs to the largest. (default: 0,1,5)", valueName: "list"),
            transform: EpochSelection.parser("--epochs"))
    var epochs = try! EpochSelection("0,1,5", option: "--epochs")

    @Option(help: ArgumentHelp("Models per population and per baseline (the first n); a population with fewer is an error.", valueName: "n"))
    public var models: Int = 20

    @Option(help: ArgumentHelp("Baselines to include: any of bt, bf (comma-separated), or none.", valueName: "list"))
    var baselines = BaselineList([.bt, .bf])

    @Option(help: ArgumentHelp("B_T source: init (fresh initialisations) or zoo-test (the zoo's test-split models at epoch 0).", valueName: "source"))
    var scratch: ScratchSource = .fresh

    @Option(help: ArgumentHelp("B_F: zoo epoch used as starting point. Default: the last stored epoch.", valueName: "epoch"))
    public var bfEpoch: Int?

    @Option(help: ArgumentHelp("Fine-tune on only the first n training images (0 = all). Say so when reporting.", valueName: "n"))
    public var trainSubset: Int = 0

    @Option(help: ArgumentHelp("Evaluate on only the first n test images (0 = all).", valueName: "n"))
    public var testSubset: Int = 0

    @Option(help: ArgumentHelp("Transfer target: digits (sklearn's UCI digits, 28x28), fashion-mnist (alias fmnist), mnist, svhn, cifar10, stl10, or none.", valueName: "dataset"))
    var transfer: TransferChoice = .none

    @Option(help: ArgumentHelp("Transfer data: the digits CSV, the Fashion-MNIST IDX folder, or the folder of mnist/svhn/cifar10/stl10's release files. Default: the Debian location, or $HYPERZOO_DATA/<name>.", valueName: "path"))
    public var transferPath: String?

    @Option(help: ArgumentHelp("Fine-tune the transfer on only the first n training images (0 = all).", valueName: "n"))
    public var transferTrainSubset: Int = 0

    @Option(help: ArgumentHelp("Evaluate the transfer on only the first n test images (0 = all).", valueName: "n"))
    public var transferTestSubset: Int = 0

    @Option(help: ArgumentHelp("Ensemble sizes k, e.g. '3,5' (empty or none: no ensembles).", valueName: "list"))
    var ensembleSizes = EnsembleSizeList([3, 5])

    @Option(help: ArgumentHelp("Random ensembles drawn per size.", valueName: "n"))
    public var ensembleTrials: Int = 20

    @Flag(inversion: .prefixedNo, help: "Measure novelty of sampled populations against the zoo's training models.")
    public var novelty = true

    @OptionGroup var seedOptions: SeedOptions<SeedHelpText>

    enum SeedHelpText: SeedHelp {
        static var seed: ArgumentHelp { ArgumentHelp("Seed of fine-tuning data order, fresh initialisations, bootstraps and ensembles.", valueName: "seed") }
    }

    @OptionGroup var threadOptions: ThreadOptions<ThreadsHelpText>

    enum ThreadsHelpText: ThreadsHelp {
        static var threads: ArgumentHelp { ArgumentHelp("Models trained concurrently. Default: all cores.", valueName: "n") }
    }

    @Option(help: ArgumentHelp("Bootstrap resamples per interval (accuracies, comparisons, ensembles, novelty).", valueName: "n"))
    public var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Join this report of `hz-train probe -o` (property prediction from latents, weights and weight statistics) into report.json and report.html.", valueName: "probe.json"))
    public var probe: String?

    @Option(help: ArgumentHelp("Only re-render report.html from an existing report.json (no training).", valueName: "report.json"))
    public var renderOnly: String?

    @OptionGroup var flags: OutputFlags<FlagsHelp>

    enum FlagsHelp: OutputFlagsHelp {
        static var force: ArgumentHelp { "Replace an existing report.json/report.html in the output folder (the old report stays until the new one is complete)." }
        static var json: ArgumentHelp { "Print report.json's summary (per population and epoch: mean accuracy) on stdout as JSON." }
    }


    @Option(help: ArgumentHelp("Fine-tune only shard I of N (member m goes to shard m mod N) into the part file -o; `env` reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT. Join the parts with hyperzoo merge-eval.", valueName: "I/N|env"),
            transform: { try ShardChoice.parse($0, allowingMPI: false) })
    var shard: ShardChoice?

    @Flag(help: "Only print the fine-tuning recipe hz-eval would use (and where it comes from), then exit.")
    public var showRecipe = false

    @OptionGroup(title: "Recipe (zoos without an hz-zoo recipe, or to override it)")
    public var recipeOptions: RecipeOptions

    public init() {}

    public func validate() throws {
        if renderOnly != nil {
            if outputOption == nil { throw ValidationError("missing -o/--output <dir>: the folder for report.html") }
            if shard != nil { throw ValidationError("--render-only re-renders a report; it takes no --shard") }
            return
        }
        if showRecipe { return }
        if outputOption == nil {
            throw ValidationError(shard == nil ? "missing -o/--output <dir>: the folder for report.json and report.html" : "missing -o/--output <part.json>: the part file of --shard")
        }
        if populations.isEmpty && baselines.choices.isEmpty { throw ValidationError("give population files, or at least one baseline with --baselines") }
        if models < 1 { throw ValidationError("--models must be at least 1") }
        if bootstrap < 1 { throw ValidationError("--bootstrap must be at least 1") }
        if transferTrainSubset < 0 || transferTestSubset < 0 { throw ValidationError("--transfer-train-subset and --transfer-test-subset must be ≥ 0") }
    }

    /// The options as the library's plain values (validated by `validate()`).
    func evaluationOptions() throws -> EvaluationOptions {
        var o = EvaluationOptions(populations: populations, zoo: zoo, output: output)
        o.epochs = epochs.sorted; o.models = models; o.baselines = baselines.choices.map(\.rawValue); o.scratch = scratch.rawValue; o.bfEpoch = bfEpoch
        o.trainSubset = trainSubset; o.testSubset = testSubset
        o.transfer = transfer.target; o.transferPath = transferPath
        o.transferTrainSubset = transferTrainSubset; o.transferTestSubset = transferTestSubset
        o.ensembleSizes = ensembleSizes.sizes; o.ensembleTrials = ensembleTrials; o.novelty = novelty
        o.seed = seedOptions.seed; o.threads = threadOptions.count; o.bootstrap = bootstrap; o.probe = probe; o.force = flags.force
        o.recipe = recipeOptions.overrides
        o.shard = try shard?.resolved(environment: ProcessInfo.processInfo.environment)
        o.commandLine = CommandLine.arguments.joined(separator: " ")
        o.generator = "hyperzoo \(HyperZooVersion.string)"
        return o
    }

    public func run() throws {
        try StageFailure.reporting(as: "hz-eval") {
            if let renderOnly {
                print(try ReportFiles.renderHTML(try Self.readReport(renderOnly), into: output, force: flags.force))
                return
            }
            if showRecipe {
                let zooReader = try ZooReader(path: zoo, formats: [.zoo])
                EvalPrinting.printRecipe(try ZooRecipe(zoo: zooReader, options: recipeOptions), json: flags.json)
                return
            }
            let environment = EvaluationEnvironment(readers: .formats, readProbe: Self.readProbeReport) { label, total in
                let bar = ProgressBar(label: label, unit: "images")
                return ({ bar.update($0, of: max(total, 1)) }, { bar.finish() })
            }
            switch try EvaluationRun.run(try evaluationOptions(), environment: environment) {
            case .report(let report): EvalPrinting.printReport(report, folder: output, json: flags.json, tool: "hz-eval")
            case .part(let part): EvalPrinting.printPart(part, path: output, json: flags.json)
            }
        }
    }
}
