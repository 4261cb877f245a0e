// Reads hz-augment's view stream for hz-train, one augmentation epoch at a time.
//
//   in:  layout(views, epoch_major, V = 2), positions, mask, then per epoch e = 0, 1, …:
//        one `views` record [2, T, W] (ids checkpoint, augment_epoch = e) per training checkpoint
//   out: per epoch, [2, N, P] flat rows: view v of training row r at (v·N + r)·P
//
// Epoch boundaries follow from the counts: an epoch is complete when every training checkpoint
// has arrived once with that epoch's id. Anything else (a validation model, a checkpoint twice,
// one missing, another architecture) is refused before it is trained on. Memory: one epoch of
// views as flat rows (2 × the training rows); the rest of the stream waits in the pipe.
//
// Sizes: N = training checkpoints, P = parameters per row, T × W = tokens per view.
import HyperRep
import ZooStore

/// One epoch after another of two views per training model, from a view stream.
public final class TrainingViewReader {
    /// The stream's layout record.
    public let layout: TokenStreamLayout
    /// How the views were made (options, seed, epochs).
    public let run: AugmentRun
    /// Augmentation epochs read or skipped so far.
    public private(set) var epochsRead = 0
    private let source: RecordSource
    private let name: String
    private let tokenizer: any Tokenizer
    private let checkpoints: [Int]
    private let rowOfCheckpoint: [Int: Int]

    /// Opens the view stream `source` (named `name` in errors) for the training checkpoints
    /// `trainingCheckpoints` (zoo row indices, in the trainer's row order) of a zoo whose rows are
    /// laid out by `table`.
    /// - Throws: `OperatorError` naming the stream and what was expected.
    public init(source: RecordSource, name: String, table: ParameterTable, trainingCheckpoints: [Int]) throws {
        self.source = source
        self.name = name
        layout = try TokenStreamLayout.decode(source.next(), source: name)
        guard layout.format == .views, let run = layout.augment, let choice = layout.tokenizer else {
            throw OperatorError("\(name): a \(layout.format.rawValue) stream, expected views from hz-augment (… | hz-augment - --views 2 --epochs E -o - | hz-train …)")
        }
        guard run.order == .epochMajor else {
            throw OperatorError("\(name): views ordered sample by sample (written by an older hz-augment); hz-train reads epoch-major view streams: re-run hz-augment")
        }
        guard run.views == 2 else {
            throw OperatorError("\(name): \(run.views) views per sample; the trainer contrasts two views of each model: pass --views 2 to hz-augment")
        }
        guard layout.table == table else {
            throw OperatorError("\(name): views of architecture '\(layout.architecture)' (\(layout.table.parameterCount) parameters) do not match the zoo's table (\(table.parameterCount) parameters)")
        }
        self.run = run
        tokenizer = try choice.make(table: table)
        checkpoints = trainingCheckpoints
        rowOfCheckpoint = Dictionary(uniqueKeysWithValues: trainingCheckpoints.enumerated().map { ($0.element, $0.offset) })
    }

    /// Reads augmentation epoch `epochsRead` into `views` [2, N, P] (view v of row r at (v·N + r)·P).
    /// - Throws: `OperatorError` or the stream's own error (truncation, checksum) naming the stream.
    public func readEpoch(into views: UnsafeMutableBufferPointer<Float>) throws {
        let n = checkpoints.count, p = layout.table.parameterCount
        precondition(views.count == 2 * n * p, "readEpoch: buffer of \(views.count) values, expected 2 × \(n) × \(p)")
        var values: [Float] = []
        try readEpoch { row, record in
            let tv = tokenizer.tokenValueCount
            let count = record.payload.count / MemoryLayout<Float>.size
            guard count == 2 * tv else { throw OperatorError("\(name): views record of \(count) values, expected \(2 * tv)") }
            record.copyFloats(into: &values)
            values.withUnsafeBufferPointer { tokens in
                for v in 0..<2 {
                    let k = v * n + row
                    tokenizer.detokenize(tokens: UnsafeBufferPointer(rebasing: tokens[(v * tv)..<((v + 1) * tv)]),
                                         into: UnsafeMutableBufferPointer(rebasing: views[(k * p)..<((k + 1) * p)]))
                }
            }
        }
    }

    /// Reads augmentation epoch `epochsRead` and drops it (a resumed run skips the epochs it has
    /// trained; their records are still checked).
    public func skipEpoch() throws {
        try readEpoch { _, _ in }
    }

    /// Checks that the stream ends after the epochs read (its end record verifies the count).
    public func finish() throws {
        if let record = try source.next() {
            let epoch = record.header.ids["augment_epoch"].map { " of augmentation epoch \($0)" } ?? ""
            throw OperatorError("\(name): a \(record.header.kind) record\(epoch) after the \(epochsRead) epochs trained on; pass the same --epochs to hz-augment and hz-train")
        }
    }

    private func readEpoch(_ use: (Int, Record) throws -> Void) throws {
        let epoch = epochsRead
        var seen = [Bool](repeating: false, count: checkpoints.count)
        var count = 0
        while count < checkpoints.count {
            guard let record = try nextViews() else {
                throw OperatorError("\(name): stream ended in augmentation epoch \(epoch) after \(count) of \(checkpoints.count) training checkpoints; hz-train needs --epochs views of every training model (pass the same --epochs to hz-augment)")
            }
            let id = record.header.ids["checkpoint"] ?? -1
            let recordEpoch = record.header.ids["augment_epoch"] ?? -1
            let model = record.header.labels["model_id"].map { " (model \($0))" } ?? ""
            guard let row = rowOfCheckpoint[id] else {
                let split = record.header.labels["split"].map { ", split \($0)" } ?? ""
                throw OperatorError("\(name): views of checkpoint \(id)\(model)\(split), which is not a training checkpoint of the zoo; validation models are never trained on: select the same checkpoints in hz-augment (--split train, --checkpoint-epochs as --zoo-epochs)")
            }
            guard recordEpoch == epoch, !seen[row] else {
                let missing = checkpoints.indices.filter { !seen[$0] }.prefix(3).map { String(checkpoints[$0]) }.joined(separator: ", ")
                throw OperatorError("\(name): views of checkpoint \(id)\(model) for augmentation epoch \(recordEpoch) arrived while epoch \(epoch) still misses \(checkpoints.count - count) checkpoints (\(missing)…); hz-augment must select exactly hz-train's training checkpoints")
            }
            guard record.header.dtype == .float32, record.header.shape == [2, tokenizer.tokenCount, tokenizer.tokenWidth] else {
                throw OperatorError("\(name): views of checkpoint \(id) have shape \(record.header.shape) \(record.header.dtype.rawValue), expected [2, \(tokenizer.tokenCount), \(tokenizer.tokenWidth)] float32")
            }
            try use(row, record)
            seen[row] = true
            count += 1
        }
        epochsRead += 1
    }

    /// The next `views` record (positions and mask are implied by the layout and skipped).
    private func nextViews() throws -> Record? {
        while let record = try source.next() {
            switch record.header.kind {
            case "views": return record
            case "positions", "mask": continue
            default: throw OperatorError("\(name): unexpected '\(record.header.kind)' record in a view stream")
            }
        }
        return nil
    }
}
