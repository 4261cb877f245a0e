// The tokenizer protocol: a tokenizer is a fixed gather from the flat row into a padded
// [tokenCount, tokenWidth] token matrix. Every row value lands in exactly one token slot, the
// remaining slots are padding (zero, mask 0), so detokenizing is the matching scatter and the
// round trip is exact bit for bit (values are copied, never computed).
//
// Sizes: P = parameters per row, T = tokens, W = token width (padded).

/// Where a token sits: its index in the sequence, its layer, and its neuron within the layer.
public struct TokenPosition: Sendable, Equatable, Codable, Hashable {
    /// Index of the token in the sequence (0..<tokenCount).
    public var token: Int
    /// Index of the layer (in `ParameterTable.layers` order).
    public var layer: Int
    /// Index of the neuron (output channel) within its layer; chunks of one neuron share it.
    public var neuron: Int

    public init(token: Int, layer: Int, neuron: Int) {
        self.token = token
        self.layer = layer
        self.neuron = neuron
    }
}

/// Errors raised when tokens cannot be built or read back.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A reversible map from a flat weight row [P] to padded tokens [T, W].
public protocol Tokenizer: Sendable {
    /// Number of values in a flat row (P).
    var parameterCount: Int { get }
    /// Number of tokens per row (T).
    var tokenCount: Int { get }
    /// Values per token after padding (W).
    var tokenWidth: Int { get }
    /// Position (token, layer, neuron) of each token, [T].
    var positions: [TokenPosition] { get }
    /// For each token slot, [T * W] row-major: the flat-row index it holds, or -1 for padding.
    var sourceIndex: [Int32] { get }
}

extension Tokenizer {
    /// Values of the padded token matrix (T * W).
    public var tokenValueCount: Int { tokenCount * tokenWidth }

    /// The mask [T, W]: 1 where a slot holds a row value, 0 for padding.
    public var mask: [Float] { sourceIndex.map { $0 >= 0 ? 1 : 0 } }

    /// Tokens [T, W] of a flat row [P] (padding is zero).
    public func tokenize(_ row: [Float]) -> [Float] {
        precondition(row.count == parameterCount, "tokenize: row has \(row.count) values, expected \(parameterCount)")
        var out = [Float](repeating: 0, count: tokenValueCount)
        row.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in tokenize(row: r, into: o) }
        }
        return out
    }

    /// Writes tokens [T, W] of `row` [P] into `tokens` (no allocation).
    public func tokenize(row: UnsafeBufferPointer<Float>, into tokens: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == parameterCount && tokens.count == tokenValueCount,
                     "tokenize: buffers of \(row.count) and \(tokens.count), expected \(parameterCount) and \(tokenValueCount)")
        sourceIndex.withUnsafeBufferPointer { src in
            for j in 0..<src.count {
                let i = Int(src[j])
                tokens[j] = i >= 0 ? row[i] : 0
            }
        }
    }

    /// The flat row [P] of tokens [T, W]; padding slots are ignored.
    public func detokenize(_ tokens: [Float]) -> [Float] {
        precondition(tokens.count == tokenValueCount, "detokenize: \(tokens.count) values, expected \(tokenValueCount)")
        var row = [Float](repeating: 0, count: parameterCount)
        tokens.withUnsafeBufferPointer { t in
            row.withUnsafeMutableBufferPointer { r in detokenize(tokens: t, into: r) }
        }
        return row
    }

    /// Writes the flat row [P] of `tokens` [T, W] into `row` (no allocation).
    public func detokenize(tokens: UnsafeBufferPointer<Float>, into row: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == parameterCount && tokens.count == tokenValueCount,
                     "detokenize: buffers of \(tokens.count) and \(row.count), expected \(tokenValueCount) and \(parameterCount)")
        sourceIndex.withUnsafeBufferPointer { src in
            for j in 0..<src.count {
                let i = Int(src[j])
                if i >= 0 { row[i] = tokens[j] }
            }
        }
    }
}

/// Checks that `sourceIndex` hits every row index exactly once (the bijection the inverse needs).
func validateBijection(_ sourceIndex: [Int32], parameterCount: Int) throws {
    var seen = [Bool](repeating: false, count: parameterCount)
    for s in sourceIndex where s >= 0 {
        let i = Int(s)
        guard i < parameterCount, !seen[i] else {
            throw TokenizerError("token layout maps row index \(i) twice or out of range (\(parameterCount) parameters)")
        }
        seen[i] = true
    }
    if let missing = seen.firstIndex(of: false) {
        throw TokenizerError("token layout misses row index \(missing) of \(parameterCount)")
    }
}
