// One evaluation run (hz-eval's work): loads the zoo's recipe and data, the populations and the
// baselines, fine-tunes every population (or, with a shard, this shard's members of each) in
// distribution and on the transfer target, measures ensembles and novelty (whole runs only) and
// writes report.json and report.html, or the shard's part file.
import Foundation
import Nets
import Parallel
import Tensor
import ZooStore

/// The evaluation stage as a library call.
public enum EvaluationRun {
    /// What a run wrote: the report (a whole run) or the part file (a shard).
    public enum Outcome {
        case report(EvaluationReport)
        case part(EvaluationPart)
    }

    /// A loaded population: name, rows, the file it came from, and whether it is a noise control.
    struct Population {
        var name: String, path: String, rows: [[Float]], reader: ZooReader
        var isNoiseControl: Bool { reader.metadata("sampler")?["sampler"]?.stringValue == "noise-control" }
    }

    /// A population to fine-tune: rows, and each member's network and recipe.
    struct Entry {
        var name: String, role: String, details: [String: String], rows: [[Float]], recipes: [MemberRecipe]
        var architectures: [ArchitectureSpec] { recipes.map(\.architecture) }
    }

    /// Runs the evaluation `o` describes and writes its output (`o.output`).
    /// - Throws: ``EvaluationError`` (or the zoo readers' errors) naming the input that is wrong,
    ///   before any fine-tuning wherever the inputs allow.
    public static func run(_ o: EvaluationOptions, environment: EvaluationEnvironment) throws -> Outcome {
        let started = Date()
        let zooReader = try ZooReader(path: o.zoo, formats: [.zoo])
        let recipe = try ZooRecipe(zoo: zooReader, options: o.recipe)
        if let shard = o.shard { try checkShardable(o, shard: shard) } else { try ReportFiles.checkFolder(o.output, force: o.force) }
        // Read before any fine-tuning, so a wrong file costs nothing.
        let probeReport = try o.probe.map(environment.readProbe)
        if !o.transfer.isEmpty, o.transfer == recipe.datasetName {
            throw EvaluationError("--transfer \(o.transfer): the zoo was trained on \(o.transfer) already; transfer to the other dataset")
        }
        let setup = EvaluationSetup(architecture: recipe.architecture, recipe: recipe.training, epochs: o.epochs,
                                    threads: o.threads, seed: o.seed, bootstrapResamples: o.bootstrap)
        var data = try recipe.loadData(readers: environment.readers)
        if o.trainSubset > 0 { data.train = data.train.prefix(o.trainSubset) }
        if o.testSubset > 0 { data.test = data.test.prefix(o.testSubset) }

        var inputCommands: [String] = []
        var seeds: [String: UInt64] = ["evaluation": o.seed]
        var notes: [String] = []
        let loaded = try loadPopulations(o, zoo: zooReader, commands: &inputCommands, seeds: &seeds)

        // The training models novelty (and, in a grid zoo, a sample's recipe) is measured against.
        let needsReference = !loaded.isEmpty && (o.novelty || recipe.isMixed)
        let reference = needsReference ? try NoveltyReference(zoo: zooReader) : nil
        if let reference, o.novelty { notes += reference.notes }
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
        if o.baselines.contains("bt") { entries.append(try Baselines.scratch(zooReader, recipe: recipe, options: o)) }
        if o.baselines.contains("bf") { entries.append(try Baselines.fromZoo(zooReader, recipe: recipe, options: o, notes: &notes)) }
        if recipe.isMixed { for k in entries.indices { entries[k].details["recipes"] = recipeCounts(entries[k].recipes) } }

        let last = setup.epochs.last ?? 0
        let keep: Set<Int> = o.ensembleSizes.isEmpty ? [] : [0, last]
        if o.trainSubset > 0 { notes.append("Fine-tuning used the first \(data.train.count) training images, not the full training set.") }
        if o.testSubset > 0 { notes.append("Test metrics use the first \(data.test.count) test images.") }

        var measured: [PopulationMeasurement] = []
        var ensembles: [EnsembleResult] = []
        for e in entries {
            let (measurement, outcome) = fineTune(e, data: data, setup: setup, keep: keep, shard: o.shard, environment: environment)
            measured.append(measurement)
            for epoch in keep.sorted() {
                // Untrained scratch models are random: their ensembles say nothing.
                if e.name == "B_T" && epoch == 0 { continue }
                guard let rows = outcome.rowsAtEpoch[epoch] else { continue }
                ensembles += PopulationEvaluator.ensembles(name: e.name, epoch: epoch, rows: rows, architectures: e.architectures,
                                                           sizes: o.ensembleSizes, trials: o.ensembleTrials, poolSize: o.models,
                                                           test: data.test, threads: o.threads, seed: o.seed, resamples: o.bootstrap)
            }
        }
        if !o.ensembleSizes.isEmpty { seeds["ensembles"] = o.seed }

        var transfers: [TransferMeasurement] = []
        if !o.transfer.isEmpty {
            let target = o.transfer
            var targetData = try loadTransferData(target, options: o, architecture: setup.architecture,
                                                  normalization: recipe.dataset.normalization, readers: environment.readers)
            if o.transferTrainSubset > 0 { targetData.train = targetData.train.prefix(o.transferTrainSubset) }
            if o.transferTestSubset > 0 { targetData.test = targetData.test.prefix(o.transferTestSubset) }
            if o.transferTrainSubset > 0 || o.transferTestSubset > 0 {
                notes.append("Transfer to \(target) fine-tuned on \(targetData.train.count) training images and tested on \(targetData.test.count).")
            }
            let transferred = entries.map { fineTune($0, data: targetData, setup: setup, keep: [], shard: o.shard, environment: environment).0 }
            transfers.append(TransferMeasurement(source: recipe.datasetName, target: target, populations: transferred))
            if target == "digits" { seeds["digits_split"] = 42 }
            else if PaperDataset(rawValue: target) != nil { seeds["\(target)_split"] = 42 }   // torch's random_split seed
            else { seeds["fashion_mnist_split"] = 42 }
        }

        var noveltyResults: [NoveltyResult] = []
        var diagnostics: [PopulationDiagnostics] = []
        if o.novelty, let reference {
            let flatReference = reference.rows.flatMap { $0 }
            for e in entries where e.role != "baseline" {
                noveltyResults.append(try PopulationEvaluator.novelty(
                    name: e.name, samples: e.rows, training: reference.rows, sampleArchitectures: e.architectures,
                    trainingArchitectures: referenceRecipes.map(\.architecture), test: data.test, threads: o.threads, seed: o.seed,
                    resamples: o.bootstrap))
                diagnostics.append(try PopulationDiagnostics(population: e.name, samples: e.rows.flatMap { $0 }, reference: flatReference,
                                                             width: zooReader.parameterCount, seed: o.seed))
            }
        }

        let settings: [String: String] = [
            "zoo": o.zoo, "architecture": setup.architecture.name, "recipe": recipe.description,
            "epochs": setup.epochs.map(String.init).joined(separator: ","), "models_per_population": String(o.models),
            "train_images": String(data.train.count), "test_images": String(data.test.count),
            "dataset": recipe.datasetName, "recipe_source": recipe.source, "scratch": o.scratch,
            "bf_epoch": String(o.bfEpoch ?? zooReader.epoch.max() ?? 0),
            "threads": String(o.threads), "bootstrap_resamples": String(o.bootstrap),
            "seconds": String(format: "%.1f", Date().timeIntervalSince(started)),
        ]
        let record = EvaluationRecord(
            inputCommands: inputCommands, commands: [o.commandLine], seeds: seeds, settings: settings, notes: notes,
            latentProjection: mergedProjection(loaded), probe: probeReport, seed: o.seed, resamples: o.bootstrap,
            populations: measured, transfers: transfers)
        if let shard = o.shard {
            let part = EvaluationPart(digest: try EvaluationPart.digest(of: o, zoo: zooReader), index: shard.index, count: shard.count,
                                      totalMembers: o.models, members: shard.models(of: o.models), record: record)
            try part.write(to: o.output, overwrite: o.force)
            return .part(part)
        }
        let report = record.report(generator: o.generator, createdAt: ISO8601DateFormatter().string(from: Date()),
                                   ensembles: ensembles, novelty: noveltyResults, diagnostics: diagnostics)
        try ReportFiles.write(report, to: o.output)
        return .report(report)
    }

    /// What a shard cannot compute, refused before any work; and an existing part file.
    static func checkShardable(_ o: EvaluationOptions, shard: ZooShard) throws {
        if !o.ensembleSizes.isEmpty {
            throw EvaluationError("--shard: ensembles draw their members from the whole population, which no shard holds; pass --ensemble-sizes none (or evaluate without --shard)")
        }
        if o.novelty && !o.populations.isEmpty {
            throw EvaluationError("--shard: novelty and the collapse/copy diagnostics compare every sampled model with the whole population, which no shard holds; pass --no-novelty (or evaluate without --shard)")
        }
        if shard.count > o.models {
            throw EvaluationError("--shard \(shard.index)/\(shard.count): more shards than --models \(o.models) (shard I evaluates members m with m mod N = I); use at most \(o.models) shards")
        }
        if !o.force && FileManager.default.fileExists(atPath: o.output) {
            throw EvaluationError("\(o.output) already exists; pass --force to replace the part file")
        }
    }

    /// Fine-tunes the members of `e` this run measures (all, or the shard's) and records them.
    static func fineTune(_ e: Entry, data: DatasetSplits, setup: EvaluationSetup, keep: Set<Int>, shard: ZooShard?,
                         environment: EvaluationEnvironment) -> (PopulationMeasurement, FineTuneOutcome) {
        let members = shard?.models(of: e.rows.count) ?? Array(e.rows.indices)
        let progress = environment.fineTuneProgress("fine-tuning \(e.name) on \(data.train.name)", members.count * data.train.count * (setup.epochs.last ?? 0))
        let counter = WorkCounter(), update = progress.update
        let outcome = PopulationEvaluator.fineTune(name: e.name, role: e.role, details: e.details, rows: members.map { e.rows[$0] },
                                                   data: data, setup: setup, recipes: members.map { e.recipes[$0] }, memberIndices: members,
                                                   keepRowsAt: keep) { n in update(counter.add(n)) }
        progress.finish()
        let measurement = PopulationMeasurement(
            name: e.name, role: e.role, details: e.details, modelCount: e.rows.count, members: members,
            epochs: outcome.result.epochs.map { EpochMeasurement(epoch: $0.epoch, accuracies: $0.accuracies, losses: $0.losses) })
        return (measurement, outcome)
    }

    /// The first `o.models` rows of every population file, checked against the zoo.
    static func loadPopulations(_ o: EvaluationOptions, zoo: ZooReader, commands: inout [String],
                                seeds: inout [String: UInt64]) throws -> [Population] {
        var loaded: [Population] = []
        for path in o.populations {
            let reader = try ZooReader(path: path, formats: [.population])
            guard reader.table == zoo.table else {
                throw EvaluationError("\(path): its architecture differs from \(o.zoo)'s; sample it from this zoo")
            }
            guard reader.checkpointCount >= o.models else {
                throw EvaluationError("\(path): holds \(reader.checkpointCount) models, --models asks for \(o.models); pass --models \(reader.checkpointCount) or sample at least \(o.models) (hz-sample --count \(o.models))")
            }
            let rows = try (0..<o.models).map { try reader.readRow($0) }
            if let k = rows.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
                let parameter = rows[k].firstIndex { !$0.isFinite }!
                throw EvaluationError("\(path): model \(reader.models[reader.modelIndex[k]].id) has a NaN or infinite weight at parameter \(parameter) (hz-sample never writes one: the file is damaged); sample the population again")
            }
            var name = reader.metadata("sampler")?["population"]?.stringValue ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            while loaded.contains(where: { $0.name == name }) { name += "'" }
            if let c = reader.metadata("provenance")?["command"]?.stringValue { commands.append(c) }
            if let s = reader.metadata("seed")?.intValue { seeds["sample." + name] = UInt64(s) }
            loaded.append(Population(name: name, path: path, rows: rows, reader: reader))
        }
        return loaded
    }

    /// "cnn_s relu dropout 0.0, adam lr 0.001 … ×3; …" for a population's members.
    static func recipeCounts(_ recipes: [MemberRecipe]) -> String {
        var order: [MemberRecipe] = []
        var counts: [Int] = []
        for r in recipes {
            if let k = order.firstIndex(of: r) { counts[k] += 1 } else { order.append(r); counts.append(1) }
        }
        return zip(order, counts).map { "\(ZooRecipe.describe($0)) ×\($1)" }.joined(separator: "; ")
    }

    /// The transfer target's splits, brought to the zoo's input size (validation dropped).
    static func loadTransferData(_ target: String, options o: EvaluationOptions, architecture: ArchitectureSpec,
                                 normalization: Normalization?, readers: DatasetReaders) throws -> DatasetSplits {
        var data: DatasetSplits
        if PaperDataset(rawValue: target) != nil {
            // The papers' pairs use the target's own recipe (its normalisation and split).
            data = try ZooSpec.DatasetChoice(name: target, directory: o.transferPath).load(for: architecture, readers: readers)
        } else if target == "digits" {
            data = try DigitsDataset.load(path: o.transferPath ?? DigitsDataset.defaultPath, size: architecture.inputHeight,
                                          normalization: normalization ?? .zoo)
        } else {
            data = try FashionMNIST.load(directory: o.transferPath ?? FashionMNIST.defaultDirectory, normalization: normalization ?? .zoo)
        }
        data.validation = nil
        return data.adapted(to: architecture)
    }

    static func samplerDetails(_ reader: ZooReader) -> [String: String] {
        var d: [String: String] = [:]
        if let s = reader.metadata("sampler")?.objectValue { for (k, v) in s { d[k] = v.stringValue ?? v.jsonText } }
        if let a = reader.metadata("anchors") { d["anchors"] = "\(a["count"]?.intValue ?? 0) (\(a["fraction"]?.doubleValue ?? 1) by \(a["metric"]?.stringValue ?? "?"))" }
        return d
    }

    /// The latent maps of the populations: training points and anchors from the first, samples from all.
    static func mergedProjection(_ populations: [Population]) -> LatentProjection? {
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

