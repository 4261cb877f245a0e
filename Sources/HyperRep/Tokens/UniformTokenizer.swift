// Uniform tokens, as in the follow-up work (SANE): every neuron row (fan-in weights + bias) is
// cut into chunks of one global token size and the last chunk is zero-padded, so every token
// has the same width and large architectures fit a fixed-width model. A mask marks real
// values; positions are (token, layer, neuron), chunks of one neuron sharing layer and neuron.
//
// Sizes: P = parameters, T = tokens (sum over neuron rows of ceil(width / S)), S = token size.
import ZooStore

/// SANE-style uniform tokens of one architecture, derived from its parameter table.
public struct UniformTokenizer: Tokenizer, Equatable {
    /// The table the tokens were derived from.
    public let table: ParameterTable
    /// The token size S (every token's width).
    public let tokenSize: Int
    public let parameterCount: Int
    public let tokenCount: Int
    public let positions: [TokenPosition]
    public let sourceIndex: [Int32]
    public var tokenWidth: Int { tokenSize }

    /// Uniform tokens of `table` with `tokenSize` values each; 0 picks the widest neuron row
    /// (so no row is chunked).
    /// - Throws: `TokenizerError` if `tokenSize` is negative or the table is empty.
    public init(table: ParameterTable, tokenSize: Int = 0) throws {
        guard tokenSize >= 0 else { throw TokenizerError("token size \(tokenSize): expected 0 (auto) or a positive size") }
        let layers = table.neuronRowLayers
        let size = tokenSize > 0 ? tokenSize : (layers.map(\.width).max() ?? 0)
        guard size > 0 else { throw TokenizerError("parameter table has no values to tokenize") }
        var positions: [TokenPosition] = []
        var source: [Int32] = []
        for layer in layers {
            for n in 0..<layer.rows {
                var column = 0
                repeat {
                    positions.append(TokenPosition(token: positions.count, layer: layer.layer, neuron: n))
                    for c in column..<(column + size) {
                        source.append(c < layer.width ? Int32(layer.flatIndex(row: n, column: c)) : -1)
                    }
                    column += size
                } while column < layer.width
            }
        }
        self.table = table
        self.tokenSize = size
        self.parameterCount = table.parameterCount
        self.tokenCount = positions.count
        self.positions = positions
        self.sourceIndex = source
        try validateBijection(source, parameterCount: parameterCount)
    }
}
