// `hz-eval` / `hyperzoo eval`: fine-tune sampled populations and the baselines the same way and
// report how good they are as initialisations, ensembles and transfer starts, and how novel they
// are. Writes DIR/report.json (every number, commands, seeds) and DIR/report.html (self-contained,
// inline SVG charts).
import ArgumentParser
import Foundation
import Formats
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
        28x28; --transfer fashion-mnist: the reverse, for zoos trained on the digits; --transfer
        mnist, svhn, cifar10 or stl10: the papers' datasets, read from --transfer-path or
        $HYPERZOO_DATA/<name> and prepared as their Model Zoos recipe does, with their own
        normalisation: --transfer mnist for an SVHN zoo is the paper's pair), the same
        populations fine-tuned there against scratch training and fine-tuned zoo models; novelty
        (distance of each sample to its nearest training model relative to the typical distance
        between training models, and test-prediction disagreement with that model).

        Noise controls (hz-sample --sampler noise-control) are evaluated like any population;
        each sampled population is shown beside the control made to match its novelty (or the
        control within 10% of its novelty) at every epoch. The report opens with a summary in
        words (better or worse than B_T per epoch with the interval, new or copied, against the
        noise control) and diagnostics (collapsed populations, near copies), also printed as
        warnings.

        --models n takes exactly the first n models of every population and baseline, or stops
        with an error naming the population that has fewer. hz-eval refuses to replace an
        existing report without --force.

        Every sampled population is compared with every baseline at every epoch (in-distribution
        and in each transfer): the difference of mean accuracy with a bootstrap 95% interval,
        Welch's t-test and the Mann-Whitney U test, raw and Holm-adjusted (docs/SAMPLING.md).

        Property prediction: --probe probe.json joins the report of
        `hz-train probe ae.h5 zoo.h5 -o probe.json` (what the
        latents predict about the zoo's models: test accuracy, epoch, hyper-parameters, beside the
        same ridge and MLP predictors on the raw weights and on weight statistics) into report.json
        (key "probe") and report.html (section "Property prediction").

        Recipe: fine-tuning uses the zoo's own recipe: the hz-zoo spec stored in zoos made by
        hz-zoo, or for zoos converted by hz-convert from a Model Zoos folder, its config.json or
        params.json. In a grid ("Hyp") zoo every model has its own activation, dropout,
        initialiser, optimizer and learning rate (its record's hyperparameters): B_F models
        fine-tune with their own, B_T member i with training model i's (fresh weights of that
        recipe's initialiser), and each sampled model with the recipe of its nearest training
        model in weight space. The recipe options override a field for every model, and are
        required for zoos that store none (hz-eval says which are missing). --show-recipe
        prints what will be used: one recipe, or the distinct ones with their models and a
        warning that the zoo mixes recipes.

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

    @Option(help: ArgumentHelp("Models per population and per baseline (the first n); a population with fewer is an error.", valueName: "n"))
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

    @Option(help: ArgumentHelp("Transfer target: digits (sklearn's UCI digits, 28x28), fashion-mnist (alias fmnist), mnist, svhn, cifar10, stl10, or none.", valueName: "dataset"))
    public var transfer: String = "none"

    @Option(help: ArgumentHelp("Transfer data: the digits CSV, the Fashion-MNIST IDX folder, or the folder of mnist/svhn/cifar10/stl10's release files. Default: the Debian location, or $HYPERZOO_DATA/<name>.", valueName: "path"))
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

    @Option(help: ArgumentHelp("Bootstrap resamples per interval (accuracies, comparisons, ensembles, novelty).", valueName: "n"))
    public var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Join this report of `hz-train probe -o` (property prediction from latents, weights and weight statistics) into report.json and report.html.", valueName: "probe.json"))
    public var probe: String?

    @Option(help: ArgumentHelp("Only re-render report.html from an existing report.json (no training).", valueName: "report.json"))
    public var renderOnly: String?

    @Flag(help: "Replace an existing report.json/report.html in the output folder (the old report stays until the new one is complete).")
    public var force = false

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
        if bootstrap < 1 { throw ValidationError("--bootstrap must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        _ = try parsedEpochs()
        _ = try parsedEnsembleSizes()
        if !["init", "zoo-test"].contains(scratch) { throw ValidationError("--scratch must be init or zoo-test") }
        if transferTarget == nil { throw ValidationError("--transfer must be digits, fashion-mnist, mnist, svhn, cifar10, stl10 or none") }
        if transferTrainSubset < 0 || transferTestSubset < 0 { throw ValidationError("--transfer-train-subset and --transfer-test-subset must be ≥ 0") }
        for b in parsedBaselines where !["bt", "bf"].contains(b) { throw ValidationError("--baselines: '\(b)' is not bt or bf") }
    }

    /// "digits", "fashion-mnist", a ``PaperDataset`` name, "" (none), or nil when not recognised.
    var transferTarget: String? {
        switch transfer.lowercased() {
        case "none": return ""
        case "digits": return "digits"
        case "fashion-mnist", "fmnist": return "fashion-mnist"
        case let name where PaperDataset(rawValue: name) != nil: return name
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
                if !force && FileManager.default.fileExists(atPath: output + "/report.html") {
                    throw ValidationError("\(output)/report.html already exists; pass --force to replace it")
                }
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                try ReportFiles(folder: output, names: ["report.html"]).write([Data(ReportHTML.render(report).utf8)])
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

    /// A loaded population: name, rows, the file it came from, and whether it is a noise control.
    struct Population {
        var name: String, path: String, rows: [[Float]], reader: ZooReader
        var isNoiseControl: Bool { reader.metadata("sampler")?["sampler"]?.stringValue == "noise-control" }
    }

    /// The `hz-train probe` report at `path`: a regular file of bounded size in that format.
    static func readProbeReport(_ path: String) throws -> ProbeReport {
        let file = try RandomAccessFile(path: path)
        guard file.size <= ProbeReport.maximumFileBytes else {
            throw ValidationError("--probe \(path): \(file.size) bytes, more than a probe report's limit of \(ProbeReport.maximumFileBytes); pass the report of hz-train probe -o")
        }
        return try ProbeReport.decode(Data(try file.read(count: file.size, at: 0)), name: "--probe \(path)")
    }

    /// Refuses to run into an existing report without --force, before any work is done.
    func checkOutputFolder() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else { throw ValidationError("\(output) exists and is not a folder; -o names the report folder") }
        for name in ["report.json", "report.html"] where FileManager.default.fileExists(atPath: output + "/" + name) && !force {
            throw ValidationError("\(output)/\(name) already exists; pass --force to replace the report (the old one stays until the new one is complete)")
        }
    }

    /// A population to fine-tune: rows, and each member's network and recipe.
    struct Entry {
        var name: String, role: String, details: [String: String], rows: [[Float]], recipes: [MemberRecipe]
        var architectures: [ArchitectureSpec] { recipes.map(\.architecture) }
    }

    private func evaluate() throws {
        let started = Date()
        let zooReader = try ZooReader(path: zoo, formats: [.zoo])
        let recipe = try ZooRecipe(zoo: zooReader, options: recipeOptions)
        if showRecipe {
            printRecipe(recipe)
            return
        }
        try checkOutputFolder()
        // Read before any fine-tuning, so a wrong file costs nothing.
        let probeReport = try probe.map(Self.readProbeReport)
        if let target = transferTarget, target == recipe.datasetName {
            throw ValidationError("--transfer \(target): the zoo was trained on \(target) already; transfer to the other dataset")
        }
        let reportEpochs = try parsedEpochs()
        let setup = EvaluationSetup(architecture: recipe.architecture, recipe: recipe.training, epochs: reportEpochs,
                                    threads: threads, seed: seed, bootstrapResamples: bootstrap)
        var data = try recipe.loadData()
        if trainSubset > 0 { data.train = data.train.prefix(trainSubset) }
        if testSubset > 0 { data.test = data.test.prefix(testSubset) }

        var commands: [String] = []
        var seeds: [String: UInt64] = ["evaluation": seed]
        var notes: [String] = []
        var loaded: [Population] = []
        for path in populations {
            let reader = try ZooReader(path: path, formats: [.population])
            guard reader.table == zooReader.table else {
                throw ValidationError("\(path): its architecture differs from \(zoo)'s; sample it from this zoo")
            }
            guard reader.checkpointCount >= models else {
                throw ValidationError("\(path): holds \(reader.checkpointCount) models, --models asks for \(models); pass --models \(reader.checkpointCount) or sample at least \(models) (hz-sample --count \(models))")
            }
            let rows = try (0..<models).map { try reader.readRow($0) }
            if let k = rows.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
                let parameter = rows[k].firstIndex { !$0.isFinite }!
                throw ValidationError("\(path): model \(reader.models[reader.modelIndex[k]].id) has a NaN or infinite weight at parameter \(parameter) (hz-sample never writes one: the file is damaged); sample the population again")
            }
            var name = reader.metadata("sampler")?["population"]?.stringValue ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            while loaded.contains(where: { $0.name == name }) { name += "'" }
            if let c = reader.metadata("provenance")?["command"]?.stringValue { commands.append(c) }
            if let s = reader.metadata("seed")?.intValue { seeds["sample." + name] = UInt64(s) }
            loaded.append(Population(name: name, path: path, rows: rows, reader: reader))
        }
        commands.append(CommandLine.arguments.joined(separator: " "))

        // The training models novelty (and, in a grid zoo, a sample's recipe) is measured against.
        let needsReference = !loaded.isEmpty && (novelty || recipe.isMixed)
        let reference = needsReference ? try NoveltyReference(zoo: zooReader) : nil
        if let reference, novelty { notes += reference.notes }
        let referenceRecipes = reference?.zooRows.map { recipe.recipe(ofRow: $0, in: zooReader) } ?? []
        if recipe.isMixed {
            notes.append("The zoo mixes \(recipe.distinctRecipes.count) recipes: every zoo model fine-tunes with its own; B_T member i uses training model i's recipe; each sampled model uses the recipe of its nearest training model in weight space.")
        }

        var entries: [Entry] = loaded.map { p in
            var recipes = p.rows.map { _ in recipe.modelRecipes[0] }
            if recipe.isMixed, let reference {
                let nearest = WeightSpaceDistance.nearest(queries: p.rows.flatMap { $0 }, references: reference.rows.flatMap { $0 },
                                                          width: zooReader.parameterCount)
                recipes = nearest.map { referenceRecipes[$0.index] }
            }
            return Entry(name: p.name, role: p.isNoiseControl ? "control" : "sampled",
                         details: samplerDetails(p.reader).merging(["file": p.path]) { a, _ in a }, rows: p.rows, recipes: recipes)
        }
        if parsedBaselines.contains("bt") { entries.append(try scratchBaseline(zooReader, recipe: recipe)) }
        if parsedBaselines.contains("bf") { entries.append(try zooBaseline(zooReader, recipe: recipe, notes: &notes)) }

        let sizes = try parsedEnsembleSizes()
        let last = setup.epochs.last ?? 0
        let keep: Set<Int> = sizes.isEmpty ? [] : [0, last]
        var results: [PopulationResult] = []
        var ensembles: [EnsembleResult] = []
        if trainSubset > 0 { notes.append("Fine-tuning used the first \(data.train.count) training images, not the full training set.") }
        if testSubset > 0 { notes.append("Test metrics use the first \(data.test.count) test images.") }

        for (k, e) in entries.enumerated() {
            if recipe.isMixed { entries[k].details["recipes"] = recipeCounts(e.recipes) }
            let outcome = fineTuneWithProgress(entries[k], data: data, setup: setup, keep: keep)
            results.append(outcome.result)
            for epoch in keep.sorted() {
                // Untrained scratch models are random: their ensembles say nothing.
                if e.name == "B_T" && epoch == 0 { continue }
                guard let rows = outcome.rowsAtEpoch[epoch] else { continue }
                ensembles += PopulationEvaluator.ensembles(name: e.name, epoch: epoch, rows: rows, architectures: e.architectures, sizes: sizes,
                                                           trials: ensembleTrials, poolSize: models, test: data.test,
                                                           threads: threads, seed: seed, resamples: bootstrap)
            }
        }
        if !sizes.isEmpty { seeds["ensembles"] = seed }

        var transfers: [TransferResult] = []
        var comparisons = PairwiseComparison.compareSampledWithBaselines(results, experiment: "in-distribution", seed: seed, resamples: bootstrap)
        if let target = transferTarget, !target.isEmpty {
            var targetData = try loadTransferData(target, architecture: setup.architecture, normalization: recipe.dataset.normalization)
            if transferTrainSubset > 0 { targetData.train = targetData.train.prefix(transferTrainSubset) }
            if transferTestSubset > 0 { targetData.test = targetData.test.prefix(transferTestSubset) }
            if transferTrainSubset > 0 || transferTestSubset > 0 {
                notes.append("Transfer to \(target) fine-tuned on \(targetData.train.count) training images and tested on \(targetData.test.count).")
            }
            var transferred: [PopulationResult] = []
            for e in entries {
                transferred.append(fineTuneWithProgress(e, data: targetData, setup: setup, keep: []).result)
            }
            transfers.append(TransferResult(source: recipe.datasetName, target: target, populations: transferred))
            comparisons += PairwiseComparison.compareSampledWithBaselines(
                transferred, experiment: TransferResult.experimentName(source: recipe.datasetName, target: target), seed: seed, resamples: bootstrap)
            if target == "digits" { seeds["digits_split"] = 42 }
            else if PaperDataset(rawValue: target) != nil { seeds["\(target)_split"] = 42 }   // torch's random_split seed
            else { seeds["fashion_mnist_split"] = 42 }
        }

        var noveltyResults: [NoveltyResult] = []
        var diagnostics: [PopulationDiagnostics] = []
        if novelty, let reference {
            let flatReference = reference.rows.flatMap { $0 }
            for e in entries where e.role != "baseline" {
                noveltyResults.append(try PopulationEvaluator.novelty(
                    name: e.name, samples: e.rows, training: reference.rows, sampleArchitectures: e.architectures,
                    trainingArchitectures: referenceRecipes.map(\.architecture), test: data.test, threads: threads, seed: seed, resamples: bootstrap))
                diagnostics.append(try PopulationDiagnostics(population: e.name, samples: e.rows.flatMap { $0 }, reference: flatReference,
                                                             width: zooReader.parameterCount, seed: seed))
            }
        }
        let pairings = NoiseControlPairing.pair(results, novelty: noveltyResults)
        let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        comparisons += PairwiseComparison.compare(pairings.map { (byName[$0.population]!, byName[$0.control]!) },
                                                  experiment: NoiseControlPairing.experiment, seed: seed, resamples: bootstrap)

        let settings: [String: String] = [
            "zoo": zoo, "architecture": setup.architecture.name, "recipe": recipe.description,
            "epochs": setup.epochs.map(String.init).joined(separator: ","), "models_per_population": String(models),
            "train_images": String(data.train.count), "test_images": String(data.test.count),
            "dataset": recipe.datasetName, "recipe_source": recipe.source, "scratch": scratch, "bf_epoch": String(bfEpochValue(zooReader)),
            "threads": String(threads), "bootstrap_resamples": String(bootstrap),
            "seconds": String(format: "%.1f", Date().timeIntervalSince(started)),
        ]
        var report = EvaluationReport(
            generator: "hyperzoo \(HyperZooVersion.string)", createdAt: ISO8601DateFormatter().string(from: Date()),
            commands: commands, seeds: seeds, settings: settings, populations: results, ensembles: ensembles,
            transfers: transfers, novelty: noveltyResults, latentProjection: mergedProjection(loaded), notes: notes,
            comparisons: comparisons)
        report.diagnostics = diagnostics
        report.noiseControls = pairings
        report.probe = probeReport
        report.summary = ReportSummary.lines(for: report)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        // Both files are complete (as .partial) before either replaces an old report.
        try ReportFiles(folder: output, names: ["report.json", "report.html"])
            .write([try report.jsonData(), Data(ReportHTML.render(report).utf8)])
        for d in diagnostics { for w in d.warnings { FileHandle.standardError.write(Data("hz-eval: warning: \(w)\n".utf8)) } }
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
            for line in report.summary ?? [] where !line.hasPrefix("Warning: ") { print(line) }
            print("\(output)/report.json, \(output)/report.html")
        }
    }

    /// "cnn_s relu dropout 0.0, adam lr 0.001 … ×3; …" for a population's members.
    private func recipeCounts(_ recipes: [MemberRecipe]) -> String {
        var order: [MemberRecipe] = []
        var counts: [Int] = []
        for r in recipes {
            if let k = order.firstIndex(of: r) { counts[k] += 1 } else { order.append(r); counts.append(1) }
        }
        return zip(order, counts).map { "\(ZooRecipe.describe($0)) ×\($1)" }.joined(separator: "; ")
    }

    /// The transfer target's splits, brought to the zoo's input size (validation dropped).
    private func loadTransferData(_ target: String, architecture: ArchitectureSpec, normalization: Normalization?) throws -> DatasetSplits {
        var data: DatasetSplits
        if PaperDataset(rawValue: target) != nil {
            // The papers' pairs use the target's own recipe (its normalisation and split).
            data = try ZooSpec.DatasetChoice(name: target, directory: transferPath).load(for: architecture, readers: .formats)
        } else if target == "digits" {
            data = try DigitsDataset.load(path: transferPath ?? DigitsDataset.defaultPath, size: architecture.inputHeight,
                                          normalization: normalization ?? .zoo)
        } else {
            data = try FashionMNIST.load(directory: transferPath ?? FashionMNIST.defaultDirectory, normalization: normalization ?? .zoo)
        }
        data.validation = nil
        return data.adapted(to: architecture)
    }

    private func printRecipe(_ recipe: ZooRecipe) {
        func fields(_ r: MemberRecipe) -> [(String, String)] {
            let o = r.training.optimizer
            return [("architecture", r.architecture.name), ("activation", r.architecture.activation.rawValue),
                    ("dropout", String(r.architecture.dropout)), ("initializer", r.initializer.rawValue),
                    ("optimizer", o.kind.rawValue), ("lr", String(o.learningRate)), ("weight_decay", String(o.weightDecay)),
                    ("batch_size", String(r.training.batchSize))]
        }
        let shared: [(String, String)] = [
            ("source", recipe.source), ("dataset", recipe.dataset.name), ("dataset_path", recipe.dataset.directory ?? "default"),
            ("normalization", recipe.dataset.normalization.map { "\($0.mean),\($0.std)" } ?? "zoo"),
        ]
        let warning = "the zoo mixes \(recipe.distinctRecipes.count) recipes; each model is fine-tuned with its own (B_T member i with training model i's, a sampled model with its nearest training model's)"
        if recipe.isMixed { FileHandle.standardError.write(Data("hz-eval: warning: \(warning)\n".utf8)) }
        if json {
            // One recipe: its fields at the top level. Mixed: the fields that differ say "mixed",
            // and `recipes` lists each distinct recipe with its models.
            var object: [String: JSONValue] = [:]
            for (k, v) in shared { object[k] = .string(v) }
            let all = recipe.distinctRecipes.map { fields($0.recipe) }
            for (i, (k, v)) in all[0].enumerated() { object[k] = .string(all.allSatisfy { $0[i].1 == v } ? v : "mixed") }
            object["mixed"] = .bool(recipe.isMixed)
            object["recipes"] = .array(recipe.distinctRecipes.map { entry in
                var o = Dictionary(uniqueKeysWithValues: fields(entry.recipe).map { ($0.0, JSONValue.string($0.1)) })
                o["models"] = .array(entry.models.map { .string($0) })
                return .object(o)
            })
            print(JSONValue.object(object).jsonText)
        } else {
            for (k, v) in shared { print("\(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v)") }
            for (n, entry) in recipe.distinctRecipes.enumerated() {
                if recipe.isMixed { print("recipe \(n + 1) (\(entry.models.count) models: \(entry.models.prefix(8).joined(separator: ", "))\(entry.models.count > 8 ? ", ..." : ""))") }
                for (k, v) in fields(entry.recipe) { print("\(recipe.isMixed ? "  " : "")\(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v)") }
            }
            if recipe.isMixed { print("warning: \(warning)") }
        }
    }

    private func fineTuneWithProgress(_ e: Entry, data: DatasetSplits, setup: EvaluationSetup, keep: Set<Int>) -> FineTuneOutcome {
        let bar = ProgressBar(label: "fine-tuning \(e.name) on \(data.train.name)", unit: "images")
        let total = e.rows.count * data.train.count * (setup.epochs.last ?? 0)
        let counter = Counter()
        let outcome = PopulationEvaluator.fineTune(name: e.name, role: e.role, details: e.details, rows: e.rows, data: data, setup: setup,
                                                   recipes: e.recipes, keepRowsAt: keep) { n in bar.update(counter.add(n), of: max(total, 1)) }
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

    /// B_T: fresh initialisations with the zoo's initialiser (member i with training model i's
    /// recipe, so B_T mixes recipes as the zoo does), or the zoo's test-split models at epoch 0.
    private func scratchBaseline(_ zoo: ZooReader, recipe: ZooRecipe) throws -> Entry {
        if scratch == "zoo-test" {
            let rows = zoo.select(split: .test, epochs: [0])
            guard rows.count >= models else {
                throw ValidationError("\(zoo.path): \(rows.count) test-split models stored at epoch 0 for --scratch zoo-test, --models asks for \(models); pass --models \(rows.count) or use --scratch init")
            }
            let chosen = Array(rows.prefix(models))
            return Entry(name: "B_T", role: "baseline", details: ["source": "zoo test split, epoch 0", "models": String(models)],
                         rows: try chosen.map { try zoo.readRow($0) }, recipes: chosen.map { recipe.recipe(ofRow: $0, in: zoo) })
        }
        let training = zoo.models.indices.filter { zoo.models[$0].split == .train }
        let recipes = (0..<models).map { i in training.isEmpty ? recipe.modelRecipes[0] : recipe.modelRecipes[training[i % training.count]] }
        let rows = recipes.enumerated().map { i, r in
            r.architecture.initialRow(initializer: r.initializer, seed: RandomStream(seed: seed, purpose: "eval.scratch", index: UInt64(i)).value(at: 0))
        }
        let initializers = Array(Set(recipes.map(\.initializer.rawValue))).sorted().joined(separator: ", ")
        return Entry(name: "B_T", role: "baseline", details: ["source": "fresh \(initializers) initialisations (seeded)"], rows: rows, recipes: recipes)
    }

    /// B_F: the zoo's training-split models at the B_F epoch (diverged ones, with NaN or
    /// infinite weights, are no starting point and are left out with a note).
    private func zooBaseline(_ zoo: ZooReader, recipe: ZooRecipe, notes: inout [String]) throws -> Entry {
        let epoch = bfEpochValue(zoo)
        var chosen: [Int] = [], rows: [[Float]] = []
        var diverged = 0
        for r in zoo.select(split: .train, epochs: [epoch]) where chosen.count < models {
            let row = try zoo.readRow(r)
            if row.allSatisfy(\.isFinite) { chosen.append(r); rows.append(row) } else { diverged += 1 }
        }
        guard chosen.count == models else {
            let found = chosen.count == 0 && diverged == 0 ? "no training-split models" : "\(chosen.count) usable training-split models"
            throw ValidationError("\(zoo.path): \(found) at epoch \(epoch) for B_F\(diverged > 0 ? " (\(diverged) diverged, with NaN or infinite weights)" : ""), --models asks for \(models); pass --models \(chosen.count) or choose another --bf-epoch")
        }
        if diverged > 0 { notes.append("B_F skipped \(diverged) diverged zoo model(s) (NaN or infinite weights at epoch \(epoch)).") }
        return Entry(name: "B_F", role: "baseline", details: ["source": "zoo train split, epoch \(epoch)"], rows: rows,
                     recipes: chosen.map { recipe.recipe(ofRow: $0, in: zoo) })
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
}

/// `--json` output: the report's path and, per population and epoch, the mean test accuracy.
struct JSONSummary: Encodable {
    var report: String
    var meanAccuracy: [String: [String: Double]]
}

/// Files of one report, replaced together: every file is written in full as `<name>.partial`
/// before any old file is replaced, so a failed or killed run leaves the old report as it was.
struct ReportFiles {
    var folder: String
    var names: [String]

    func write(_ contents: [Data]) throws {
        precondition(contents.count == names.count)
        let outputs = try names.map { try AtomicOutput(path: folder + "/" + $0, overwrite: true) }
        do {
            for (output, data) in zip(outputs, contents) { try data.write(to: URL(fileURLWithPath: output.partialPath)) }
            for output in outputs { try output.commit() }
        } catch {
            for output in outputs { output.discard() }
            throw ValidationError("\(folder): cannot write the report (\(error)); an old report, if any, is unchanged")
        }
    }
}

/// Thread-safe running total for progress callbacks.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func add(_ n: Int) -> Int { lock.lock(); defer { lock.unlock() }; value += n; return value }
}
