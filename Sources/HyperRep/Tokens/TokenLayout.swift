// Neuron tokens, as in the paper: one token per output neuron or conv kernel holding its fan-in
// weights followed by its bias. Token widths differ per layer (26/201/25/37/21 for CNN-s), so
// the layout offers two views of the same tokens:
//   packed: each layer's tokens [tokens_l, width_l] back to back, P values, no padding (the
//           paper's per-layer embedders read these slices);
//   padded: [T, maxWidth] with a mask (the `Tokenizer` protocol), for code that wants one shape.
// Everything is derived from the `ParameterTable`; nothing is specific to a model.
//
// Sizes: P = parameters, T = tokens (sum of rows over layers), W = max width.
import ZooStore

/// The neuron-token layout of one architecture, derived from its parameter table.
public struct TokenLayout: Tokenizer, Equatable {
    /// One layer's tokens.
    public struct Layer: Sendable, Equatable, Codable {
        /// Where the layer's neuron rows sit in the flat row.
        public var rows: NeuronRowLayer
        /// Index of the layer's first token in the sequence.
        public var firstToken: Int
        /// Offset of the layer's tokens [tokenCount, width] in the packed token buffer.
        public var packedOffset: Int
        /// Tokens of this layer (one per output neuron).
        public var tokenCount: Int { rows.rows }
        /// Values per token (fan-in + bias).
        public var width: Int { rows.width }
        /// Range of this layer's tokens in the sequence.
        public var tokens: Range<Int> { firstToken..<(firstToken + tokenCount) }
        /// Range of this layer's values in the packed buffer.
        public var packedRange: Range<Int> { packedOffset..<(packedOffset + tokenCount * width) }
    }

    /// The table the layout was derived from.
    public let table: ParameterTable
    /// Per-layer token blocks in layer order.
    public let layers: [Layer]
    public let parameterCount: Int
    public let tokenCount: Int
    /// The widest token (padding target of the padded view).
    public let tokenWidth: Int
    public let positions: [TokenPosition]
    public let sourceIndex: [Int32]
    /// For each packed value [P]: the flat-row index it holds (a permutation of 0..<P).
    public let packedSourceIndex: [Int32]

    /// Derives the neuron-token layout of `table`.
    /// - Throws: `TokenizerError` if the table's layers do not cover the row exactly once.
    public init(table: ParameterTable) throws {
        self.table = table
        var layers: [Layer] = []
        var token = 0, packed = 0
        for rows in table.neuronRowLayers {
            layers.append(Layer(rows: rows, firstToken: token, packedOffset: packed))
            token += rows.rows
            packed += rows.rows * rows.width
        }
        let width = layers.map(\.width).max() ?? 0
        var positions: [TokenPosition] = []
        positions.reserveCapacity(token)
        var padded = [Int32](repeating: -1, count: token * width)
        var packedIndex = [Int32](repeating: -1, count: packed)
        for layer in layers {
            for n in 0..<layer.tokenCount {
                let t = layer.firstToken + n
                positions.append(TokenPosition(token: t, layer: layer.rows.layer, neuron: n))
                for c in 0..<layer.width {
                    let source = Int32(layer.rows.flatIndex(row: n, column: c))
                    padded[t * width + c] = source
                    packedIndex[layer.packedOffset + n * layer.width + c] = source
                }
            }
        }
        self.layers = layers
        self.parameterCount = table.parameterCount
        self.tokenCount = token
        self.tokenWidth = width
        self.positions = positions
        self.sourceIndex = padded
        self.packedSourceIndex = packedIndex
        guard packed == parameterCount else {
            throw TokenizerError("neuron tokens hold \(packed) values but the table has \(parameterCount) parameters")
        }
        try validateBijection(padded, parameterCount: parameterCount)
    }

    /// Per-token widths [T] (the unpadded length of each token).
    public var tokenWidths: [Int] { layers.flatMap { Array(repeating: $0.width, count: $0.tokenCount) } }

    /// Packed tokens [P]: layer l's tokens [tokens_l, width_l] at `layers[l].packedRange`.
    public func tokenizePacked(_ row: [Float]) -> [Float] {
        precondition(row.count == parameterCount, "tokenizePacked: row has \(row.count) values, expected \(parameterCount)")
        return packedSourceIndex.map { row[Int($0)] }
    }

    /// Writes packed tokens [P] of `row` [P] into `packed` (no allocation).
    public func tokenizePacked(row: UnsafeBufferPointer<Float>, into packed: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == parameterCount && packed.count == parameterCount, "tokenizePacked: buffer sizes")
        packedSourceIndex.withUnsafeBufferPointer { src in
            for j in 0..<src.count { packed[j] = row[Int(src[j])] }
        }
    }

    /// The flat row [P] of packed tokens [P].
    public func detokenizePacked(_ packed: [Float]) -> [Float] {
        precondition(packed.count == parameterCount, "detokenizePacked: \(packed.count) values, expected \(parameterCount)")
        var row = [Float](repeating: 0, count: parameterCount)
        for j in 0..<packed.count { row[Int(packedSourceIndex[j])] = packed[j] }
        return row
    }

    /// Writes the flat row [P] of packed tokens [P] into `row` (no allocation).
    public func detokenizePacked(packed: UnsafeBufferPointer<Float>, into row: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == parameterCount && packed.count == parameterCount, "detokenizePacked: buffer sizes")
        packedSourceIndex.withUnsafeBufferPointer { src in
            for j in 0..<src.count { row[Int(src[j])] = packed[j] }
        }
    }
}
