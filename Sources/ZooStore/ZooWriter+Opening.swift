// Opening a ZooWriter: a new file at `<path>.partial` with its root attributes, one group per
// parameter layout and the empty models table, or an interrupted write continued from its
// last flush. Appending rows is ZooWriter.swift's job.
import HDF5

extension ZooWriter {
    /// Starts a new zoo with one architecture at `<path>.partial` (format_version 1).
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
                              compression: DatasetCompression? = nil, rowsPerChunk: Int? = nil) throws -> ZooWriter {
        try create(path: path, layouts: [ZooLayout(name: architecture, table: table)], config: config, format: format,
                   overwrite: overwrite, compression: compression, rowsPerChunk: rowsPerChunk)
    }

    /// Starts a new zoo with one or more architectures at `<path>.partial`.
    ///
    /// All layouts must share the first one's parameter structure (names may differ). A single
    /// layout gives exactly the version-1 file of `create(path:architecture:table:...)`; several
    /// give format_version 2 with the root attribute `architectures` listing them in order.
    /// - Throws: `ZooStoreError` `.invalid` for incompatible layouts, `.exists` as above.
    public static func create(path: String, layouts: [ZooLayout],
                              config: JSONValue = [:], format: ZooFormat = .zoo, overwrite: Bool = false,
                              compression: DatasetCompression? = nil, rowsPerChunk: Int? = nil) throws -> ZooWriter {
        guard format != .ae else {
            throw ZooStoreError(.invalid, path: path, message: "ZooWriter writes zoos and populations; AE checkpoints use their own layout")
        }
        try ZooLayout.checkCompatible(layouts, path: path)
        let output = try AtomicOutput(path: path, overwrite: overwrite)
        let rowBytes = layouts[0].table.parameterCount * MemoryLayout<Float>.size
        let chunkRows = max(1, min(rowsPerChunk ?? (1 << 20) / rowBytes, 4096))
        do {
            return try zoo {
                let file = try File(path: output.partialPath, mode: .createExclusive)
                try format.stamp(file, version: layouts.count > 1 ? ZooFormat.multiLayoutVersion : ZooFormat.singleLayoutVersion)
                try file.attributes.set(Layout.architectureAttribute, layouts[0].name)
                if layouts.count > 1 { try file.attributes.setJSON(Layout.architecturesAttribute, layouts.map(\.name)) }
                try file.attributes.set(Layout.createdByAttribute, "hyperzoo")
                try file.attributes.set(Layout.configAttribute, config.jsonText)
                for layout in layouts {
                    try createGroup(in: file, layout: layout, chunkRows: chunkRows, compression: compression)
                }
                let models = try file.createGroup(Layout.models)
                try models.attributes.set(Layout.committedModelsAttribute, 0)
                try models.createDataset(Layout.modelSeed, type: .int64, shape: [0], maxShape: [nil], chunks: [1024])
                for column in Layout.modelStringColumns {
                    try models.createDataset(column, strings: [], maxShape: [nil], chunks: [256])
                }
                try file.flush()
                return try ZooWriter(output: output, file: file, layouts: layouts, format: format)
            }
        } catch {
            output.discard()
            throw error
        }
    }

    /// Creates `/architectures/<name>` with its table and empty row-indexed datasets.
    static func createGroup(in file: File, layout: ZooLayout, chunkRows: Int, compression: DatasetCompression?) throws {
        let table = layout.table
        let group = try file.createGroup(Layout.architecture(layout.name))
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
    }

    /// Whether an interrupted write of `path` exists that `resume(path:)` can continue.
    public static func canResume(path: String) -> Bool {
        pathExists(AtomicOutput.partialPath(for: path))
    }

    /// Continues an interrupted write of `path` (its `<path>.partial`), keeping the rows and models
    /// committed by the last flush and dropping anything after it. Every architecture listed in
    /// the file is reopened.
    /// - Throws: `.notFound` when there is nothing to resume, or the errors of opening a zoo.
    public static func resume(path: String, overwrite: Bool = false) throws -> ZooWriter {
        let partial = AtomicOutput.partialPath(for: path)
        guard pathExists(partial) else {
            throw ZooStoreError(.notFound, path: partial, message: "nothing to resume (no interrupted write)")
        }
        let output = try AtomicOutput(path: path, overwrite: overwrite, allowExistingPartial: true)
        return try zoo {
            let file = try File(path: partial, mode: .readWrite)
            let (format, version) = try ZooFormat.check(file, accepted: [.zoo, .population])
            let names = try ZooReader.layoutNames(file, version: version)
            let layouts = try names.map { name in
                let group = try ZooReader.required(file, object: "/" + Layout.architecture(name)) { try file.openGroup(Layout.architecture(name)) }
                return ZooLayout(name: name, table: try ZooReader.table(of: group, path: partial))
            }
            try ZooLayout.checkCompatible(layouts, path: partial)
            return try ZooWriter(output: output, file: file, layouts: layouts, format: format)
        }
    }
}
