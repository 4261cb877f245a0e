// Neuron rows: the unit both tokenizers and the permutation augmentation are built from.
//
// Every layer of a `ParameterTable` is read as a matrix [outputs, fanIn] (its weight, axis 0 =
// output neurons, everything else flattened row-major) plus an optional bias [outputs]. A neuron
// row is one output neuron's fan-in weights followed by its bias: the paper's "neuron token".
// Layers of kind `other` are read the same way (axis 0 as rows, a rank-0 tensor as one row), so
// that every value of the flat row belongs to exactly one neuron row and tokenizing is a
// bijection.
import ZooStore

/// One layer read as neuron rows: where its weights and bias sit in the flat row.
public struct NeuronRowLayer: Sendable, Equatable, Codable {
    /// Index of the layer in `ParameterTable.layers`.
    public var layer: Int
    /// State_dict prefix of the layer, e.g. `module_list.3`.
    public var prefix: String
    /// Layer kind from the table.
    public var kind: LayerKind
    /// Number of neuron rows (output neurons / conv kernels; 1 for a rank-0 tensor).
    public var rows: Int
    /// Weights per neuron row (everything but axis 0 of the weight).
    public var fanIn: Int
    /// Offset of the weight tensor in the flat row.
    public var weightOffset: Int
    /// Offset of the bias tensor in the flat row, if the layer has one.
    public var biasOffset: Int?
    /// Values per neuron row: fan-in plus one when there is a bias.
    public var width: Int { fanIn + (biasOffset == nil ? 0 : 1) }

    /// Flat-row index of value `column` (0..<width) of neuron `row`.
    @inline(__always)
    public func flatIndex(row: Int, column: Int) -> Int {
        column < fanIn ? weightOffset + row * fanIn + column : biasOffset! + row
    }
}

extension ParameterTable {
    /// The table's layers read as neuron rows, in layer order.
    public var neuronRowLayers: [NeuronRowLayer] {
        layers.enumerated().map { index, layer in
            let w = layer.weight
            let rows = w.shape.isEmpty ? 1 : w.shape[0]
            let fanIn = rows == 0 ? 0 : w.count / rows
            return NeuronRowLayer(layer: index, prefix: layer.prefix, kind: layer.kind, rows: rows,
                                  fanIn: fanIn, weightOffset: w.offset, biasOffset: layer.bias?.offset)
        }
    }
}
