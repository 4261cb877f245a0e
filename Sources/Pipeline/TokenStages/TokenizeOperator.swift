// The tokenize stage: a row stream (checkpoints of a zoo) in, a token stream out.
//   in:  layout(rows), checkpoint [P]...
//   out: layout(tokens), positions [T, 3], mask [T, W], tokens [T, W]... (same ids and labels)
import HyperRep
import ZooStore

/// Turns flat checkpoint rows into neuron or uniform tokens (exactly invertible).
public struct TokenizeOperator: Operator {
    /// Parameters of the tokenize stage.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The tokenizer.
        public var tokenizer: TokenizerChoice
        /// Split/epoch filters applied to the incoming records (top-k needs the zoo file).
        public var selection: ZooSelection?

        public init(tokenizer: TokenizerChoice = TokenizerChoice(kind: .neuron), selection: ZooSelection? = nil) {
            self.tokenizer = tokenizer
            self.selection = selection
        }
    }

    public static let name = "tokenize"
    public static let inputKinds = [TokenStreamLayout.kind, ZooRecordSource.checkpointKind]
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        guard parameters.tokenizer.tokenSize >= 0 else { throw OperatorError("tokenize: params.tokenizer.token_size must be ≥ 0") }
        if parameters.selection?.topK != nil {
            throw OperatorError("tokenize: top-k selection needs the zoo file; pass it as input instead of a stream")
        }
        self.parameters = parameters
    }

    /// Tokenizes every checkpoint record of `input` (deterministic; the seed is unused).
    public func run(input: RecordSource, output: RecordSink, seed: UInt64) throws {
        let layout = try TokenStreamLayout.decode(input.next(), source: "tokenize input")
        guard layout.format == .rows else {
            throw OperatorError("tokenize input: a \(layout.format.rawValue) stream; tokenize reads zoo checkpoints (a zoo .h5 file or a row stream)")
        }
        let tokenizer = try parameters.tokenizer.make(table: layout.table)
        try output.write(TokenStreamLayout(format: .tokens, architecture: layout.architecture, table: layout.table,
                                           tokenizer: parameters.tokenizer, tokenCount: tokenizer.tokenCount,
                                           tokenWidth: tokenizer.tokenWidth).record())
        for record in TokenStreamLayout.tokenRecords(tokenizer) { try output.write(record) }
        var tokens = [Float](repeating: 0, count: tokenizer.tokenValueCount)
        var row = [Float](repeating: 0, count: layout.table.parameterCount)
        let shape = [tokenizer.tokenCount, tokenizer.tokenWidth]
        while let record = try input.next() {
            try Self.expectInput(record, source: "tokenize input")
            guard record.header.kind == ZooRecordSource.checkpointKind else { continue }
            if let selection = parameters.selection, !selection.accepts(record.header) { continue }
            guard record.header.dtype == .float32, record.header.shape == [layout.table.parameterCount] else {
                throw OperatorError("tokenize input: checkpoint \(record.header.ids["checkpoint"] ?? -1) has shape \(record.header.shape) \(record.header.dtype.rawValue), expected [\(layout.table.parameterCount)] float32")
            }
            record.copyFloats(into: &row)
            row.withUnsafeBufferPointer { r in
                tokens.withUnsafeMutableBufferPointer { out in tokenizer.tokenize(row: r, into: out) }
            }
            try tokens.withUnsafeBytes { payload in
                try output.write(header: RecordHeader(kind: "tokens", ids: record.header.ids, labels: record.header.labels,
                                                      shape: shape, dtype: .float32), payload: payload)
            }
        }
    }
}
