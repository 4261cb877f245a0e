// ZooWriter: appends models and checkpoints to a zoo-layout file while a zoo is trained.
//
// Rows are buffered one chunk at a time and written as whole chunks (one hyperslab write per
// dataset per chunk), so memory stays at one chunk whatever the zoo size. The file lives at
// `<path>.partial` until `finish()` renames it into place; an interrupted write is continued
// with `resume(path:)`, which keeps exactly the rows committed by the last flush.
import HDF5

/// Writes a zoo (or population) file. Not thread-safe: use one writer from one task.
///
///     let writer = try ZooWriter.create(path: "zoo.h5", architecture: "cnn_s", table: table)
///     try writer.addModel(ModelRecord(id: "m0", seed: 0, dataset: "fashion-mnist", split: .train))
///     try writer.appendCheckpoint(model: "m0", epoch: 0, row: weights, metrics: .init(testAccuracy: 0.1))
///     try writer.finish()
public final class ZooWriter {
    /// Final path (`finish()` moves the file here).
    public var path: String { output.path }
    /// Where the file is while being written.
    public var partialPath: String { output.partialPath }
    /// The architecture name (group under `/architectures`).
    public let architecture: String
    public let table: ParameterTable
    public let format: ZooFormat

    let output: AtomicOutput
    let file: File
    let group: Group
    let weights: Dataset
    let rowLength: Int
    /// Rows per chunk = rows per buffered write.
    public let rowsPerChunk: Int

    // Committed state mirrored in memory.
    private var modelIndexByID: [String: Int] = [:]
    private var storedCheckpoints: Set<CheckpointKey> = []
    /// Rows written to the file so far (not counting the buffer).
    private var committedRows: Int
    // The buffer of not yet written rows.
    private var bufferedWeights: [Float] = []
    private var bufferedModels: [Int64] = []
    private var bufferedEpochs: [Int64] = []
    private var bufferedMetrics: [Metric: [Float]] = [:]
    private var bufferedModelRecords: [ModelRecord] = []
    private var finished = false
    private var lastFlush = ContinuousClock.now

    /// Seconds between automatic flushes (after a chunk is written). A writer killed without
    /// warning (kill -9, power loss) resumes from its last flush, so this bounds the work lost;
    /// each flush costs one metadata write. Default 5 s; `.infinity` flushes only when asked.
    public var flushInterval: Double = 5

    struct CheckpointKey: Hashable { var model: Int; var epoch: Int }

    // MARK: Creating and resuming

    /// Starts a new zoo at `<path>.partial`.
    ///
    /// - Parameters:
    ///   - architecture: a name for the architecture, e.g. `cnn_s` (letters, digits, `_`, `-`, `.`).
    ///   - table: the parameter table (row length = `table.parameterCount`).
    ///   - config: free-form JSON stored as the root `config` attribute (e.g. the generating spec).
    ///   - format: `.zoo` or `.population`.
    ///   - overwrite: replace an existing output or interrupted partial (the CLI's `--force`).
    ///   - compression: gzip+shuffle for the weights (nil: uncompressed, fastest to stream).
    ///   - rowsPerChunk: rows per chunk; default about 1 MiB per chunk.
    /// - Throws: `ZooStoreError` `.exists` when the output (or an interrupted partial) exists
    ///   and `overwrite` is false.
    public static func create(path: String, architecture: String, table: ParameterTable,
                              config: JSONValue = [:], format: ZooFormat = .zoo, overwrite: Bool = false,
                              compression: Compression? = nil, rowsPerChunk: Int? = nil) throws -> ZooWriter {
        guard format != .ae else {
            throw ZooStoreError(.invalid, path: path, message: "ZooWriter writes zoos and populations; AE checkpoints use their own layout")
        }
        guard !architecture.isEmpty, !architecture.contains("/") else {
            throw ZooStoreError(.invalid, path: path, message: "architecture name '\(architecture)' must be non-empty and contain no '/'")
        }
        guard table.parameterCount > 0 else {
            throw ZooStoreError(.invalid, path: path, message: "the parameter table is empty")
        }
        let output = try AtomicOutput(path: path, overwrite: overwrite)
        let rowBytes = table.parameterCount * MemoryLayout<Float>.size
        let chunkRows = max(1, min(rowsPerChunk ?? (1 << 20) / rowBytes, 4096))
        do {
            return try zoo {
                let file = try File(path: output.partialPath, mode: .createExclusive)
                try format.stamp(file)
                try file.attributes.set(Layout.architectureAttribute, architecture)
                try file.attributes.set(Layout.createdByAttribute, "hyperzoo")
                try file.attributes.set(Layout.configAttribute, config.jsonText)

                let group = try file.createGroup(Layout.architecture(architecture))
                try group.attributes.setJSON(Layout.tableAttribute, table.entries)
                try group.attributes.set(Layout.parameterCountAttribute, table.parameterCount)
                try group.attributes.set(Layout.committedRowsAttribute, 0)
                try group.createDataset(Layout.parameterNames, strings: table.entries.map(\.name))
                try group.createDataset(Layout.parameterOffsets, data: table.entries.map { Int64($0.offset) })
                try group.createDataset(Layout.weights, type: .float32, shape: [0, table.parameterCount],
                                        maxShape: [nil, table.parameterCount], chunks: [chunkRows, table.parameterCount],
                                        compression: compression)
                let columnChunk = [max(1024, chunkRows)]
                try group.createDataset(Layout.modelColumn, type: .int64, shape: [0], maxShape: [nil], chunks: columnChunk)
                try group.createDataset(Layout.epochColumn, type: .int64, shape: [0], maxShape: [nil], chunks: columnChunk)
                for metric in Metric.allCases {
                    try group.createDataset(metric.rawValue, type: .float32, shape: [0], maxShape: [nil], chunks: columnChunk)
                }
                let models = try file.createGroup(Layout.models)
                try models.attributes.set(Layout.committedModelsAttribute, 0)
                try models.createDataset(Layout.modelSeed, type: .int64, shape: [0], maxShape: [nil], chunks: [1024])
                for column in Layout.modelStringColumns {
                    try models.createDataset(column, strings: [], maxShape: [nil], chunks: [256])
                }
                try file.flush()
                return try ZooWriter(output: output, file: file, architecture: architecture, table: table, format: format)
            }
        } catch {
            output.discard()
            throw error
        }
    }

    /// Whether an interrupted write of `path` exists that `resume(path:)` can continue.
    public static func canResume(path: String) -> Bool {
        pathExists(AtomicOutput.partialPath(for: path))
    }

    /// Continues an interrupted write of `path` (its `<path>.partial`), keeping the rows and models
    /// committed by the last flush and dropping anything after it.
    /// - Throws: `.notFound` when there is nothing to resume, or the errors of opening a zoo.
    public static func resume(path: String, overwrite: Bool = false) throws -> ZooWriter {
        let partial = AtomicOutput.partialPath(for: path)
        guard pathExists(partial) else {
            throw ZooStoreError(.notFound, path: partial, message: "nothing to resume (no interrupted write)")
        }
        let output = try AtomicOutput(path: path, overwrite: overwrite, allowExistingPartial: true)
        return try zoo {
            let file = try File(path: partial, mode: .readWrite)
            let (format, _) = try ZooFormat.check(file, accepted: [.zoo, .population])
            let architecture = try file.attributes.string(Layout.architectureAttribute)
            let group = try file.openGroup(Layout.architecture(architecture))
            let entries = try group.attributes.json(Layout.tableAttribute, as: [ParameterEntry].self)
            let table: ParameterTable
            do { table = try ParameterTable(entries: entries) } catch {
                throw ZooStoreError(.invalid, path: partial, object: group.name, message: "bad parameter_table: \(error)")
            }
            return try ZooWriter(output: output, file: file, architecture: architecture, table: table, format: format)
        }
    }

    /// Opens the datasets and restores the committed state (truncating anything beyond it).
    private init(output: AtomicOutput, file: File, architecture: String, table: ParameterTable, format: ZooFormat) throws {
        self.output = output
        self.file = file
        self.architecture = architecture
        self.table = table
        self.format = format
        group = try file.openGroup(Layout.architecture(architecture))
        weights = try group.openDataset(Layout.weights)
        rowLength = table.parameterCount
        rowsPerChunk = try weights.chunks?.first ?? 1
        committedRows = try group.attributes.int(Layout.committedRowsAttribute)
        let models = try file.openGroup(Layout.models)
        let modelCount = try models.attributes.int(Layout.committedModelsAttribute)
        // Truncate every column to the committed counts (a crash may have left partial appends).
        try weights.resize(to: [committedRows, rowLength])
        for column in [Layout.modelColumn, Layout.epochColumn] + Metric.allCases.map(\.rawValue) {
            try group.openDataset(column).resize(to: [committedRows])
        }
        for column in Layout.modelStringColumns + [Layout.modelSeed] {
            try models.openDataset(column).resize(to: [modelCount])
        }
        for (i, id) in try models.openDataset(Layout.modelID).readStrings().enumerated() { modelIndexByID[id] = i }
        let modelColumn = try group.openDataset(Layout.modelColumn).read(as: Int64.self)
        let epochColumn = try group.openDataset(Layout.epochColumn).read(as: Int64.self)
        for (m, e) in zip(modelColumn, epochColumn) { storedCheckpoints.insert(CheckpointKey(model: Int(m), epoch: Int(e))) }
        bufferedWeights.reserveCapacity(rowsPerChunk * rowLength)
    }

    // MARK: Appending

    /// Number of checkpoints written or buffered.
    public var checkpointCount: Int { committedRows + bufferedEpochs.count }
    /// Number of models added.
    public var modelCount: Int { modelIndexByID.count }

    /// Whether model `model` has a checkpoint for `epoch` (written or buffered).
    public func hasCheckpoint(model: String, epoch: Int) -> Bool {
        guard let index = modelIndexByID[model] else { return false }
        return storedCheckpoints.contains(CheckpointKey(model: index, epoch: epoch))
    }

    /// Whether a model with this id was added.
    public func hasModel(_ id: String) -> Bool { modelIndexByID[id] != nil }

    /// Adds a model; returns its index in `/models`. Written with the next batch of rows (or at
    /// `flush()`/`finish()`).
    /// - Throws: `.invalid` for a duplicate or empty id or a negative seed.
    @discardableResult
    public func addModel(_ model: ModelRecord) throws -> Int {
        try checkOpen()
        guard !model.id.isEmpty, modelIndexByID[model.id] == nil else {
            throw ZooStoreError(.invalid, path: partialPath, object: "/models",
                                message: model.id.isEmpty ? "empty model id" : "model '\(model.id)' already added")
        }
        if let seed = model.seed, seed < 0 {
            throw ZooStoreError(.invalid, path: partialPath, object: "/models", message: "model '\(model.id)': negative seed \(seed)")
        }
        let index = modelIndexByID.count
        modelIndexByID[model.id] = index
        bufferedModelRecords.append(model)
        // Models are written in batches with the rows (one vlen-string write per column per
        // batch; one write per model costs a global-heap collection each).
        if bufferedModelRecords.count >= 256 { try writeBuffer() }
        return index
    }

    /// Appends one checkpoint row (`table.parameterCount` floats) of model `model` at `epoch`.
    /// - Throws: `.invalid` for an unknown model, a duplicate (model, epoch) or a wrong row length.
    public func appendCheckpoint(model: String, epoch: Int, row: UnsafeBufferPointer<Float>,
                                 metrics: CheckpointMetrics = .unknown) throws {
        try checkOpen()
        guard let index = modelIndexByID[model] else {
            throw ZooStoreError(.invalid, path: partialPath, object: group.name, message: "unknown model '\(model)' (call addModel first)")
        }
        guard row.count == rowLength else {
            throw ZooStoreError(.invalid, path: partialPath, object: weights.name,
                                message: "row of \(row.count) values, expected \(rowLength) (the parameter table's count)")
        }
        let key = CheckpointKey(model: index, epoch: epoch)
        guard !storedCheckpoints.contains(key) else {
            throw ZooStoreError(.invalid, path: partialPath, object: group.name, message: "model '\(model)' epoch \(epoch) already stored")
        }
        storedCheckpoints.insert(key)
        bufferedWeights.append(contentsOf: row)
        bufferedModels.append(Int64(index))
        bufferedEpochs.append(Int64(epoch))
        for metric in Metric.allCases { bufferedMetrics[metric, default: []].append(metrics[metric]) }
        if bufferedEpochs.count >= rowsPerChunk {
            try writeBuffer()
            let elapsed = ContinuousClock.now - lastFlush
            if Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 >= flushInterval {
                try flush()
            }
        }
    }

    /// Appends one checkpoint row from an array.
    public func appendCheckpoint(model: String, epoch: Int, row: [Float], metrics: CheckpointMetrics = .unknown) throws {
        try row.withUnsafeBufferPointer { try appendCheckpoint(model: model, epoch: epoch, row: $0, metrics: metrics) }
    }

    /// Stores a JSON-valued root attribute (e.g. a population's `sampler`, `anchors`, `seed`,
    /// `provenance`). Layout-owned names (`format`, `format_version`, `architecture`, `config`,
    /// `created_by`) are refused.
    public func setMetadata(_ name: String, _ value: JSONValue) throws {
        try checkOpen()
        guard !Layout.reservedRootAttributes.contains(name) else {
            throw ZooStoreError(.invalid, path: partialPath, object: "/", message: "root attribute '\(name)' is owned by the layout")
        }
        try zoo { try file.attributes.set(name, value.jsonText) }
    }

    /// Writes buffered rows and flushes the file, so `resume` would continue from here.
    public func flush() throws {
        try checkOpen()
        try writeBuffer()
        try zoo { try file.flush() }
        lastFlush = ContinuousClock.now
    }

    /// Flushes, closes and atomically moves the file to `path`. The writer is unusable afterwards.
    public func finish() throws {
        try flush()
        file.close()
        finished = true
        try output.commit()
    }

    /// Closes the partial file without finishing (it stays resumable). Called by deinit too.
    public func close() {
        guard !finished else { return }
        try? writeBuffer()
        file.close()
        finished = true
    }

    deinit { close() }

    // MARK: Internals

    private func checkOpen() throws {
        if finished { throw ZooStoreError(.invalid, path: path, message: "the writer was finished or closed") }
    }

    /// Appends buffered models to the `/models` columns, then records the new model count.
    private func writeModels() throws {
        guard !bufferedModelRecords.isEmpty else { return }
        try zoo {
            let models = try file.openGroup(Layout.models)
            let records = bufferedModelRecords
            let columns: [String: [String]] = [
                Layout.modelID: records.map(\.id),
                Layout.modelDataset: records.map { $0.dataset ?? "" },
                Layout.modelSplit: records.map(\.split.rawValue),
                Layout.modelHyperparameters: records.map(\.hyperparameters.jsonText),
                Layout.modelProvenance: records.map(\.provenance.jsonText),
            ]
            for column in Layout.modelStringColumns {
                try models.openDataset(column).appendStrings(columns[column]!)
            }
            let seeds = try models.openDataset(Layout.modelSeed).append(records.map { Int64($0.seed ?? -1) })
            try models.attributes.set(Layout.committedModelsAttribute, seeds.upperBound)
        }
        bufferedModelRecords.removeAll(keepingCapacity: true)
    }

    /// Appends the buffer to every row-indexed dataset, then records the new committed count.
    private func writeBuffer() throws {
        try writeModels()
        let n = bufferedEpochs.count
        guard n > 0 else { return }
        try zoo {
            let rows = committedRows..<(committedRows + n)
            try weights.resize(to: [rows.upperBound, rowLength])
            try bufferedWeights.withUnsafeBufferPointer { try weights.write($0, rows: rows) }
            try group.openDataset(Layout.modelColumn).append(bufferedModels)
            try group.openDataset(Layout.epochColumn).append(bufferedEpochs)
            for metric in Metric.allCases { try group.openDataset(metric.rawValue).append(bufferedMetrics[metric] ?? []) }
            try group.attributes.set(Layout.committedRowsAttribute, rows.upperBound)
            committedRows = rows.upperBound
        }
        bufferedWeights.removeAll(keepingCapacity: true)
        bufferedModels.removeAll(keepingCapacity: true)
        bufferedEpochs.removeAll(keepingCapacity: true)
        for metric in Metric.allCases { bufferedMetrics[metric]?.removeAll(keepingCapacity: true) }
    }
}
