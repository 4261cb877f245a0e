// The augment stage: rows or tokens in, augmented token views out.
//   in:  layout(rows|tokens), [positions, mask,] checkpoint [P] or tokens [T, W]...
//   out: layout(views), positions [T, 3], mask [T, W], views [V, T, W]... per sample and epoch
// Each (augmentation epoch, sample, view) draws from its own RandomStream keyed by the seed and
// the sample's checkpoint id, so the output does not depend on batching, order or selection.
// Views are written epoch-major (all samples of epoch 0, then of epoch 1, …) so that hz-train can
// consume one epoch at a time; epochs after the first replay the input rows kept in memory.
import HyperRep
import Tensor
import ZooStore

/// Makes `views` augmented views of every sample, `epochs` times.
public struct AugmentOperator: Operator {
    /// Parameters of the augment stage.
    public struct Parameters: Codable, Sendable, Equatable {
        /// What each view changes.
        public var options: AugmentOptions
        /// Views per sample and epoch (2 for contrastive training).
        public var views: Int
        /// Augmentation epochs: each sample is emitted `epochs` times with fresh views.
        public var epochs: Int
        /// Output tokenizer; default: the input's, or neuron tokens for row input.
        public var tokenizer: TokenizerChoice?
        /// Split/epoch filters applied to the incoming records.
        public var selection: ZooSelection?

        public init(options: AugmentOptions = .paper, views: Int = 2, epochs: Int = 1,
                    tokenizer: TokenizerChoice? = nil, selection: ZooSelection? = nil) {
            self.options = options
            self.views = views
            self.epochs = epochs
            self.tokenizer = tokenizer
            self.selection = selection
        }
    }

    public static let name = "augment"
    public static let inputKinds = [TokenStreamLayout.kind, "positions", "mask", "tokens", ZooRecordSource.checkpointKind]
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        guard parameters.views >= 1 else { throw OperatorError("augment: params.views must be ≥ 1") }
        guard parameters.epochs >= 1 else { throw OperatorError("augment: params.epochs must be ≥ 1") }
        do { try parameters.options.validate() } catch { throw OperatorError("\(error)") }
        if parameters.selection?.topK != nil {
            throw OperatorError("augment: top-k selection needs the zoo file; pass it as input instead of a stream")
        }
        self.parameters = parameters
    }

    public func run(input: RecordSource, output: RecordSink, seed: UInt64) throws {
        let layout = try TokenStreamLayout.decode(input.next(), source: "augment input")
        let inputTokenizer = try Self.inputTokenizer(of: layout)
        let choice = parameters.tokenizer ?? layout.tokenizer ?? TokenizerChoice(kind: .neuron)
        let tokenizer = try choice.make(table: layout.table)
        let augmenter = try Augmenter(table: layout.table, options: parameters.options, bankSeed: seed)
        let run = AugmentRun(options: parameters.options, views: parameters.views, epochs: parameters.epochs, seed: seed)
        try output.write(TokenStreamLayout(format: .views, architecture: layout.architecture, table: layout.table, tokenizer: choice,
                                           tokenCount: tokenizer.tokenCount, tokenWidth: tokenizer.tokenWidth, augment: run).record())
        for record in TokenStreamLayout.tokenRecords(tokenizer) { try output.write(record) }

        let p = layout.table.parameterCount
        let expectedShape = inputTokenizer.map { [$0.tokenCount, $0.tokenWidth] } ?? [p]
        let sampleKind = inputTokenizer == nil ? ZooRecordSource.checkpointKind : "tokens"
        var row = [Float](repeating: 0, count: p)
        var inputTokens: [Float] = []  // a token record's values (token input only)
        var writer = ViewWriter(augmenter: augmenter, tokenizer: tokenizer, viewCount: parameters.views, seed: seed, parameterCount: p)
        // Epoch 0 streams out as the samples arrive; later epochs replay the rows kept here
        // (N × P values: the input, not its views), so the output is epoch-major.
        var kept: [(row: [Float], header: RecordHeader, id: Int)] = []
        var sample = 0
        while let record = try input.next() {
            try Self.expectInput(record, source: "augment input")
            guard record.header.kind == sampleKind else { continue }
            if let selection = parameters.selection, !selection.accepts(record.header) { continue }
            guard record.header.dtype == .float32, record.header.shape == expectedShape else {
                throw OperatorError("augment input: \(sampleKind) record \(record.header.ids["checkpoint"] ?? sample) has shape \(record.header.shape) \(record.header.dtype.rawValue), expected \(expectedShape) float32")
            }
            if let inputTokenizer {
                record.copyFloats(into: &inputTokens)
                inputTokens.withUnsafeBufferPointer { t in row.withUnsafeMutableBufferPointer { inputTokenizer.detokenize(tokens: t, into: $0) } }
            } else {
                row.withUnsafeMutableBufferPointer { record.copyFloats(into: $0) }
            }
            let id = record.header.ids["checkpoint"] ?? sample
            try writer.emit(row, record.header, id: id, epoch: 0, to: output)
            if parameters.epochs > 1 { kept.append((row, record.header, id)) }
            sample += 1
        }
        for epoch in 1..<max(parameters.epochs, 1) {
            for (row, header, id) in kept { try writer.emit(row, header, id: id, epoch: epoch, to: output) }
        }
    }

    /// The tokenizer that turns token input back into rows; nil for row input.
    private static func inputTokenizer(of layout: TokenStreamLayout) throws -> (any Tokenizer)? {
        switch layout.format {
        case .rows: return nil
        case .tokens:
            guard let choice = layout.tokenizer else { throw OperatorError("augment input: token stream layout names no tokenizer") }
            return try choice.make(table: layout.table)
        case .views:
            throw OperatorError("augment input: already a view stream; augment reads a zoo, a row stream or a token stream")
        }
    }
}

/// Writes one sample's views record: each view augmented from the row with its own stream
/// (seed, epoch, sample id, view), then tokenized.
private struct ViewWriter {
    let augmenter: Augmenter
    let tokenizer: any Tokenizer
    let viewCount: Int
    let seed: UInt64
    /// One augmented row [P].
    var scratch: [Float]
    /// The record's payload [V, T, W].
    var views: [Float]

    init(augmenter: Augmenter, tokenizer: any Tokenizer, viewCount: Int, seed: UInt64, parameterCount p: Int) {
        self.augmenter = augmenter; self.tokenizer = tokenizer; self.viewCount = viewCount; self.seed = seed
        scratch = [Float](repeating: 0, count: p)
        views = [Float](repeating: 0, count: viewCount * tokenizer.tokenValueCount)
    }

    mutating func emit(_ row: [Float], _ header: RecordHeader, id: Int, epoch: Int, to output: RecordSink) throws {
        let tw = tokenizer.tokenValueCount
        let (augmenter, tokenizer, viewCount, seed) = (augmenter, tokenizer, viewCount, seed)
        row.withUnsafeBufferPointer { r in
            scratch.withUnsafeMutableBufferPointer { s in
                views.withUnsafeMutableBufferPointer { out in
                    for v in 0..<viewCount {
                        var stream = Augmenter.viewStream(seed: seed, epoch: epoch, sample: id, view: v)
                        augmenter.view(row: r, into: s, stream: &stream)
                        tokenizer.tokenize(row: UnsafeBufferPointer(s), into: UnsafeMutableBufferPointer(rebasing: out[(v * tw)..<((v + 1) * tw)]))
                    }
                }
            }
        }
        var ids = header.ids
        ids["augment_epoch"] = epoch
        try views.withUnsafeBytes { payload in
            try output.write(header: RecordHeader(kind: "views", ids: ids, labels: header.labels,
                                                  shape: [viewCount, tokenizer.tokenCount, tokenizer.tokenWidth], dtype: .float32),
                             payload: payload)
        }
    }
}
