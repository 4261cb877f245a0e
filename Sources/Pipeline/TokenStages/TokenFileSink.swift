// Token and view streams stored as HDF5 (readable with h5py), written atomically:
//   /            attrs format ("hyperzoo.tokens" | "hyperzoo.views"), format_version 1,
//                layout (the stream's layout record as JSON)
//   /positions   int32   [T, 3]    (token, layer, neuron)
//   /mask        float32 [T, W]
//   /tokens      float32 [N, T, W]      (token files)   or
//   /views       float32 [N, V, T, W]   (view files), chunked, gzip
//   /index/<id>  int64   [N]  for every integer id of the records (checkpoint, model, epoch, augment_epoch)
//   /index/<label> strings [N] for every string label (model_id, split)
import Foundation
import HDF5
import ZooStore

/// Writes a token or view stream into an HDF5 file.
public final class TokenFileSink: RecordSink {
    public let path: String
    private let output: AtomicOutput
    private var file: File?
    private var data: Dataset?
    private var layout: TokenStreamLayout?
    private var sampleShape: [Int] = []
    private var pending: [Float] = []
    private var pendingCount = 0
    private var ids: [String: [Int64]] = [:]
    private var labels: [String: [String]] = [:]
    private var count = 0
    private let batch = 64

    /// A sink writing `path` (through `<path>.partial`; an existing file is replaced only with `overwrite`).
    public init(path: String, overwrite: Bool = false) throws {
        self.path = path
        self.output = try AtomicOutput(path: path, overwrite: overwrite)
    }

    deinit {
        file?.close()
        if file != nil { output.discard() }
    }

    public func write(_ record: Record) throws {
        switch record.header.kind {
        case TokenStreamLayout.kind:
            let layout = try TokenStreamLayout.decode(record, source: path)
            guard layout.format != .rows else { throw OperatorError("\(path): row streams are stored as zoos; write tokens or views here") }
            let file = try File(path: output.partialPath, mode: .create)
            try file.attributes.set("format", layout.format.rawValue)
            try file.attributes.set("format_version", 1)
            try file.attributes.set("layout", String(decoding: record.payload, as: UTF8.self))
            self.file = file
            self.layout = layout
        case "positions":
            try requireFile().createDataset("positions", data: try record.int32s(), shape: record.header.shape)
        case "mask":
            try requireFile().createDataset("mask", data: try record.floats(), shape: record.header.shape)
        case "tokens", "views":
            let file = try requireFile()
            if data == nil {
                sampleShape = record.header.shape
                let perSample = sampleShape.reduce(1, *)
                let rowsPerChunk = max(1, min(256, (1 << 20) / max(4 * perSample, 1)))
                data = try file.createDataset(record.header.kind, type: .float32, shape: [0] + sampleShape,
                                              maxShape: [nil] + sampleShape.map { Optional($0) },
                                              chunks: [rowsPerChunk] + sampleShape, compression: .gzip)
            }
            guard record.header.shape == sampleShape else {
                throw OperatorError("\(path): record shape \(record.header.shape) differs from the first sample's \(sampleShape)")
            }
            pending += try record.floats()
            pendingCount += 1
            for (k, v) in record.header.ids { ids[k, default: Array(repeating: -1, count: count)].append(Int64(v)) }
            for (k, v) in record.header.labels { labels[k, default: Array(repeating: "", count: count)].append(v) }
            count += 1
            for k in ids.keys where ids[k]!.count < count { ids[k]!.append(-1) }
            for k in labels.keys where labels[k]!.count < count { labels[k]!.append("") }
            if pendingCount >= batch { try flushData() }
        default:
            throw OperatorError("\(path): cannot store records of kind '\(record.header.kind)' in a token file")
        }
    }

    private func requireFile() throws -> File {
        guard let file else { throw OperatorError("\(path): the stream did not start with a layout record") }
        return file
    }

    private func flushData() throws {
        guard pendingCount > 0, let data else { return }
        _ = try data.append(pending)
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
    }

    /// Writes the index datasets, closes the file and renames it into place.
    public func finish() throws {
        let file = try requireFile()
        try flushData()
        let index = try file.createGroup("index")
        for (k, v) in ids.sorted(by: { $0.key < $1.key }) { try index.createDataset(k, data: v) }
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) { try index.createDataset(k, strings: v) }
        try file.flush()
        try file.closeReportingErrors()  // a full disk can surface only here; deinit then discards the partial
        self.file = nil
        try output.commit()
    }
}

/// Reads a token file written by `TokenFileSink` back as a token stream.
public final class TokenFileSource: RecordSource {
    public let path: String
    private let file: File
    private var queue: [Record] = []
    private let data: Dataset
    private let kind: String
    private let sampleShape: [Int]
    private let ids: [String: [Int64]]
    private let labels: [String: [String]]
    private var position = 0
    private let count: Int

    /// Opens `path`.
    /// - Throws: an error naming the file and object when it is not a token or view file.
    public init(path: String) throws {
        self.path = path
        file = try File(path: path, mode: .readOnly)
        let format = file.attributes["format"]?.stringValue ?? ""
        guard format == TokenStreamLayout.Format.tokens.rawValue || format == TokenStreamLayout.Format.views.rawValue else {
            throw OperatorError("\(path):/ attribute format is '\(format)', expected hyperzoo.tokens or hyperzoo.views")
        }
        kind = format == TokenStreamLayout.Format.tokens.rawValue ? "tokens" : "views"
        let layoutText = try file.attributes.string("layout")
        data = try file.openDataset(kind)
        sampleShape = Array(try data.shape.dropFirst())
        count = try data.shape[0]
        let index = try file.openGroup("index")
        var ids: [String: [Int64]] = [:], labels: [String: [String]] = [:]
        for name in try index.names() {
            let d = try index.openDataset(name)
            if case .string = try d.elementType { labels[name] = try d.readStrings() } else { ids[name] = try d.read(as: Int64.self) }
        }
        self.ids = ids
        self.labels = labels
        queue = [Record(kind: TokenStreamLayout.kind, json: Array(layoutText.utf8)),
                 Record(kind: "positions", shape: try file.openDataset("positions").shape, int32: try file.openDataset("positions").read(as: Int32.self)),
                 Record(kind: "mask", shape: try file.openDataset("mask").shape, floats: try file.openDataset("mask").read(as: Float.self))]
    }

    public func next() throws -> Record? {
        if !queue.isEmpty { return queue.removeFirst() }
        guard position < count else { return nil }
        let i = position
        position += 1
        let values = try data.read(rows: i..<(i + 1), as: Float.self)
        var recordIDs: [String: Int] = [:], recordLabels: [String: String] = [:]
        for (k, v) in ids where v[i] >= 0 { recordIDs[k] = Int(v[i]) }
        for (k, v) in labels where !v[i].isEmpty { recordLabels[k] = v[i] }
        return Record(kind: kind, ids: recordIDs, labels: recordLabels, shape: sampleShape, floats: values)
    }
}
