// Trains a zoo from a `ZooSpec` and writes every checkpoint through `ZooWriter` as it goes.
//
// Resuming: after each epoch the builder flushes the zoo and then saves each member's optimizer
// and schedule state to `<output>.partial.trainer` (written to a temporary file and renamed).
// A rerun after a kill reopens the partial zoo, loads that state and continues with the next
// epoch; checkpoints already in the file are not written twice. Every member's arithmetic is
// deterministic and the data order of epoch e depends only on (seed, e), so the finished file
// holds exactly what an uninterrupted run writes.
import Foundation
import Tensor
import ZooStore

/// Progress events of a zoo build.
public enum ZooBuildEvent: Sendable {
    /// Training is about to start: total training samples over the whole run, and how many of
    /// them a resumed run already did.
    case started(totalSamples: Int, alreadyDone: Int, models: Int, resumedAtEpoch: Int?)
    /// Training samples processed since the last event (from worker threads).
    case samples(Int)
    /// All members finished `epoch`; mean test accuracy over the population.
    case epochFinished(epoch: Int, meanTestAccuracy: Float, meanTestLoss: Float)
}

/// What a finished build reports.
public struct ZooBuildSummary: Sendable, Codable {
    public var output: String
    /// The first (or only) architecture of the file.
    public var architecture: String
    /// Every architecture (parameter layout) of the file; two for a grid mixing dropout 0 and > 0.
    public var architectures: [String]
    public var models: Int
    public var epochs: Int
    public var checkpoints: Int
    public var parameters: Int
    public var trainSamplesPerEpoch: Int
    public var resumedAtEpoch: Int?
    public var seconds: Double
    /// Model-epochs per second over the whole run (evaluation and writing included).
    public var modelEpochsPerSecond: Double
    /// Wall-clock seconds spent in training passes and in evaluation passes.
    public var trainingSeconds: Double
    public var evaluationSeconds: Double
    /// Model-epochs per second of the training passes alone.
    public var trainingModelEpochsPerSecond: Double
    /// Mean test accuracy of the population after each evaluated epoch of this run (`evaluatedEpochs`).
    public var meanTestAccuracy: [Float]
    /// The epochs `meanTestAccuracy` belongs to: every epoch (0 = untrained) unless the config
    /// keeps only `checkpoint_epochs`; a resumed run lists only the epochs it trained.
    public var evaluatedEpochs: [Int]
}

/// Builds one zoo file.
public struct ZooBuilder: Sendable {
    public var spec: ZooSpec
    public var output: String
    public var threads: Int
    /// Replace an existing output or interrupted run instead of refusing / resuming.
    public var force: Bool
    /// Parsers of dataset formats Nets cannot read itself (CIFAR-10's python batches).
    public var readers: DatasetReaders
    /// Train only this shard's models (model index m goes to shard m mod N) into a shard file
    /// (root attribute `shard`); `ZooShardMerge` joins the shards into the single-process zoo.
    /// nil: the whole zoo.
    public var shard: ZooShard?

    public init(spec: ZooSpec, output: String, threads: Int = defaultThreadCount(), force: Bool = false,
                readers: DatasetReaders = DatasetReaders(), shard: ZooShard? = nil) {
        self.spec = spec; self.output = output; self.threads = threads; self.force = force; self.readers = readers
        self.shard = shard
    }

    /// Path of the resume state beside the partial zoo.
    public var statePath: String { AtomicOutput.partialPath(for: output) + ".trainer" }

    /// The members in file order: every grid combination × every seed, with the layout (group
    /// under `/architectures`) their rows go to.
    public func members() -> [(id: String, member: PopulationMember, record: ModelRecord, layout: String)] {
        var out: [(String, PopulationMember, ModelRecord, String)] = []
        let combos = spec.combinations
        let layouts = spec.layouts
        let width = max(4, String(combos.count * spec.seeds.count).count)
        var index = 0
        var ids: [String] = []
        for _ in combos { for _ in spec.seeds { ids.append("m" + String(repeating: "0", count: max(0, width - String(index).count)) + String(index)); index += 1 } }
        let f = spec.modelSplit.fractions
        let splits = Split.assign(modelIDs: ids, seed: UInt64(spec.modelSplit.seed), fractions: (f[0], f[1], f[2]))
        index = 0
        for c in combos {
            let arch = spec.architecture(for: c)
            let table = arch.parameterTable
            let layout = layouts.first { $0.table == table }!.name
            let recipe = spec.recipe(for: c)
            for s in spec.seeds {
                let member = PopulationMember(architecture: arch, recipe: recipe, seed: UInt64(s),
                                              initialRow: arch.initialRow(initializer: c.initializer, seed: UInt64(s)))
                var hyper = c.json
                if case .object(var o) = hyper {
                    o["training::batchsize"] = .number(Double(spec.batchSize))
                    o["training::epochs_train"] = .number(Double(spec.epochs))
                    o["model::type"] = .string(arch.family.rawValue)
                    hyper = .object(o)
                }
                let record = ModelRecord(id: ids[index], seed: s, dataset: spec.dataset.name, split: splits[index],
                                         hyperparameters: hyper,
                                         provenance: ["generator": "hyperzoo hz-zoo", "zoo": .string(spec.name)])
                out.append((ids[index], member, record, layout))
                index += 1
            }
        }
        return out
    }

    /// A shard's partial file without its shard record, no checkpoint and no trainer state: the
    /// run was killed between creating the file and its first flush (an MPI job stopped while
    /// starting). Nothing was kept yet, so it starts over instead of being refused as "the whole
    /// spec". Anything else (checkpoints, or a state) is never discarded.
    static func diedBeforeFirstFlush(output: String, statePath: String, shard: ZooShardRecord?) -> Bool {
        guard shard != nil, !FileManager.default.fileExists(atPath: statePath) else { return false }
        guard let reader = try? ZooReader(path: AtomicOutput.partialPath(for: output), formats: [.zoo]) else { return false }
        defer { reader.close() }
        return reader.checkpointCount == 0 && (try? ZooShardRecord.read(reader)) == nil
    }

    /// Whether `output` already is this build's finished shard file: its `shard` record and config
    /// equal what this run would write. An MPI rank whose shard finished before the run was
    /// killed (the merge had not happened) skips training on the rerun instead of being refused.
    public func hasFinishedShard() -> Bool {
        guard let shard, FileManager.default.fileExists(atPath: output),
              let config = try? JSONValue(encoding: spec),
              let reader = try? ZooReader(path: output, formats: [.zoo]) else { return false }
        defer { reader.close() }
        let total = members().count
        let expected = ZooShardRecord(specDigest: ZooShardRecord.digest(of: config), index: shard.index, count: shard.count,
                                      totalModels: total, models: shard.models(of: total))
        return reader.config == config && (try? ZooShardRecord.read(reader)) == expected
    }

    /// Trains and writes the zoo; `onEvent` sees progress (from any thread).
    @discardableResult
    public func run(onEvent: (@Sendable (ZooBuildEvent) -> Void)? = nil) throws -> ZooBuildSummary {
        let started = Date()
        let everyModel = members()
        // A shard trains a subset; every member's seed, initial row and data order come from the
        // spec alone, so its rows equal the single-process run's.
        let shardModels = shard.map { $0.models(of: everyModel.count) }
        let all = shardModels.map { $0.map { everyModel[$0] } } ?? everyModel
        guard let first = all.first else {
            throw DatasetError(shard.map { "\(output): shard \($0.index)/\($0.count) holds no models (the config yields \(everyModel.count)); use at most \(everyModel.count) shards" }
                               ?? "\(output): the config yields no models")
        }
        let arch = first.member.architecture
        let layouts = spec.layouts
        let data = try spec.dataset.load(for: arch, readers: readers).adapted(to: arch)
        let config = try JSONValue(encoding: spec)
        let shardRecord = shard.flatMap { s in shardModels.map {
            ZooShardRecord(specDigest: ZooShardRecord.digest(of: config), index: s.index, count: s.count,
                           totalModels: everyModel.count, models: $0)
        } }

        var writer: ZooWriter
        var startEpoch = 0
        var resumed: TrainerState?
        if !force && Self.diedBeforeFirstFlush(output: output, statePath: statePath, shard: shardRecord) {
            unlink(AtomicOutput.partialPath(for: output))  // empty: nothing of this run was kept in it
        }
        if !force && ZooWriter.canResume(path: output) {
            do { writer = try ZooWriter.resume(path: output) } catch {
                // A partial left by a failed write or a kill during a flush may be unreadable.
                throw DatasetError("\(AtomicOutput.partialPath(for: output)): the interrupted zoo here cannot be continued (\(error)); pass --force to start over")
            }
            let stored = try? ZooReaderConfig.config(of: writer)
            if let stored, stored != config {
                writer.close()
                throw DatasetError("\(writer.partialPath): an interrupted zoo from a different config is here; pass --force to start over")
            }
            let storedShard = try? ZooReaderConfig.shard(of: writer)
            if storedShard != shardRecord {
                writer.close()
                throw DatasetError("\(writer.partialPath): an interrupted zoo of \(storedShard.map { "shard \($0.index)/\($0.count)" } ?? "the whole spec") is here, this run is \(shardRecord.map { "shard \($0.index)/\($0.count)" } ?? "the whole spec"); pass --force to start over")
            }
            guard writer.layouts == layouts else {
                writer.close()
                throw DatasetError("\(writer.partialPath): the interrupted zoo has architectures \(writer.layouts.map(\.name)), the config gives \(layouts.map(\.name)); pass --force to start over")
            }
            resumed = try TrainerState.read(path: statePath, models: all.count, parameters: arch.parameterCount)
            if let r = resumed {
                // The state may lag the file by one epoch (killed between the two writes): the
                // epoch is retrained and its existing checkpoints are skipped.
                startEpoch = r.epoch
            }
        } else {
            writer = try ZooWriter.create(path: output, layouts: layouts, config: config, overwrite: force)
            if let shardRecord {
                try writer.setMetadata(ZooShard.attribute, shardRecord.json)
                try writer.flush()  // the shard record is on disk before any checkpoint
            }
            unlink(statePath)
        }
        do {
            return try train(all: all, writer: writer, resumed: resumed, startEpoch: startEpoch, arch: arch, layouts: layouts,
                             data: data, started: started, onEvent: onEvent)
        } catch let failure as WriteFailure {
            // A write that failed (a full disk, an I/O error) can leave the partial file's metadata
            // half written, and resuming from it fails on HDF5 internals; it is this run's own
            // file and cannot be continued, so it is removed together with its trainer state.
            writer.close()
            unlink(writer.partialPath)
            unlink(statePath)
            throw DatasetError("\(failure.underlying); the partial zoo was removed (a failed write leaves it unreadable): free space and run again")
        }
    }

    /// A failed write of the partial zoo or its trainer state (see `run`).
    private struct WriteFailure: Error { var underlying: any Error }

    /// Writing through `body`, with a failure marked as a write failure.
    @discardableResult
    private static func writing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw WriteFailure(underlying: error) }
    }

    /// Trains the members from `startEpoch` on, writing every kept checkpoint and the trainer
    /// state after each epoch, then finishes the zoo.
    private func train(all: [(id: String, member: PopulationMember, record: ModelRecord, layout: String)], writer: ZooWriter,
                       resumed: TrainerState?, startEpoch: Int, arch: ArchitectureSpec, layouts: [ZooLayout], data: DatasetSplits,
                       started: Date, onEvent: (@Sendable (ZooBuildEvent) -> Void)?) throws -> ZooBuildSummary {
        for m in all where !writer.hasModel(m.id) { try Self.writing { try writer.addModel(m.record, layout: m.layout) } }

        var members = all.map(\.member)
        if let r = resumed {
            for i in members.indices {
                members[i].initialRow = r.rows[i]
                members[i].resumeState = r.states[i]
            }
        }
        let perEpoch = data.train.count
        onEvent?(.started(totalSamples: perEpoch * spec.epochs * members.count, alreadyDone: perEpoch * startEpoch * members.count,
                          models: members.count, resumedAtEpoch: resumed == nil ? nil : startEpoch))
        var meanAccuracy: [Float] = []
        var trainingSeconds = 0.0, evaluationSeconds = 0.0
        let trainer = PopulationTrainer(threads: threads)
        let ids = all.map(\.id)
        let memberLayouts = all.map(\.layout)
        let statePath = self.statePath
        let spec = self.spec
        var evaluatedEpochs: [Int] = []
        try trainer.train(members: members, data: data, epochs: spec.epochs,
                          evaluateEpochZero: spec.keepsCheckpoint(atEpoch: 0), startEpoch: startEpoch,
                          evaluates: { spec.keepsCheckpoint(atEpoch: $0) },
                          onSamples: onEvent.map { f in { @Sendable n in f(.samples(n)) } }) { report in
            let kept = spec.keepsCheckpoint(atEpoch: report.epoch)
            for (i, id) in ids.enumerated() where kept && !writer.hasCheckpoint(model: id, epoch: report.epoch) {
                let m = report.metrics[i]
                try Self.writing {
                    try writer.appendCheckpoint(model: id, epoch: report.epoch, row: report.rows[i], metrics: CheckpointMetrics(
                        trainLoss: m.trainLoss, trainAccuracy: m.trainAccuracy, valLoss: m.validationLoss,
                        valAccuracy: m.validationAccuracy, testLoss: m.testLoss, testAccuracy: m.testAccuracy),
                        layout: memberLayouts[i])
                }
            }
            try Self.writing {
                try writer.flush()
                try TrainerState(epoch: report.epoch, rows: report.rows, states: report.states).write(path: statePath)
            }
            trainingSeconds += report.trainingSeconds
            evaluationSeconds += report.evaluationSeconds
            guard kept else {
                onEvent?(.epochFinished(epoch: report.epoch, meanTestAccuracy: .nan, meanTestLoss: .nan))
                return
            }
            evaluatedEpochs.append(report.epoch)
            let acc = report.metrics.map(\.testAccuracy).reduce(0, +) / Float(max(report.metrics.count, 1))
            let loss = report.metrics.map(\.testLoss).reduce(0, +) / Float(max(report.metrics.count, 1))
            meanAccuracy.append(acc)
            onEvent?(.epochFinished(epoch: report.epoch, meanTestAccuracy: acc, meanTestLoss: loss))
        }
        let checkpoints = writer.checkpointCount
        try Self.writing { try writer.finish() }
        unlink(statePath)
        let seconds = Date().timeIntervalSince(started)
        let trained = Double(members.count * (spec.epochs - startEpoch))
        return ZooBuildSummary(output: output, architecture: layouts[0].name, architectures: layouts.map(\.name), models: members.count, epochs: spec.epochs,
                               checkpoints: checkpoints, parameters: arch.parameterCount, trainSamplesPerEpoch: perEpoch,
                               resumedAtEpoch: resumed == nil ? nil : startEpoch, seconds: seconds,
                               modelEpochsPerSecond: trained / max(seconds, 1e-9), trainingSeconds: trainingSeconds,
                               evaluationSeconds: evaluationSeconds,
                               trainingModelEpochsPerSecond: trained / max(trainingSeconds, 1e-9),
                               meanTestAccuracy: meanAccuracy, evaluatedEpochs: evaluatedEpochs)
    }
}

/// Reads the `config` root attribute of a partial zoo through a reader.
enum ZooReaderConfig {
    static func config(of writer: ZooWriter) throws -> JSONValue {
        let reader = try ZooReader(path: writer.partialPath)
        defer { reader.close() }
        return reader.config
    }

    static func shard(of writer: ZooWriter) throws -> ZooShardRecord? {
        let reader = try ZooReader(path: writer.partialPath)
        defer { reader.close() }
        return try ZooShardRecord.read(reader)
    }
}

/// Each member's row, optimizer and schedule state after an epoch, in a small binary file:
/// "HZTRAIN1", a UInt64 header length, a JSON header (epoch, counts, steps, schedulers), then
/// the rows [models, parameters] and the optimizer states, float32 little-endian.
struct TrainerState {
    var epoch: Int
    var rows: [[Float]]
    var states: [MemberTrainingState]

    struct Header: Codable {
        var epoch: Int
        var models: Int
        var parameters: Int
        var stateFloats: [Int]
        var steps: [Int]
        var schedulers: [LearningRateScheduler]
    }

    static let magic = Array("HZTRAIN1".utf8)

    func write(path: String) throws {
        let header = Header(epoch: epoch, models: rows.count, parameters: rows.first?.count ?? 0,
                            stateFloats: states.map(\.optimizerState.count), steps: states.map(\.optimizerSteps),
                            schedulers: states.map(\.scheduler))
        let json = try JSONEncoder().encode(header)
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for r in rows { r.withUnsafeBytes { data.append(contentsOf: $0) } }
        for s in states { s.optimizerState.withUnsafeBytes { data.append(contentsOf: $0) } }
        // fsynced before the rename: the state must never claim an epoch the disk does not hold.
        try writeFileAtomically([UInt8](data), to: path)
    }

    /// The saved state, or nil if there is none; a state for another zoo shape is an error.
    static func read(path: String, models: Int, parameters: Int) throws -> TrainerState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw DatasetError("\(path): not a hyperzoo trainer state") }
        let length = bytes[8..<16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length > 0, length <= UInt64(bytes.count - 16) else { throw DatasetError("\(path): truncated trainer state header") }
        let n = Int(length)
        let header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + n)]))
        guard header.models == models, header.parameters == parameters else {
            throw DatasetError("\(path): state for \(header.models) models × \(header.parameters) parameters, this zoo has \(models) × \(parameters); pass --force to start over")
        }
        // Every count below comes from the file: one entry per model, each within the file's size.
        guard header.stateFloats.count == models, header.steps.count == models, header.schedulers.count == models,
              header.stateFloats.allSatisfy({ (0...(bytes.count / 4)).contains($0) }) else {
            throw DatasetError("\(path): trainer state header does not list one optimizer state per model (corrupt file?); pass --force to start over")
        }
        let need = 16 + n + 4 * (models * parameters + header.stateFloats.reduce(0, +))
        guard bytes.count == need else { throw DatasetError("\(path): trainer state has \(bytes.count) bytes, expected \(need)") }
        var offset = 16 + n
        func floats(_ k: Int) -> [Float] {
            let out = bytes[offset..<(offset + 4 * k)].withUnsafeBytes { raw in
                (0..<k).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            offset += 4 * k
            return out
        }
        let rows = (0..<models).map { _ in floats(parameters) }
        let states = (0..<models).map { i in
            MemberTrainingState(optimizerSteps: header.steps[i], optimizerState: floats(header.stateFloats[i]), scheduler: header.schedulers[i])
        }
        return TrainerState(epoch: header.epoch, rows: rows, states: states)
    }
}
