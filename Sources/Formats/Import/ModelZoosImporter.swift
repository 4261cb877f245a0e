// Converts scanned sources into one zoo file: checkpoints are read in parallel (a window of models
// at a time, on all cores), grouped by parameter layout, and written in source order by a single
// writer, so the output is deterministic and memory stays at one window of models. Models whose
// state_dict keys differ from the first model's but whose shapes match (a Model Zoos "Hyp" folder
// mixing dropout 0 and 0.5: Dropout modules shift CNN-s's module_list indices) go to another
// architecture group of the same file; models of other shapes are rejected.
// Per-model problems are reported and the rest converted; a re-run after an interruption resumes
// from the writer's last flush and skips finished models.
import Foundation
import Parallel
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// Options of a conversion.
public struct ImportOptions: Sendable {
    /// Keep only these epochs (nil: all).
    public var epochs: Set<Int>?
    /// Convert at most this many models (in source order).
    public var maxModels: Int?
    /// Reader threads.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Fail on the first problem instead of reporting it and going on.
    public var strict = false
    /// Replace an existing output (and any interrupted partial) instead of refusing / resuming.
    public var overwrite = false
    /// The (first) architecture name in the zoo (default: params.json `model::type`, lowercased,
    /// else `model`). Further layouts get a suffix: `_dropout` for models with `model::dropout` > 0,
    /// `_no_dropout` for models with dropout 0, else `_2`, `_3`, ...
    public var architecture: String?
    /// Seed of the deterministic train/val/test split by model (70/15/15).
    public var splitSeed: UInt64 = 0

    public init() {}
}

/// What a conversion did, for people (`description`) and scripts (JSON).
public struct ImportSummary: Codable, Sendable, CustomStringConvertible {
    public struct Problem: Codable, Sendable, Equatable {
        public var model: String
        public var epoch: Int?
        public var message: String
    }
    public struct CheckpointID: Codable, Sendable, Equatable {
        public var model: String
        public var epoch: Int
    }
    public var sourceKind: String
    public var output: String
    /// The first architecture group of the output.
    public var architecture: String
    /// Every architecture group (one per state_dict layout) in the output.
    public var architectures: [String]
    public var parameterCount: Int
    public var modelsFound: Int
    public var modelsConverted: Int
    /// Models already complete in an interrupted output (skipped on resume).
    public var modelsAlreadyDone: Int
    public var modelsRejected: Int
    public var checkpointsWritten: Int
    /// Checkpoints holding NaN or infinite values (kept, flagged).
    public var nonFiniteCheckpoints: [CheckpointID]
    /// Keys of the checkpoints that are not model weights and were left out (optimizer state,
    /// epoch counters, non-tensor entries), each with the number of checkpoints that had it.
    public var skippedKeys: [SkippedKey]
    public struct SkippedKey: Codable, Sendable, Equatable {
        public var key: String
        public var checkpoints: Int
    }
    public var problems: [Problem]
    public var resumed: Bool
    public var seconds: Double

    public var description: String {
        let names = architectures.count > 1 ? "architectures " + architectures.joined(separator: ", ") : architecture
        var lines = ["\(output): \(modelsConverted) models, \(checkpointsWritten) checkpoints written (\(names), \(parameterCount) parameters) from a \(sourceKind) source in \(String(format: "%.2f", seconds)) s"]
        if resumed { lines.append("resumed an interrupted conversion: \(modelsAlreadyDone) models were already done") }
        if modelsRejected > 0 { lines.append("\(modelsRejected) of \(modelsFound) models rejected") }
        if !nonFiniteCheckpoints.isEmpty {
            lines.append("\(nonFiniteCheckpoints.count) checkpoints hold NaN/Inf (kept, flagged): " +
                         nonFiniteCheckpoints.prefix(5).map { "\($0.model)@\($0.epoch)" }.joined(separator: ", "))
        }
        if !skippedKeys.isEmpty {
            let shown = skippedKeys.prefix(12).map { "\($0.key) (\($0.checkpoints))" }.joined(separator: ", ")
            lines.append("skipped checkpoint keys (not model weights; checkpoints holding them): \(shown)\(skippedKeys.count > 12 ? ", ... \(skippedKeys.count - 12) more (see --json)" : "")")
        }
        for p in problems.prefix(20) { lines.append("problem: \(p.model)\(p.epoch.map { " epoch \($0)" } ?? ""): \(p.message)") }
        if problems.count > 20 { lines.append("... and \(problems.count - 20) more problems (see --json)") }
        return lines.joined(separator: "\n")
    }
}

/// Converts Model Zoos folders, exported folders or checkpoint files into a zoo file.
///
///     let summary = try ModelZoosImporter(sources: ["zoo_dir"], output: "zoo.h5").run()
///
/// Not Sendable: `run` records in a stored property whether it resumed a partial output, and one
/// caller runs one importer.
public final class ModelZoosImporter {
    public let sources: [String]
    public let output: String
    public let options: ImportOptions

    public init(sources: [String], output: String, options: ImportOptions = ImportOptions()) {
        self.sources = sources
        self.output = output
        self.options = options
    }

    /// Progress after each written model: checkpoints done and total.
    public typealias Progress = @Sendable (_ done: Int, _ total: Int) -> Void

    /// Runs the conversion.
    /// - Throws: `FormatError` when nothing usable was found, or (with `strict`) at the first
    ///   problem; `ZooStoreError` when the output exists (pass `overwrite`) or cannot be written.
    public func run(progress: Progress? = nil) throws -> ImportSummary {
        do {
            return try convert(progress: progress)
        } catch let error as ZooStoreError where error.kind == .io {
            // A failed write (disk full, read-only folder) leaves no half-written zoo behind,
            // unless it is an interrupted run's partial that a later resume can still continue.
            if !resumedPartial { unlink(AtomicOutput.partialPath(for: output)) }
            throw error
        }
    }

    /// Whether this run continues an interrupted output's partial file.
    private var resumedPartial = false

    private func convert(progress: Progress?) throws -> ImportSummary {
        let start = Date()
        let scan = try SourceScanner.scan(sources)
        var models = scan.models
        if let limit = options.maxModels { models = Array(models.prefix(max(0, limit))) }
        if let epochs = options.epochs {
            for i in models.indices { models[i].checkpoints = models[i].checkpoints.filter { epochs.contains($0.epoch) } }
        }
        var problems: [ImportSummary.Problem] = []
        func report(_ model: String, _ epoch: Int?, _ message: String) throws {
            let problem = ImportSummary.Problem(model: model, epoch: epoch, message: message)
            if options.strict {
                throw FormatError(file: output, object: model, "--strict: \(epoch.map { "epoch \($0): " } ?? "")\(message)")
            }
            problems.append(problem)
        }
        for model in models {
            for p in model.problems { try report(model.id, nil, p) }
            if model.checkpoints.isEmpty { try report(model.id, nil, "no checkpoints\(options.epochs == nil ? "" : " at the selected epochs")") }
            for (epoch, _) in model.checkpoints where !model.metrics.isEmpty && model.metrics[epoch] == nil {
                try report(model.id, epoch, "result.json has no line for this epoch (metrics unknown)")
            }
        }
        models = models.filter { !$0.checkpoints.isEmpty }
        guard !models.isEmpty else {
            throw FormatError(file: sources.joined(separator: ", "), "nothing to convert: no model has checkpoints\(options.epochs == nil ? "" : " at the selected epochs")")
        }
        let splits = Split.assign(modelIDs: models.map(\.id), seed: options.splitSeed)

        // Open the output: resume an interrupted run unless told to start over.
        var writer: ZooWriter?
        var resumed = false
        // The output's layouts so far; a model's checkpoints all go to one of them.
        var layouts: [ZooLayout] = []
        if !options.overwrite, ZooWriter.canResume(path: output) {
            let w = try ZooWriter.resume(path: output)
            resumedPartial = true
            writer = w
            layouts = w.layouts
            resumed = true
        }
        let baseName = writer?.architecture ?? options.architecture ?? Self.architectureName(models[0])

        let total = models.reduce(0) { $0 + $1.checkpoints.count }
        var done = 0, converted = 0, alreadyDone = 0, rejected = 0, written = 0
        var nonFinite: [ImportSummary.CheckpointID] = []
        var skippedCount: [String: Int] = [:], skippedOrder: [String] = []
        let window = max(8, options.threads * 4)
        var next = 0
        var lastFlush = Date()
        while next < models.count {
            let batch = Array(next..<min(models.count, next + window))
            next += batch.count
            // Models already complete in a resumed output need no reading at all.
            let pending = batch.filter { i in
                guard let w = writer, w.hasModel(models[i].id) else { return true }
                return !models[i].checkpoints.allSatisfy { w.hasCheckpoint(model: models[i].id, epoch: $0.epoch) }
            }
            alreadyDone += batch.count - pending.count
            done += batch.filter { !pending.contains($0) }.reduce(0) { $0 + models[$1].checkpoints.count }
            let results = readModels(pending.map { models[$0] })
            for (i, result) in zip(pending, results) {
                let model = models[i]
                // Every checkpoint read; place the model in a layout before writing any of them.
                var rows: [(epoch: Int, row: [Float])] = []
                var modelOK = true
                var modelLayouts = layouts
                var modelLayout: Int?
                for checkpoint in result {
                    switch checkpoint.outcome {
                    case .failure(let message):
                        try report(model.id, checkpoint.epoch, message)
                    case .success(let tensors, let skipped):
                        for key in skipped {
                            if skippedCount[key] == nil { skippedOrder.append(key) }
                            skippedCount[key, default: 0] += 1
                        }
                        switch Self.place(tensors, in: &modelLayouts, name: { Self.layoutName(base: baseName, for: model, taken: $0) }) {
                        case .failure(let message):
                            try report(model.id, checkpoint.epoch, message.description)
                            // Without a first layout the checkpoint alone is skipped, as before.
                            if !modelLayouts.isEmpty { modelOK = false }
                        case .success(let g):
                            if let known = modelLayout, known != g {
                                try report(model.id, checkpoint.epoch, "state_dict keys differ from the model's other checkpoints (\(modelLayouts[g].name) vs \(modelLayouts[known].name)); model rejected")
                                modelOK = false
                            } else {
                                modelLayout = g
                                rows.append((checkpoint.epoch, Self.row(tensors, modelLayouts[g].table)))
                            }
                        }
                    }
                }
                done += model.checkpoints.count
                guard modelOK, !rows.isEmpty else {
                    rejected += 1
                    progress?(done, total)
                    continue
                }
                // The model is accepted: its layout (maybe new) joins the output.
                layouts = modelLayouts
                let layoutName = layouts[modelLayout!].name
                if writer == nil {
                    writer = try ZooWriter.create(path: output, layouts: layouts,
                                                  config: zooConfig(scan), overwrite: options.overwrite)
                }
                let w = writer!
                for layout in layouts.dropFirst(w.layouts.count) { try w.addLayout(layout) }
                if !w.hasModel(model.id) {
                    try w.addModel(ModelRecord(id: model.id, seed: model.seed, dataset: nil, split: splits[i],
                                               hyperparameters: model.hyperparameters,
                                               provenance: ["source": .string(model.folder), "kind": .string(scan.kind.rawValue)]),
                                   layout: layoutName)
                }
                for (epoch, row) in rows where !w.hasCheckpoint(model: model.id, epoch: epoch) {
                    if row.contains(where: { !$0.isFinite }) { nonFinite.append(.init(model: model.id, epoch: epoch)) }
                    try w.appendCheckpoint(model: model.id, epoch: epoch, row: row, metrics: model.metrics[epoch] ?? .unknown,
                                           layout: layoutName)
                    written += 1
                }
                converted += 1
                progress?(done, total)
            }
            // Commit to disk (what a resume keeps) every few seconds, not every window.
            if Date().timeIntervalSince(lastFlush) > 2 {
                try writer?.flush()
                lastFlush = Date()
            }
        }
        guard let w = writer else {
            throw FormatError(file: sources.joined(separator: ", "), "no usable checkpoint among \(models.count) models (first problem: \(problems.first.map { "\($0.model): \($0.message)" } ?? "none"))")
        }
        if w.checkpointCount == 0 {
            throw FormatError(file: output, "no usable checkpoints were written")
        }
        try w.finish()
        return ImportSummary(sourceKind: scan.kind.rawValue, output: output, architecture: w.architecture,
                             architectures: w.layouts.map(\.name),
                             parameterCount: w.table.parameterCount, modelsFound: scan.models.count,
                             modelsConverted: converted, modelsAlreadyDone: alreadyDone, modelsRejected: rejected,
                             checkpointsWritten: written, nonFiniteCheckpoints: nonFinite,
                             skippedKeys: skippedOrder.map { .init(key: $0, checkpoints: skippedCount[$0]!) }, problems: problems,
                             resumed: resumed, seconds: Date().timeIntervalSince(start))
    }

    // MARK: reading in parallel

    enum Outcome {
        case success([(name: String, tensor: HostTensor)], skipped: [String])
        case failure(String)
    }

    struct CheckpointResult {
        var epoch: Int
        var outcome: Outcome
    }

    /// Reads every checkpoint of `models` on `options.threads` threads; results in input order.
    func readModels(_ models: [SourceModel]) -> [[CheckpointResult]] {
        let work = models
        return concurrentMap(count: work.count, threads: max(1, options.threads)) { i, _ in
            work[i].checkpoints.map { checkpoint in
                do {
                    let read = try StateDictFile.readWithSkipped(path: checkpoint.path)
                    // Name the input, not the output, when a file has nothing to convert.
                    if read.tensors.isEmpty { throw FormatError(file: checkpoint.path, "holds no tensors (an empty state_dict or archive)") }
                    return CheckpointResult(epoch: checkpoint.epoch, outcome: .success(read.tensors, skipped: read.skipped))
                } catch {
                    return CheckpointResult(epoch: checkpoint.epoch, outcome: .failure("\(error)"))
                }
            }
        }
    }

    // MARK: helpers

    /// Places one checkpoint's tensors in a layout: the one with the same names and shapes, or a
    /// new one (appended to `layouts`, named by `name(layouts)`) when only the names differ from
    /// the first layout's. Fails with the reason when the shapes differ or the state_dict cannot
    /// be described.
    static func place(_ tensors: [(name: String, tensor: HostTensor)], in layouts: inout [ZooLayout],
                      name: ([ZooLayout]) -> String) -> Result<Int, PlacementError> {
        if let g = layouts.firstIndex(where: { mismatch(tensors, $0.table) == nil }) { return .success(g) }
        let table: ParameterTable
        do { table = try ParameterTable(stateDict: tensors.map { ($0.name, $0.tensor.shape) }) } catch {
            guard let first = layouts.first else { return .failure(PlacementError("cannot describe the state_dict: \(error)")) }
            return .failure(PlacementError("architecture differs from the zoo's: \(mismatch(tensors, first.table) ?? "\(error)"); model rejected"))
        }
        if let first = layouts.first, let difference = table.structureDifference(from: first.table) {
            return .failure(PlacementError("architecture differs from the zoo's: \(difference); model rejected"))
        }
        layouts.append(ZooLayout(name: name(layouts), table: table))
        return .success(layouts.count - 1)
    }

    /// Why a checkpoint fits no layout (one line for the problem list).
    struct PlacementError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The name of a further layout: the base name plus `_dropout` / `_no_dropout` when the
    /// model's params.json gives `model::dropout`, else plus its position; never one in use.
    static func layoutName(base: String, for model: SourceModel, taken: [ZooLayout]) -> String {
        if taken.isEmpty { return base }
        var name = base + "_\(taken.count + 1)"
        if case .object(let o) = model.hyperparameters, case .number(let dropout)? = o["model::dropout"] {
            name = base + (dropout > 0 ? "_dropout" : "_no_dropout")
        }
        while taken.contains(where: { $0.name == name }) { name += "_\(taken.count + 1)" }
        return name
    }

    /// The first difference between a checkpoint's tensors and the zoo's table, if any.
    static func mismatch(_ tensors: [(name: String, tensor: HostTensor)], _ table: ParameterTable) -> String? {
        if tensors.count != table.entries.count {
            let names = Set(tensors.map(\.name))
            if let missing = table.entries.first(where: { !names.contains($0.name) }) {
                return "\(tensors.count) tensors instead of \(table.entries.count); '\(missing.name)' is missing"
            }
            return "\(tensors.count) tensors instead of \(table.entries.count)"
        }
        var shapeOf: [String: [Int]] = [:]
        for t in tensors { shapeOf[t.name] = t.tensor.shape }
        for entry in table.entries {
            guard let shape = shapeOf[entry.name] else { return "'\(entry.name)' is missing" }
            if shape != entry.shape { return "'\(entry.name)' has shape \(shape), expected \(entry.shape)" }
        }
        return nil
    }

    /// The flat row of `tensors` in table order (names looked up, so file order may differ).
    static func row(_ tensors: [(name: String, tensor: HostTensor)], _ table: ParameterTable) -> [Float] {
        var row = [Float](repeating: 0, count: table.parameterCount)
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        for entry in table.entries {
            let values = tensors[index[entry.name]!].tensor.floats()
            row.replaceSubrange(entry.range, with: values)
        }
        return row
    }

    static func architectureName(_ model: SourceModel) -> String {
        if case .object(let o) = model.hyperparameters, case .string(let type)? = o["model::type"] {
            let cleaned = type.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            if !cleaned.isEmpty { return cleaned }
        }
        return "model"
    }

    func zooConfig(_ scan: SourceScan) -> JSONValue {
        [
            "converted_by": "hz-convert",
            "source_kind": .string(scan.kind.rawValue),
            "sources": .array(sources.map { .string($0) }),
            "zoo_config": scan.zooConfig,
        ]
    }
}
