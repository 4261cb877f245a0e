// ZooReader: opens a zoo or population file, checks it against the layout, and reads rows.
//
// Opening reads only the small per-row columns (model, epoch, six metrics) and the models
// table; weights stay on disk and are streamed in batches through one reusable buffer, so memory
// is bounded by the batch size whatever the zoo size.
import HDF5

/// Reads a zoo-layout file (`hyperzoo.zoo` or `hyperzoo.population`).
///
/// A file may hold several architectures (groups under `/architectures`) that share one
/// parameter structure and differ in state_dict names; the reader presents their rows as one
/// sequence, group after group in the order of the root attribute `architectures`. `table` is
/// the shared structure (with the first group's names) for tokenization and augmentation;
/// `table(ofRow:)` gives the exact state_dict names of a row for exporters.
public final class ZooReader: Sendable {
    public let path: String
    public let format: ZooFormat
    public let formatVersion: Int
    /// The first architecture's name (root attribute `architecture`).
    public let architecture: String
    /// The first architecture's table; every architecture of the file shares its structure.
    public let table: ParameterTable
    /// Every architecture of the file in row order: rows `layoutRows[g]` belong to `layouts[g]`.
    public let layouts: [ZooLayout]
    /// The global rows of each architecture (consecutive ranges, in `layouts` order).
    public let layoutRows: [Range<Int>]
    /// The root `config` attribute.
    public let config: JSONValue
    /// Models in `/models` order; `modelIndex[row]` indexes this array.
    public let models: [ModelRecord]
    /// Per checkpoint row: index into `models`.
    public let modelIndex: [Int]
    /// Per checkpoint row: the epoch.
    public let epoch: [Int]
    /// Per checkpoint row metrics, one array per metric (NaN = unknown).
    public let metricColumns: [Metric: [Float]]

    let file: File
    /// One weights dataset per architecture.
    let weights: [Dataset]

    /// Number of checkpoint rows.
    public var checkpointCount: Int { epoch.count }
    /// Row length (= `table.parameterCount`).
    public var parameterCount: Int { table.parameterCount }

    /// Opens and validates `path`.
    /// - Parameter formats: which family members to accept (default zoo and population).
    /// - Throws: `ZooStoreError`: `.notFound` (missing file or object), `.notHDF5` (not HDF5,
    ///   truncated, corrupt), `.foreignFormat`, `.newerVersion`, `.invalid` (layout contradictions,
    ///   e.g. architectures whose parameter shapes differ).
    public init(path: String, formats: Set<ZooFormat> = [.zoo, .population]) throws {
        self.path = path
        guard pathExists(path) else {
            throw ZooStoreError(.notFound, path: path, message: "no such file")
        }
        let file: File
        do { file = try File(path: path, mode: .readOnly) } catch let error as HDF5Error {
            guard error.kind == .invalidFile else {
                // A lock held by another process or a system error: HDF5's words, not "corrupt".
                throw ZooStoreError(.io, path: path, message: error.message + (error.systemReason.map { ": \($0)" } ?? ""))
            }
            throw ZooStoreError(.notHDF5, path: path,
                                message: error.message.hasPrefix("not an HDF5")
                                    ? "not an HDF5 file" : "corrupt or truncated HDF5 file (\(error.hdf5Message ?? error.message))")
        }
        self.file = file
        (format, formatVersion) = try ZooFormat.check(file, accepted: formats)
        let version = formatVersion
        let (layouts, config, models, groups) = try zoo {
            let names = try ZooReader.layoutNames(file, version: version)
            var layouts: [ZooLayout] = []
            var groups: [GroupColumns] = []
            for name in names {
                let groupPath = Layout.architecture(name)
                let group = try ZooReader.required(file, object: "/" + groupPath) { try file.openGroup(groupPath) }
                let layout = ZooLayout(name: name, table: try ZooReader.table(of: group, path: path))
                if let first = layouts.first { try ZooLayout.checkStructure(layout, against: first, path: path) }
                layouts.append(layout)
                groups.append(try ZooReader.readColumns(group, table: layout.table, file: file))
            }
            let configText = file.attributes[Layout.configAttribute]?.stringValue ?? "{}"
            let config = (try? JSONValue(parsing: configText)) ?? .string(configText)
            let models = try ZooReader.readModels(file)
            // Every model index is in range, and a model's rows live in one architecture.
            var groupOfModel = [Int?](repeating: nil, count: models.count)
            for (g, columns) in groups.enumerated() {
                for m in columns.modelIndex {
                    guard m >= 0, m < models.count else {
                        throw ZooStoreError(.invalid, path: path, object: columns.group.name + "/" + Layout.modelColumn,
                                            message: "model index \(m) outside the \(models.count) models")
                    }
                    if let other = groupOfModel[m], other != g {
                        throw ZooStoreError(.invalid, path: path, object: columns.group.name + "/" + Layout.modelColumn,
                                            message: "model '\(models[m].id)' also has rows in \(groups[other].group.name); expected each model in one architecture")
                    }
                    groupOfModel[m] = g
                }
            }
            return (layouts, config, models, groups)
        }
        self.layouts = layouts
        architecture = layouts[0].name
        table = layouts[0].table
        self.config = config
        self.models = models
        weights = groups.map(\.weights)
        var start = 0
        layoutRows = groups.map { columns in
            defer { start += columns.epoch.count }
            return start..<(start + columns.epoch.count)
        }
        modelIndex = groups.flatMap(\.modelIndex)
        epoch = groups.flatMap(\.epoch)
        var metrics: [Metric: [Float]] = [:]
        for metric in Metric.allCases { metrics[metric] = groups.flatMap { $0.metrics[metric]! } }
        metricColumns = metrics
    }

    /// The per-row columns of one architecture group and its weights dataset.
    struct GroupColumns {
        var group: Group
        var weights: Dataset
        var modelIndex: [Int]
        var epoch: [Int]
        var metrics: [Metric: [Float]]
    }

    /// The names of the groups under `/architectures`, in row order: the root attribute
    /// `architectures` (a JSON array) when present, else the single `architecture`.
    static func layoutNames(_ file: File, version: Int) throws -> [String] {
        let path = file.filePath
        let first = try required(file) { try file.attributes.string(Layout.architectureAttribute) }
        guard file.attributes.contains(Layout.architecturesAttribute) else { return [first] }
        let names: [String]
        do { names = try file.attributes.json(Layout.architecturesAttribute, as: [String].self) } catch {
            throw ZooStoreError(.invalid, path: path, object: "/",
                                message: "root attribute 'architectures': expected a JSON array of group names")
        }
        guard names.first == first else {
            throw ZooStoreError(.invalid, path: path, object: "/",
                                message: "root attribute 'architectures' \(names) must start with 'architecture' ('\(first)')")
        }
        guard Set(names).count == names.count, names.allSatisfy({ !$0.isEmpty && !$0.contains("/") }) else {
            throw ZooStoreError(.invalid, path: path, object: "/",
                                message: "root attribute 'architectures' \(names): expected distinct group names without '/'")
        }
        guard names.count == 1 || version >= ZooFormat.multiLayoutVersion else {
            throw ZooStoreError(.invalid, path: path, object: "/",
                                message: "\(names.count) architectures in a format_version \(version) file; expected format_version \(ZooFormat.multiLayoutVersion)")
        }
        return names
    }

    /// The parameter table stored on an architecture group.
    static func table(of group: Group, path: String) throws -> ParameterTable {
        let entries: [ParameterEntry]
        do { entries = try group.attributes.json(Layout.tableAttribute, as: [ParameterEntry].self) } catch let error as HDF5Error {
            if error.kind == .notFound {
                throw ZooStoreError(.notFound, path: path, object: group.name, message: "missing attribute 'parameter_table' required by the zoo layout")
            }
            throw ZooStoreError(.invalid, path: path, object: group.name, message: "bad parameter_table: \(error.message)")
        }
        do { return try ParameterTable(entries: entries) } catch {
            throw ZooStoreError(.invalid, path: path, object: group.name, message: "bad parameter_table: \(error)")
        }
    }

    /// Checks one group's weights (float32 [rows, P]) and reads its per-row columns.
    static func readColumns(_ group: Group, table: ParameterTable, file: File) throws -> GroupColumns {
        let path = file.filePath
        let probe = try required(file, object: group.name + "/" + Layout.weights) { try group.openDataset(Layout.weights) }
        let weightType = try probe.elementType
        guard weightType == .float32 else {
            throw ZooStoreError(.invalid, path: path, object: probe.name, message: "expected float32, found \(weightType)")
        }
        let shape = try probe.shape
        guard shape.count == 2, shape[1] == table.parameterCount else {
            throw ZooStoreError(.invalid, path: path, object: probe.name,
                                message: "expected shape [rows, \(table.parameterCount)], found \(shape)")
        }
        // Reopen with a chunk cache suited to streaming: none for uncompressed chunks (HDF5
        // then reads straight into our buffer), four chunks for compressed ones (a batch may
        // straddle chunks; each is inflated once).
        let chunkBytes = (try probe.chunks ?? []).reduce(4, *)
        let cacheBytes = try probe.compression == nil ? 0 : max(4 * chunkBytes, 4 << 20)
        let weights = try group.openDataset(Layout.weights, chunkCacheBytes: cacheBytes)
        let rows = shape[0]
        func column<T: HDF5Numeric>(_ name: String, _: T.Type) throws -> [T] {
            let dataset = try required(file, object: group.name + "/" + name) { try group.openDataset(name) }
            let n = try dataset.shape
            guard n == [rows] else {
                throw ZooStoreError(.invalid, path: path, object: dataset.name, message: "expected \(rows) rows (as weights), found shape \(n)")
            }
            return try dataset.read(as: T.self)
        }
        let modelIndex = try column(Layout.modelColumn, Int64.self).map(Int.init)
        let epoch = try column(Layout.epochColumn, Int64.self).map(Int.init)
        var metrics: [Metric: [Float]] = [:]
        for metric in Metric.allCases { metrics[metric] = try column(metric.rawValue, Float.self) }
        return GroupColumns(group: group, weights: weights, modelIndex: modelIndex, epoch: epoch, metrics: metrics)
    }

    /// Closes the file (also done when the reader is released).
    public func close() { file.close() }

    // MARK: Metadata

    /// A JSON-valued root attribute written with `ZooWriter.setMetadata` (nil if absent).
    public func metadata(_ name: String) -> JSONValue? {
        guard let text = file.attributes[name]?.stringValue else { return nil }
        return try? JSONValue(parsing: text)
    }

    /// Names of the root attributes other than the layout's own.
    public var metadataNames: [String] {
        ((try? file.attributes.names()) ?? []).filter { !Layout.reservedRootAttributes.contains($0) }
    }

    /// The metrics of checkpoint `row`.
    public func metrics(row: Int) -> CheckpointMetrics {
        var m = CheckpointMetrics.unknown
        for metric in Metric.allCases { m[metric] = metricColumns[metric]![row] }
        return m
    }

    /// The model of checkpoint `row`.
    public func model(row: Int) -> ModelRecord { models[modelIndex[row]] }

    /// Which architecture (index into `layouts`) checkpoint `row` belongs to.
    public func layoutIndex(ofRow row: Int) -> Int {
        // Few layouts (usually one or two): a linear scan is the fastest lookup.
        layoutRows.firstIndex { $0.contains(row) } ?? 0
    }

    /// The parameter table of checkpoint `row` with its own state_dict names (what an exporter
    /// must use; `table` has the first architecture's names).
    public func table(ofRow row: Int) -> ParameterTable { layouts[layoutIndex(ofRow: row)].table }

    /// The architecture name of checkpoint `row`.
    public func architecture(ofRow row: Int) -> String { layouts[layoutIndex(ofRow: row)].name }

    // MARK: Reading rows

    /// Reads one checkpoint row.
    public func readRow(_ row: Int) throws -> [Float] {
        try readRows(row..<(row + 1))
    }

    /// Reads consecutive rows into a new array [rows.count × parameterCount].
    public func readRows(_ rows: Range<Int>) throws -> [Float] {
        var values = [Float](repeating: 0, count: rows.count * parameterCount)
        try values.withUnsafeMutableBufferPointer { try readRows(rows, into: $0) }
        return values
    }

    /// Reads consecutive rows into `buffer` (exactly `rows.count × parameterCount` floats).
    public func readRows(_ rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard rows.lowerBound >= 0, rows.upperBound <= checkpointCount else {
            throw ZooStoreError(.invalid, path: path, object: "/" + Layout.architectures, message: "rows \(rows) outside 0..<\(checkpointCount)")
        }
        guard buffer.count == rows.count * parameterCount else {
            throw ZooStoreError(.invalid, path: path, message: "buffer of \(buffer.count) floats for \(rows.count) rows")
        }
        // One hyperslab per architecture the range touches.
        for (g, stored) in layoutRows.enumerated() {
            let part = rows.clamped(to: stored)
            guard !part.isEmpty else { continue }
            let slice = UnsafeMutableBufferPointer(rebasing: buffer[((part.lowerBound - rows.lowerBound) * parameterCount)..<((part.upperBound - rows.lowerBound) * parameterCount)])
            let local = (part.lowerBound - stored.lowerBound)..<(part.upperBound - stored.lowerBound)
            try zoo { try weights[g].read(rows: local, into: slice) }
        }
    }

    /// Reads the given rows (any order, repeats allowed) into a new array, in that order.
    /// Consecutive runs are read with one hyperslab each.
    public func readRows(indices: [Int]) throws -> [Float] {
        var values = [Float](repeating: 0, count: indices.count * parameterCount)
        try values.withUnsafeMutableBufferPointer { try readRows(indices: indices, into: $0) }
        return values
    }

    /// Reads the given rows into `buffer` (`indices.count × parameterCount` floats).
    public func readRows(indices: [Int], into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard buffer.count == indices.count * parameterCount else {
            throw ZooStoreError(.invalid, path: path, message: "buffer of \(buffer.count) floats for \(indices.count) rows")
        }
        var start = 0
        while start < indices.count {
            var end = start + 1
            while end < indices.count, indices[end] == indices[end - 1] + 1 { end += 1 }
            let run = indices[start]..<(indices[start] + end - start)
            let slice = UnsafeMutableBufferPointer(rebasing: buffer[(start * parameterCount)..<(end * parameterCount)])
            try readRows(run, into: slice)
            start = end
        }
    }

    /// Batches of rows in order (or of `indices` in their order), reusing one buffer.
    ///
    ///     var batches = reader.rows(batchSize: 256)
    ///     while let batch = try batches.next() { use(batch.rows, batch.values) }
    public func rows(batchSize: Int, indices: [Int]? = nil) -> RowBatches {
        RowBatches(reader: self, batchSize: max(1, batchSize), indices: indices)
    }

    // MARK: Helpers

    static func required<T>(_ file: File, object: String = "/", _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as HDF5Error where error.kind == .notFound {
            throw ZooStoreError(.notFound, path: file.filePath, object: error.object.isEmpty ? object : error.object,
                                message: "missing \(error.message == "no such object" ? "object" : error.message) required by the zoo layout")
        }
    }

    static func readModels(_ file: File) throws -> [ModelRecord] {
        let group = try required(file, object: "/" + Layout.models) { try file.openGroup(Layout.models) }
        var columns: [String: [String]] = [:]
        for column in Layout.modelStringColumns {
            columns[column] = try required(file, object: group.name + "/" + column) { try group.openDataset(column).readStrings() }
        }
        let seeds = try required(file, object: group.name + "/" + Layout.modelSeed) { try group.openDataset(Layout.modelSeed).read(as: Int64.self) }
        let ids = columns[Layout.modelID]!
        for column in Layout.modelStringColumns where columns[column]!.count != ids.count {
            throw ZooStoreError(.invalid, path: file.filePath, object: group.name + "/" + column,
                                message: "expected \(ids.count) entries (as /models/id), found \(columns[column]!.count)")
        }
        guard seeds.count == ids.count else {
            throw ZooStoreError(.invalid, path: file.filePath, object: group.name + "/" + Layout.modelSeed,
                                message: "expected \(ids.count) entries (as /models/id), found \(seeds.count)")
        }
        return try ids.indices.map { i in
            let splitText = columns[Layout.modelSplit]![i]
            guard let split = Split(rawValue: splitText) else {
                throw ZooStoreError(.invalid, path: file.filePath, object: group.name + "/" + Layout.modelSplit,
                                    message: "entry \(i): '\(splitText)' is not train, val or test")
            }
            let dataset = columns[Layout.modelDataset]![i]
            return ModelRecord(id: ids[i], seed: seeds[i] < 0 ? nil : Int(seeds[i]), dataset: dataset.isEmpty ? nil : dataset,
                               split: split,
                               hyperparameters: (try? JSONValue(parsing: columns[Layout.modelHyperparameters]![i])) ?? .null,
                               provenance: (try? JSONValue(parsing: columns[Layout.modelProvenance]![i])) ?? .null)
        }
    }
}

/// One batch of rows: `rows[k]` is the checkpoint row held at `values[k*P ..< (k+1)*P]`.
public struct RowBatch {
    /// Checkpoint row numbers in this batch.
    public var rows: ArraySlice<Int>
    /// The weights, `rows.count × parameterCount` floats. Valid until the next `next()`.
    public var values: UnsafeBufferPointer<Float>
    /// Keeps the batch buffer alive while the batch is used.
    let owner: AnyObject
}

/// Streams rows in batches through one buffer (`batchSize × parameterCount` floats).
public struct RowBatches {
    let reader: ZooReader
    let batchSize: Int
    let order: [Int]
    var position = 0
    private let storage: BatchStorage

    /// One allocation reused by every batch (stable address, freed with the last batch).
    final class BatchStorage {
        let buffer: UnsafeMutableBufferPointer<Float>
        init(count: Int) {
            buffer = .allocate(capacity: max(count, 1))
            buffer.initialize(repeating: 0)
        }
        deinit { buffer.deallocate() }
    }

    init(reader: ZooReader, batchSize: Int, indices: [Int]?) {
        self.reader = reader
        self.batchSize = batchSize
        order = indices ?? Array(0..<reader.checkpointCount)
        storage = BatchStorage(count: batchSize * reader.parameterCount)
    }

    /// The next batch, or nil at the end.
    public mutating func next() throws -> RowBatch? {
        guard position < order.count else { return nil }
        let end = min(position + batchSize, order.count)
        let rows = order[position..<end]
        let count = rows.count * reader.parameterCount
        let slice = UnsafeMutableBufferPointer(rebasing: storage.buffer[0..<count])
        try reader.readRows(indices: Array(rows), into: slice)
        position = end
        return RowBatch(rows: rows, values: UnsafeBufferPointer(slice), owner: storage)
    }
}
