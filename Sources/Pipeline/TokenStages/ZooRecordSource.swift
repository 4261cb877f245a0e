// Reads selected checkpoints of an HDF5 zoo as a row stream: a `layout` record, then one
// `checkpoint` record [P] per selected row, read in batches (memory: one batch).
import ZooStore

/// Which checkpoints of a zoo a stage reads.
public struct ZooSelection: Codable, Sendable, Equatable {
    /// Keep models of this split only.
    public var split: Split?
    /// Keep these checkpoint epochs only.
    public var epochs: Set<Int>?
    /// Keep the best `topK` rows by `metric` (after the other filters).
    public var topK: Int?
    /// Metric of `topK`.
    public var metric: Metric

    public init(split: Split? = nil, epochs: Set<Int>? = nil, topK: Int? = nil, metric: Metric = .testAccuracy) {
        self.split = split
        self.epochs = epochs
        self.topK = topK
        self.metric = metric
    }

    /// True when no filter is set.
    public var isEmpty: Bool { split == nil && epochs == nil && topK == nil }

    /// Selected rows of `reader`, in row order (or best first with `topK`).
    public func rows(of reader: ZooReader) -> [Int] {
        let filtered = reader.select(split: split, epochs: epochs)
        guard let topK else { return filtered }
        return reader.topK(topK, by: metric, among: filtered)
    }

    /// Whether a stream record with these ids/labels passes the split and epoch filters.
    func accepts(_ header: RecordHeader) -> Bool {
        if let split, header.labels["split"] != split.rawValue { return false }
        if let epochs, let e = header.ids["epoch"], !epochs.contains(e) { return false }
        return true
    }
}

/// Checkpoints of an HDF5 zoo as records.
public final class ZooRecordSource: RecordSource {
    /// Record kind of one flat row.
    public static let checkpointKind = "checkpoint"
    public let reader: ZooReader
    public let rows: [Int]
    private var batches: RowBatches
    private var batch: RowBatch?
    private var indexInBatch = 0
    private var sentLayout = false

    /// A source of the `selection` of the zoo at `path`.
    public init(path: String, selection: ZooSelection = ZooSelection(), batchSize: Int = 64) throws {
        reader = try ZooReader(path: path)
        rows = selection.rows(of: reader)
        batches = reader.rows(batchSize: batchSize, indices: rows)
    }

    public func next() throws -> Record? {
        if !sentLayout {
            sentLayout = true
            return try TokenStreamLayout(format: .rows, architecture: reader.architecture, table: reader.table).record()
        }
        if batch == nil || indexInBatch == batch!.rows.count {
            batch = try batches.next()
            indexInBatch = 0
            guard batch != nil else { return nil }
        }
        let b = batch!
        let row = b.rows[b.rows.startIndex + indexInBatch]
        let p = reader.parameterCount
        let values = Array(b.values[(indexInBatch * p)..<((indexInBatch + 1) * p)])
        indexInBatch += 1
        let model = reader.model(row: row)
        return Record(kind: Self.checkpointKind, ids: ["checkpoint": row, "model": reader.modelIndex[row], "epoch": reader.epoch[row]],
                      labels: ["model_id": model.id, "split": model.split.rawValue], shape: [p], floats: values)
    }
}
