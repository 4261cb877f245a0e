// `hz-eval` / `hyperzoo eval`: fine-tune sampled populations and the baselines the same way and
// report how good they are as initialisations, ensembles and transfer starts, and how novel they
// are. Writes DIR/report.json (every number, commands, seeds) and DIR/report.html (self-contained,
// inline SVG charts).
import ArgumentParser
import Foundation
import HyperRep
import Nets
import Tensor
import ZooStore

/// The eval stage.
public struct EvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("eval"),
        abstract: "Fine-tune sampled populations against baselines; write report.json and report.html.",
        discussion: """
        Every population (each POPULATION.h5, and the baselines) is fine-tuned by the same code
        (the zoo's recipe, data and per-member seeds; PopulationTrainer on all cores), and test
        accuracy is reported at each epoch of --epochs (0 = as sampled), with mean, std, median,
        quantiles and bootstrap 95% intervals.

        Baselines (built from the zoo, the paper's names):
          B_T  training from scratch: fresh initialisations drawn with the zoo's initialiser
               (--scratch init), or the zoo's own test-split models at epoch 0 (--scratch zoo-test)
          B_F  zoo models as starting points: training-split models at --bf-epoch
               (default: the zoo's last stored epoch)

        Also: ensembles of k models (--ensemble-sizes) of every population at epoch 0 and at the
        last epoch; transfer to another dataset (--transfer digits: sklearn's UCI digits resized to
        28x28; --transfer fashion-mnist: the reverse, for zoos trained on the digits), the same
        populations fine-tuned there against scratch training and fine-tuned zoo models; novelty
        (distance of each sample to its nearest training model relative to the typical distance
        between training models, and test-prediction disagreement with that model).

        Every sampled population is compared with every baseline at every epoch (in-distribution
        and in each transfer): the difference of mean accuracy with a bootstrap 95% interval,
        Welch's t-test and the Mann-Whitney U test, raw and Holm-adjusted (docs/SAMPLING.md).

        Recipe: fine-tuning uses the zoo's own recipe: the hz-zoo spec stored in zoos made by
        hz-zoo, or for zoos converted by hz-convert from a Model Zoos folder, its config.json or
        params.json. The recipe options override it, and are required for zoos that store none
        (hz-eval says which are missing). --show-recipe prints what will be used.

        Example:
          hz-eval kde30.h5 neigh30.h5 --zoo zoo.h5 --epochs 0,1,5 --models 20 \\
              --train-subset 10000 --transfer digits -o report/
          tools/render-report report/report.html
          hz-eval pop.h5 --zoo converted.h5 --show-recipe
          hz-eval pop.h5 --zoo digits-zoo.h5 --transfer fashion-mnist \\
              --transfer-train-subset 5000 -o reverse/
        """,
        version: HyperZooVersion.string
    )

    @Argument(help: ArgumentHelp("Population files written by hz-sample.", valueName: "population.h5"))
    public var populations: [String] = []

    @Option(help: ArgumentHelp("The zoo the populations were sampled from (baselines, recipe, data, novelty).", valueName: "zoo.h5"))
    public var zoo: String

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Folder for report.json and report.html (created). Required unless --show-recipe.", valueName: "dir"))
    public var outputOption: String?

    /// The report folder (validated to be given, except with --show-recipe).
    var output: String { outputOption ?? "" }

    @Option(help: ArgumentHelp("Fine-tuning epochs to report, e.g. '0,1,5,25'; training runs to the largest.", valueName: "list"))
    public var epochs: String = "0,1,5"

    @Option(help: ArgumentHelp("Models per population and per baseline (the first n).", valueName: "n"))
    public var models: Int = 20

    @Option(help: ArgumentHelp("Baselines to include: any of bt, bf (comma-separated), or none.", valueName: "list"))
    public var baselines: String = "bt,bf"

    @Option(help: ArgumentHelp("B_T source: init (fresh initialisations) or zoo-test (the zoo's test-split models at epoch 0).", valueName: "source"))
    public var scratch: String = "init"

    @Option(help: ArgumentHelp("B_F: zoo epoch used as starting point. Default: the last stored epoch.", valueName: "epoch"))
    public var bfEpoch: Int?

    @Option(help: ArgumentHelp("Fine-tune on only the first n training images (0 = all). Say so when reporting.", valueName: "n"))
    public var trainSubset: Int = 0

    @Option(help: ArgumentHelp("Evaluate on only the first n test images (0 = all).", valueName: "n"))
    public var testSubset: Int = 0

    @Option(help: ArgumentHelp("Transfer target: digits (sklearn's UCI digits, 28x28), fashion-mnist (alias fmnist), or none.", valueName: "dataset"))
    public var transfer: String = "none"

    @Option(help: ArgumentHelp("Transfer data: the digits CSV or the Fashion-MNIST IDX folder. Default: the Debian location.", valueName: "path"))
    public var transferPath: String?

    @Option(help: ArgumentHelp("Fine-tune the transfer on only the first n training images (0 = all).", valueName: "n"))
    public var transferTrainSubset: Int = 0

    @Option(help: ArgumentHelp("Evaluate the transfer on only the first n test images (0 = all).", valueName: "n"))
    public var transferTestSubset: Int = 0

    @Option(help: ArgumentHelp("Ensemble sizes k, e.g. '3,5' (empty: no ensembles).", valueName: "list"))
    public var ensembleSizes: String = "3,5"

    @Option(help: ArgumentHelp("Random ensembles drawn per size.", valueName: "n"))
    public var ensembleTrials: Int = 20

    @Flag(inversion: .prefixedNo, help: "Measure novelty of sampled populations against the zoo's training models.")
    public var novelty = true

    @Option(help: ArgumentHelp("Seed of fine-tuning data order, fresh initialisations, bootstraps and ensembles.", valueName: "seed"))
    public var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Models trained concurrently. Default: all cores.", valueName: "n"))
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Bootstrap resamples per interval.", valueName: "n"))
    public var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Only re-render report.html from an existing report.json (no training).", valueName: "report.json"))
    public var renderOnly: String?

    @Flag(help: "Print report.json's summary (per population and epoch: mean accuracy) on stdout as JSON.")
    public var json = false

    @Flag(help: "Only print the fine-tuning recipe hz-eval would use (and where it comes from), then exit.")
    public var showRecipe = false

    @OptionGroup(title: "Recipe (zoos without an hz-zoo recipe, or to override it)")
    public var recipeOptions: RecipeOptions

    public init() {}

    public func validate() throws {
        if renderOnly != nil {
            if outputOption == nil { throw ValidationError("missing -o/--output <dir>: the folder for report.html") }
            return
        }
        if showRecipe { return }
        if outputOption == nil { throw ValidationError("missing -o/--output <dir>: the folder for report.json and report.html") }
        if populations.isEmpty && parsedBaselines.isEmpty { throw ValidationError("give population files, or at least one baseline with --baselines") }
        if models < 1 { throw ValidationError("--models must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        _ = try parsedEpochs()
        _ = try parsedEnsembleSizes()
        if !["init", "zoo-test"].contains(scratch) { throw ValidationError("--scratch must be init or zoo-test") }
        if transferTarget == nil { throw ValidationError("--transfer must be digits, fashion-mnist or none") }
        if transferTrainSubset < 0 || transferTestSubset < 0 { throw ValidationError("--transfer-train-subset and --transfer-test-subset must be ≥ 0") }
        for b in parsedBaselines where !["bt", "bf"].contains(b) { throw ValidationError("--baselines: '\(b)' is not bt or bf") }
    }

    /// "digits", "fashion-mnist", "" (none), or nil when not recognised.
    var transferTarget: String? {
        switch transfer.lowercased() {
        case "none": return ""
        case "digits": return "digits"
        case "fashion-mnist", "fmnist": return "fashion-mnist"
        default: return nil
        }
    }

    var parsedBaselines: [String] {
        baselines == "none" ? [] : baselines.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    func parsedEpochs() throws -> [Int] { try ConvertCommand.parseEpochs(epochs).sorted() }

    func parsedEnsembleSizes() throws -> [Int] {
        guard !ensembleSizes.isEmpty else { return [] }
        return try ensembleSizes.split(separator: ",").map {
            guard let k = Int($0.trimmingCharacters(in: .whitespaces)), k >= 1 else {
                throw ValidationError("--ensemble-sizes: '\($0)' is not a positive integer")
            }
            return k
        }
    }

    public func run() throws {
        do {
            if let renderOnly {
                let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: renderOnly)))
                try writeAtomically(Data(ReportHTML.render(report).utf8), to: output + "/report.html")
                print("\(output)/report.html")
                return
            }
            try evaluate()
        } catch let code as ExitCode {
            throw code
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("hz-eval: \(error.message)\n".utf8))
            throw ExitCode.failure
        } catch {
            FileHandle.standardError.write(Data("hz-eval: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// A loaded population: name, rows, the file it came from.
    struct Population {
        var name: String, path: String, rows: [[Float]], reader: ZooReader
    }

    private func evaluate() throws {
        let started = Date()
        let zooReader = try ZooReader(path: zoo, formats: [.zoo])
        let recipe = try ZooRecipe(zoo: zooReader, options: recipeOptions)
        if showRecipe {
            printRecipe(recipe)
            return
        }
        let reportEpochs = try parsedEpochs()
        let setup = EvaluationSetup(architecture: recipe.architecture, recipe: recipe.training, epochs: reportEpochs,
                                    threads: threads, seed: seed, bootstrapResamples: bootstrap)
        var data = try recipe.loadData()
        if trainSubset > 0 { data.train = data.train.prefix(trainSubset) }
        if testSubset > 0 { data.test = data.test.prefix(testSubset) }

        var commands: [String] = []
        var seeds: [String: UInt64] = ["evaluation": seed]
        var loaded: [Population] = []
        for path in populations {
            let reader = try ZooReader(path: path, formats: [.population])
            guard reader.table == zooReader.table else {
                throw ValidationError("\(path): its architecture differs from \(zoo)'s; sample it from this zoo")
            }
            let n = min(models, reader.checkpointCount)
            let rows = try (0..<n).map { try reader.readRow($0) }
            var name = reader.metadata("sampler")?["population"]?.stringValue ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            while loaded.contains(where: { $0.name == name }) { name += "'" }
            if let c = reader.metadata("provenance")?["command"]?.stringValue { commands.append(c) }
            if let s = reader.metadata("seed")?.intValue { seeds["sample." + name] = UInt64(s) }
            loaded.append(Population(name: name, path: path, rows: rows, reader: reader))
        }
        commands.append(CommandLine.arguments.joined(separator: " "))

        // Baselines.
        var baselineRows: [(String, [String: String], [[Float]])] = []
        if parsedBaselines.contains("bt") { baselineRows.append(try scratchBaseline(zooReader, recipe: recipe)) }
        if parsedBaselines.contains("bf") { baselineRows.append(try zooBaseline(zooReader)) }

        let sizes = try parsedEnsembleSizes()
        let last = setup.epochs.last ?? 0
        let keep: Set<Int> = sizes.isEmpty ? [] : [0, last]
        var results: [PopulationResult] = []
        var ensembles: [EnsembleResult] = []
        var notes: [String] = []
        if trainSubset > 0 { notes.append("Fine-tuning used the first \(data.train.count) training images, not the full training set.") }
        if testSubset > 0 { notes.append("Test metrics use the first \(data.test.count) test images.") }

        let all: [(name: String, role: String, details: [String: String], rows: [[Float]])] =
            loaded.map { p in (p.name, "sampled", samplerDetails(p.reader).merging(["file": p.path]) { a, _ in a }, p.rows) }
            + baselineRows.map { ($0.0, "baseline", $0.1, $0.2) }
        for p in all {
            let outcome = fineTuneWithProgress(p.name, role: p.role, details: p.details, rows: p.rows, data: data, setup: setup, keep: keep)
            results.append(outcome.result)
            for k in keep.sorted() {
                // Untrained scratch models are random: their ensembles say nothing.
                if p.name == "B_T" && k == 0 { continue }
                guard let rows = outcome.rowsAtEpoch[k] else { continue }
                ensembles += PopulationEvaluator.ensembles(name: p.name, epoch: k, rows: rows, sizes: sizes, trials: ensembleTrials,
                                                           poolSize: models, architecture: setup.architecture, test: data.test,
                                                           threads: threads, seed: seed)
            }
        }
        if !sizes.isEmpty { seeds["ensembles"] = seed }

        var transfers: [TransferResult] = []
        var comparisons = PairwiseComparison.compareSampledWithBaselines(results, experiment: "in-distribution", seed: seed, resamples: bootstrap)
        if let target = transferTarget, !target.isEmpty {
            guard target != recipe.datasetName else {
                throw ValidationError("--transfer \(target): the zoo was trained on \(target) already; transfer to the other dataset")
            }
            var targetData = try loadTransferData(target, architecture: setup.architecture, normalization: recipe.dataset.normalization)
            if transferTrainSubset > 0 { targetData.train = targetData.train.prefix(transferTrainSubset) }
            if transferTestSubset > 0 { targetData.test = targetData.test.prefix(transferTestSubset) }
            if transferTrainSubset > 0 || transferTestSubset > 0 {
                notes.append("Transfer to \(target) fine-tuned on \(targetData.train.count) training images and tested on \(targetData.test.count).")
            }
            var transferred: [PopulationResult] = []
            for p in all {
                transferred.append(fineTuneWithProgress("\(p.name)", role: p.role, details: p.details, rows: p.rows, data: targetData,
                                                        setup: setup, keep: []).result)
            }
            transfers.append(TransferResult(source: recipe.datasetName, target: target, populations: transferred))
            comparisons += PairwiseComparison.compareSampledWithBaselines(
                transferred, experiment: TransferResult.experimentName(source: recipe.datasetName, target: target), seed: seed, resamples: bootstrap)
            if target == "digits" { seeds["digits_split"] = 42 } else { seeds["fashion_mnist_split"] = 42 }
        }

        var noveltyResults: [NoveltyResult] = []
        if novelty && !loaded.isEmpty {
            let trainRows = zooReader.select(split: .train)
            let step = max(1, trainRows.count / 5000)
            let reference = try stride(from: 0, to: trainRows.count, by: step).map { try zooReader.readRow(trainRows[$0]) }
            if trainRows.count > 5000 { notes.append("Novelty compares against every \(step)th training checkpoint (\(reference.count) of \(trainRows.count)).") }
            for p in loaded {
                noveltyResults.append(PopulationEvaluator.novelty(name: p.name, samples: p.rows, training: reference, architecture: setup.architecture,
                                                                   test: data.test, threads: threads, seed: seed))
            }
        }

        let settings: [String: String] = [
            "zoo": zoo, "architecture": setup.architecture.name, "recipe": recipe.description,
            "epochs": setup.epochs.map(String.init).joined(separator: ","), "models_per_population": String(models),
            "train_images": String(data.train.count), "test_images": String(data.test.count),
            "dataset": recipe.datasetName, "recipe_source": recipe.source, "scratch": scratch, "bf_epoch": String(bfEpochValue(zooReader)),
            "threads": String(threads), "seconds": String(format: "%.1f", Date().timeIntervalSince(started)),
        ]
        let report = EvaluationReport(
            generator: "hyperzoo \(HyperZooVersion.string)", createdAt: ISO8601DateFormatter().string(from: Date()),
            commands: commands, seeds: seeds, settings: settings, populations: results, ensembles: ensembles,
            transfers: transfers, novelty: noveltyResults, latentProjection: mergedProjection(loaded), notes: notes,
            comparisons: comparisons)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try writeAtomically(try report.jsonData(), to: output + "/report.json")
        try writeAtomically(Data(ReportHTML.render(report).utf8), to: output + "/report.html")
        if json {
            var summary: [String: [String: Double]] = [:]
            for p in results { summary[p.name] = Dictionary(uniqueKeysWithValues: p.epochs.map { (String($0.epoch), $0.accuracy.mean) }) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            FileHandle.standardOutput.write(try encoder.encode(JSONSummary(report: output + "/report.json", meanAccuracy: summary)) + Data("\n".utf8))
        } else {
            for p in results {
                let cells = p.epochs.map { "ep\($0.epoch) \(String(format: "%.2f", $0.accuracy.mean * 100))%" }.joined(separator: "  ")
                print("\(p.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(cells)")
            }
            print("\(output)/report.json, \(output)/report.html")
        }
    }

    /// The transfer target's splits, brought to the zoo's input size (validation dropped).
    private func loadTransferData(_ target: String, architecture: ArchitectureSpec, normalization: Normalization?) throws -> DatasetSplits {
        var data: DatasetSplits
        if target == "digits" {
            data = try DigitsDataset.load(path: transferPath ?? DigitsDataset.defaultPath, size: architecture.inputHeight,
                                          normalization: normalization ?? .zoo)
        } else {
            data = try FashionMNIST.load(directory: transferPath ?? FashionMNIST.defaultDirectory, normalization: normalization ?? .zoo)
        }
        data.validation = nil
        return data.adapted(to: architecture)
    }

    private func printRecipe(_ recipe: ZooRecipe) {
        let o = recipe.training.optimizer
        let fields: [(String, String)] = [
            ("source", recipe.source), ("architecture", recipe.architecture.name), ("activation", recipe.architecture.activation.rawValue),
            ("dropout", String(recipe.architecture.dropout)), ("initializer", recipe.initializer.rawValue),
            ("optimizer", o.kind.rawValue), ("lr", String(o.learningRate)), ("weight_decay", String(o.weightDecay)),
            ("batch_size", String(recipe.training.batchSize)), ("dataset", recipe.dataset.name),
            ("dataset_path", recipe.dataset.directory ?? "default"),
            ("normalization", recipe.dataset.normalization.map { "\($0.mean),\($0.std)" } ?? "zoo"),
        ]
        if json {
            let object = JSONValue.object(Dictionary(uniqueKeysWithValues: fields.map { ($0.0, JSONValue.string($0.1)) }))
            print(object.jsonText)
        } else {
            for (k, v) in fields { print("\(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v)") }
        }
    }

    private func fineTuneWithProgress(_ name: String, role: String, details: [String: String], rows: [[Float]], data: DatasetSplits,
                                      setup: EvaluationSetup, keep: Set<Int>) -> FineTuneOutcome {
        let bar = ProgressBar(label: "fine-tuning \(name) on \(data.train.name)", unit: "images")
        let total = rows.count * data.train.count * (setup.epochs.last ?? 0)
        let counter = Counter()
        let outcome = PopulationEvaluator.fineTune(name: name, role: role, details: details, rows: rows, data: data, setup: setup,
                                                   keepRowsAt: keep) { n in bar.update(counter.add(n), of: max(total, 1)) }
        bar.finish()
        return outcome
    }

    private func samplerDetails(_ reader: ZooReader) -> [String: String] {
        var d: [String: String] = [:]
        if let s = reader.metadata("sampler")?.objectValue { for (k, v) in s { d[k] = v.stringValue ?? v.jsonText } }
        if let a = reader.metadata("anchors") { d["anchors"] = "\(a["count"]?.intValue ?? 0) (\(a["fraction"]?.doubleValue ?? 1) by \(a["metric"]?.stringValue ?? "?"))" }
        return d
    }

    func bfEpochValue(_ zoo: ZooReader) -> Int { bfEpoch ?? zoo.epoch.max() ?? 0 }

    /// B_T: fresh initialisations with the zoo's initialiser, or the zoo's test-split models at epoch 0.
    private func scratchBaseline(_ zoo: ZooReader, recipe: ZooRecipe) throws -> (String, [String: String], [[Float]]) {
        if scratch == "zoo-test" {
            let rows = zoo.select(split: .test, epochs: [0])
            guard !rows.isEmpty else {
                throw ValidationError("\(zoo.path): no test-split models stored at epoch 0 for --scratch zoo-test; use --scratch init")
            }
            return ("B_T", ["source": "zoo test split, epoch 0", "models": String(min(models, rows.count))],
                    try rows.prefix(models).map { try zoo.readRow($0) })
        }
        let rows = (0..<models).map { i in
            recipe.architecture.initialRow(initializer: recipe.initializer, seed: RandomStream(seed: seed, purpose: "eval.scratch", index: UInt64(i)).value(at: 0))
        }
        return ("B_T", ["source": "fresh \(recipe.initializer.rawValue) initialisations (seeded)"], rows)
    }

    /// B_F: the zoo's training-split models at the B_F epoch.
    private func zooBaseline(_ zoo: ZooReader) throws -> (String, [String: String], [[Float]]) {
        let epoch = bfEpochValue(zoo)
        let rows = zoo.select(split: .train, epochs: [epoch])
        guard !rows.isEmpty else { throw ValidationError("\(zoo.path): no training-split models at epoch \(epoch) for B_F (--bf-epoch)") }
        return ("B_F", ["source": "zoo train split, epoch \(epoch)"], try rows.prefix(models).map { try zoo.readRow($0) })
    }

    /// The latent maps of the populations: training points and anchors from the first, samples from all.
    private func mergedProjection(_ populations: [Population]) -> LatentProjection? {
        var merged: LatentProjection?
        for p in populations {
            guard let j = p.reader.metadata("latent_projection"), let projection = try? j.decode(as: LatentProjection.self),
                  !projection.training.isEmpty || !projection.anchors.isEmpty else { continue }
            if merged == nil {
                merged = projection
                merged!.samples = [:]
            }
            for (_, points) in projection.samples { merged!.samples[p.name] = points }
        }
        return merged
    }

    private func writeAtomically(_ data: Data, to path: String) throws {
        let partial = path + ".partial"
        try data.write(to: URL(fileURLWithPath: partial))
        if rename(partial, path) != 0 { throw ValidationError("\(path): cannot move the finished file into place") }
    }
}

/// `--json` output: the report's path and, per population and epoch, the mean test accuracy.
struct JSONSummary: Encodable {
    var report: String
    var meanAccuracy: [String: [String: Double]]
}

/// Thread-safe running total for progress callbacks.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func add(_ n: Int) -> Int { lock.lock(); defer { lock.unlock() }; value += n; return value }
}
