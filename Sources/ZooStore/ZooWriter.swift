// ZooWriter: appends models and checkpoints to a zoo-layout file while a zoo is trained.
//
// Rows are buffered one chunk at a time per architecture group and written as whole chunks (one
// hyperslab write per dataset per chunk), so memory stays at one chunk per group whatever the zoo
// size. Each model's rows go to its group (a file holds one, or several sharing one parameter
// structure: schemas/zoo-layout.md, format_version 2). The file lives at
// `<path>.partial` until `finish()` renames it into place; an interrupted write is continued
// with `resume(path:)`, which keeps exactly the rows committed by the last flush.
import HDF5

/// Writes a zoo (or population) file. Not thread-safe: use one writer from one task.
///
///     let writer = try ZooWriter.create(path: "zoo.h5", architecture: "cnn_s", table: table)
///     try writer.addModel(ModelRecord(id: "m0", seed: 0, dataset: "fashion-mnist", split: .train))
///     try writer.appendCheckpoint(model: "m0", epoch: 0, row: weights, metrics: .init(testAccuracy: 0.1))
///     try writer.finish()
///
/// A file may hold several parameter layouts that share one structure (see `ZooLayout`), e.g.
/// a grid mixing dropout 0 and 0.5; each model's rows go to its layout's group:
///
///     let writer = try ZooWriter.create(path: "zoo.h5", layouts: [plain, withDropout])
///     try writer.addModel(record, layout: "cnn_s_dropout")
public final class ZooWriter {
    /// Final path (`finish()` moves the file here).
    public var path: String { output.path }
    /// Where the file is while being written.
    public var partialPath: String { output.partialPath }
    /// The first architecture's name (root attribute `architecture`).
    public var architecture: String { states[0].layout.name }
    /// The first architecture's table; every layout of the file shares its structure.
    public var table: ParameterTable { states[0].layout.table }
    /// Every parameter layout of the file, in row order (one group under `/architectures` each).
    public var layouts: [ZooLayout] { states.map(\.layout) }
    public let format: ZooFormat

    let output: AtomicOutput
    let file: File
    let rowLength: Int
    /// Rows per chunk = rows per buffered write.
    public let rowsPerChunk: Int
    /// Weights compression, reused for layouts added later.
    let compression: DatasetCompression?

    /// One group under `/architectures`: its datasets, committed rows and buffered rows.
    final class LayoutState {
        let layout: ZooLayout
        let group: Group
        let weights: Dataset
        /// Rows written to the file so far (not counting the buffer).
        var committedRows: Int
        var bufferedWeights: [Float] = []
        var bufferedModels: [Int64] = []
        var bufferedEpochs: [Int64] = []
        var bufferedMetrics: [Metric: [Float]] = [:]

        init(layout: ZooLayout, group: Group, weights: Dataset, committedRows: Int) {
            self.layout = layout; self.group = group; self.weights = weights; self.committedRows = committedRows
        }
    }

    private var states: [LayoutState]
    // Committed state mirrored in memory.
    private var modelIndexByID: [String: Int] = [:]
    /// Which layout a model's rows go to (known from its rows, or from `addModel(_:layout:)`).
    private var layoutOfModel: [Int: Int] = [:]
    private var storedCheckpoints: Set<CheckpointKey> = []
    private var bufferedModelRecords: [ModelRecord] = []
    private var finished = false
    private var lastFlush = ContinuousClock.now

    /// Seconds between automatic flushes (after a chunk is written). A writer killed without
    /// warning (kill -9, power loss) resumes from its last flush, so this bounds the work lost;
    /// each flush costs one metadata write. Default 5 s; `.infinity` flushes only when asked.
    public var flushInterval: Double = 5

    struct CheckpointKey: Hashable { var model: Int; var epoch: Int }

    /// Opens the datasets and restores the committed state (truncating anything beyond it).
    /// Called by `create` and `resume` (ZooWriter+Opening.swift).
    init(output: AtomicOutput, file: File, layouts: [ZooLayout], format: ZooFormat) throws {
        self.output = output
        self.file = file
        self.format = format
        rowLength = layouts[0].table.parameterCount
        var states: [LayoutState] = []
        for layout in layouts {
            let group = try file.openGroup(Layout.architecture(layout.name))
            let weights = try group.openDataset(Layout.weights)
            states.append(LayoutState(layout: layout, group: group, weights: weights,
                                      committedRows: try group.attributes.int(Layout.committedRowsAttribute)))
        }
        self.states = states
        rowsPerChunk = try states[0].weights.chunks?.first ?? 1
        compression = try states[0].weights.compression
        let models = try file.openGroup(Layout.models)
        let modelCount = try models.attributes.int(Layout.committedModelsAttribute)
        for column in Layout.modelStringColumns + [Layout.modelSeed] {
            try models.openDataset(column).resize(to: [modelCount])
        }
        for (i, id) in try models.openDataset(Layout.modelID).readStrings().enumerated() { modelIndexByID[id] = i }
        for (g, state) in states.enumerated() {
            // Truncate every column to the committed counts (a crash may have left partial appends).
            try state.weights.resize(to: [state.committedRows, rowLength])
            for column in [Layout.modelColumn, Layout.epochColumn] + Metric.allCases.map(\.rawValue) {
                try state.group.openDataset(column).resize(to: [state.committedRows])
            }
            let modelColumn = try state.group.openDataset(Layout.modelColumn).read(as: Int64.self)
            let epochColumn = try state.group.openDataset(Layout.epochColumn).read(as: Int64.self)
            for (m, e) in zip(modelColumn, epochColumn) {
                storedCheckpoints.insert(CheckpointKey(model: Int(m), epoch: Int(e)))
                layoutOfModel[Int(m)] = g
            }
            state.bufferedWeights.reserveCapacity(rowsPerChunk * rowLength)
        }
    }

    /// Adds an architecture (a group under `/architectures`) to the file, e.g. when a converter
    /// meets a model whose state_dict names differ from the zoo's so far. The file becomes
    /// format_version 2 and lists its groups in the root attribute `architectures`.
    /// - Throws: `.invalid` for a name in use or a different parameter structure.
    public func addLayout(_ layout: ZooLayout) throws {
        try checkOpen()
        try ZooLayout.checkCompatible(layouts + [layout], path: partialPath)
        try zoo {
            let groupPath = Layout.architecture(layout.name)
            // A group left by a crash between creating it and listing it holds no committed rows.
            if file.contains(groupPath) { try file.delete(groupPath) }
            try ZooWriter.createGroup(in: file, layout: layout, chunkRows: rowsPerChunk, compression: compression)
            let group = try file.openGroup(groupPath)
            states.append(LayoutState(layout: layout, group: group, weights: try group.openDataset(Layout.weights), committedRows: 0))
            try file.attributes.setJSON(Layout.architecturesAttribute, states.map(\.layout.name))
            try file.attributes.set(Layout.versionAttribute, ZooFormat.multiLayoutVersion)
            try file.flush()
        }
    }

    // MARK: Appending

    /// Number of checkpoints written or buffered, over all architectures.
    public var checkpointCount: Int { states.reduce(0) { $0 + $1.committedRows + $1.bufferedEpochs.count } }
    /// Number of models added.
    public var modelCount: Int { modelIndexByID.count }

    /// Whether model `model` has a checkpoint for `epoch` (written or buffered).
    public func hasCheckpoint(model: String, epoch: Int) -> Bool {
        guard let index = modelIndexByID[model] else { return false }
        return storedCheckpoints.contains(CheckpointKey(model: index, epoch: epoch))
    }

    /// Whether a model with this id was added.
    public func hasModel(_ id: String) -> Bool { modelIndexByID[id] != nil }

    /// The architecture a model's rows go to, if known (from its stored rows or `addModel`).
    public func layout(ofModel id: String) -> String? {
        modelIndexByID[id].flatMap { layoutOfModel[$0] }.map { states[$0].layout.name }
    }

    /// Adds a model; returns its index in `/models`. Written with the next batch of rows (or at
    /// `flush()`/`finish()`).
    /// - Parameter layout: the architecture its rows go to (needed only when the file has
    ///   several; may also be given with each `appendCheckpoint`).
    /// - Throws: `.invalid` for a duplicate or empty id, a negative seed or an unknown layout.
    @discardableResult
    public func addModel(_ model: ModelRecord, layout: String? = nil) throws -> Int {
        try checkOpen()
        guard !model.id.isEmpty, modelIndexByID[model.id] == nil else {
            throw ZooStoreError(.invalid, path: partialPath, object: "/models",
                                message: model.id.isEmpty ? "empty model id" : "model '\(model.id)' already added")
        }
        if let seed = model.seed, seed < 0 {
            throw ZooStoreError(.invalid, path: partialPath, object: "/models", message: "model '\(model.id)': negative seed \(seed)")
        }
        let layoutIndex = try layout.map { try self.layoutIndex(named: $0, model: model.id) }
        let index = modelIndexByID.count
        modelIndexByID[model.id] = index
        if let layoutIndex { layoutOfModel[index] = layoutIndex }
        bufferedModelRecords.append(model)
        // Models are written in batches with the rows (one vlen-string write per column per
        // batch; one write per model costs a global-heap collection each).
        if bufferedModelRecords.count >= 256 { try writeModels() }
        return index
    }

    /// Appends one checkpoint row (`table.parameterCount` floats) of model `model` at `epoch`.
    /// - Parameter layout: the architecture of the row; nil uses the model's (from `addModel`
    ///   or its earlier rows), or the only one of a single-architecture file.
    /// - Throws: `.invalid` for an unknown model or layout, a layout other than the model's
    ///   earlier rows', a duplicate (model, epoch) or a wrong row length.
    public func appendCheckpoint(model: String, epoch: Int, row: UnsafeBufferPointer<Float>,
                                 metrics: CheckpointMetrics = .unknown, layout: String? = nil) throws {
        try checkOpen()
        guard let index = modelIndexByID[model] else {
            throw ZooStoreError(.invalid, path: partialPath, object: "/models", message: "unknown model '\(model)' (call addModel first)")
        }
        let g = try layoutIndex(forModel: index, id: model, requested: layout)
        let state = states[g]
        guard row.count == rowLength else {
            throw ZooStoreError(.invalid, path: partialPath, object: state.weights.name,
                                message: "row of \(row.count) values, expected \(rowLength) (the parameter table's count)")
        }
        let key = CheckpointKey(model: index, epoch: epoch)
        guard !storedCheckpoints.contains(key) else {
            throw ZooStoreError(.invalid, path: partialPath, object: state.group.name, message: "model '\(model)' epoch \(epoch) already stored")
        }
        storedCheckpoints.insert(key)
        layoutOfModel[index] = g
        state.bufferedWeights.append(contentsOf: row)
        state.bufferedModels.append(Int64(index))
        state.bufferedEpochs.append(Int64(epoch))
        for metric in Metric.allCases { state.bufferedMetrics[metric, default: []].append(metrics[metric]) }
        if state.bufferedEpochs.count >= rowsPerChunk {
            try writeModels()
            try writeRows(state)
            let elapsed = ContinuousClock.now - lastFlush
            if Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 >= flushInterval {
                try flush()
            }
        }
    }

    /// Appends one checkpoint row from an array.
    public func appendCheckpoint(model: String, epoch: Int, row: [Float], metrics: CheckpointMetrics = .unknown,
                                 layout: String? = nil) throws {
        try row.withUnsafeBufferPointer { try appendCheckpoint(model: model, epoch: epoch, row: $0, metrics: metrics, layout: layout) }
    }

    /// The index of the architecture called `name`.
    private func layoutIndex(named name: String, model: String) throws -> Int {
        guard let g = states.firstIndex(where: { $0.layout.name == name }) else {
            throw ZooStoreError(.invalid, path: partialPath, object: "/" + Layout.architectures,
                                message: "model '\(model)': unknown architecture '\(name)' (this file has \(states.map(\.layout.name).joined(separator: ", ")))")
        }
        return g
    }

    /// The architecture a row of model `index` goes to; a model never spans two.
    private func layoutIndex(forModel index: Int, id: String, requested: String?) throws -> Int {
        let known = layoutOfModel[index]
        guard let requested else {
            if let known { return known }
            if states.count == 1 { return 0 }
            throw ZooStoreError(.invalid, path: partialPath, object: "/" + Layout.architectures,
                                message: "model '\(id)': which architecture? this file has \(states.map(\.layout.name).joined(separator: ", ")); pass layout:")
        }
        let g = try layoutIndex(named: requested, model: id)
        if let known, known != g {
            throw ZooStoreError(.invalid, path: partialPath, object: states[g].group.name,
                                message: "model '\(id)' already has rows in \(states[known].group.name); all checkpoints of a model share one architecture")
        }
        return g
    }

    /// Stores a JSON-valued root attribute (e.g. a population's `sampler`, `anchors`, `seed`,
    /// `provenance`). Layout-owned names (`format`, `format_version`, `architecture`, `architectures`,
    /// `config`, `created_by`) are refused.
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
        finished = true
        try zoo { try file.closeReportingErrors() }  // libhdf5 writes its caches here: a full disk shows now
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

    /// Writes buffered models, then every architecture's buffered rows.
    private func writeBuffer() throws {
        try writeModels()
        for state in states { try writeRows(state) }
    }

    /// Appends one architecture's buffer to its row-indexed datasets, then records its new
    /// committed count. Models must be written first (rows refer to them).
    private func writeRows(_ state: LayoutState) throws {
        let n = state.bufferedEpochs.count
        guard n > 0 else { return }
        try zoo {
            let rows = state.committedRows..<(state.committedRows + n)
            try state.weights.resize(to: [rows.upperBound, rowLength])
            try state.bufferedWeights.withUnsafeBufferPointer { try state.weights.write($0, rows: rows) }
            try state.group.openDataset(Layout.modelColumn).append(state.bufferedModels)
            try state.group.openDataset(Layout.epochColumn).append(state.bufferedEpochs)
            for metric in Metric.allCases { try state.group.openDataset(metric.rawValue).append(state.bufferedMetrics[metric] ?? []) }
            try state.group.attributes.set(Layout.committedRowsAttribute, rows.upperBound)
            state.committedRows = rows.upperBound
        }
        state.bufferedWeights.removeAll(keepingCapacity: true)
        state.bufferedModels.removeAll(keepingCapacity: true)
        state.bufferedEpochs.removeAll(keepingCapacity: true)
        for metric in Metric.allCases { state.bufferedMetrics[metric]?.removeAll(keepingCapacity: true) }
    }
}
