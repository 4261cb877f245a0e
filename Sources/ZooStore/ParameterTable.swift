// The parameter table: how a flat weight row maps back to a PyTorch state_dict.
//
// A zoo stores each checkpoint as one flat float32 row. The table lists, in row order, every
// state_dict tensor with its shape, its offset in the row and the layer it belongs to. All
// parameters of one layer share axis 0, the layer's output neurons (conv: output channels,
// linear: output features); tokenizers and permutation augmentations are derived from that
// fact and from the shapes alone, never from a hard-coded model list.
import FileIO

/// What kind of layer a parameter belongs to.
public enum LayerKind: String, Codable, Sendable, Equatable {
    /// 2-D convolution: weight [out, in, kh, kw].
    case conv2d
    /// Fully connected: weight [out, in].
    case linear
    /// Anything else (kept, but not tokenised by neuron or permuted).
    case other
}

/// The role of a tensor within its layer.
public enum ParameterRole: String, Codable, Sendable, Equatable {
    case weight, bias, other
}

/// One state_dict tensor inside a flat row.
public struct ParameterEntry: Codable, Sendable, Equatable {
    /// The state_dict key, e.g. `module_list.0.weight`.
    public var name: String
    /// The tensor's shape, row-major.
    public var shape: [Int]
    /// Where the tensor starts in the flat row, in elements.
    public var offset: Int
    /// Index of its layer in the table's layer order (0 = first layer).
    public var layer: Int
    /// The layer's kind.
    public var kind: LayerKind
    /// Weight, bias, or other.
    public var role: ParameterRole

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// The slice of the flat row holding this tensor.
    public var range: Range<Int> { offset..<(offset + count) }

    public init(name: String, shape: [Int], offset: Int, layer: Int, kind: LayerKind, role: ParameterRole) {
        self.name = name
        self.shape = shape
        self.offset = offset
        self.layer = layer
        self.kind = kind
        self.role = role
    }
}

/// One layer: its weight and optional bias, sharing axis 0 (output neurons).
public struct LayerEntry: Sendable, Equatable {
    /// The state_dict prefix, e.g. `module_list.3`.
    public var prefix: String
    public var kind: LayerKind
    public var weight: ParameterEntry
    public var bias: ParameterEntry?
    /// Number of output neurons (conv output channels, linear output features).
    public var outputs: Int { weight.shape[0] }
    /// Inputs per output neuron (fan-in): everything but axis 0 of the weight.
    public var fanIn: Int { weight.count / max(weight.shape[0], 1) }
}

/// Errors raised when a state_dict cannot be described by a parameter table.
public struct ParameterTableError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The ordered list of tensors that make up one flat weight row.
public struct ParameterTable: Codable, Sendable, Equatable {
    /// Tensors in row order.
    public var entries: [ParameterEntry]

    /// Total number of parameters (the row length).
    public var parameterCount: Int { entries.last.map { $0.offset + $0.count } ?? 0 }

    /// Most parameters in one row (1 GiB of float32): a plausibility bound for tables read from
    /// files, checked before any row is allocated.
    public static let maximumParameters = 1 << 28
    /// Most tensors in one table, and most dimensions per tensor.
    public static let maximumEntries = 1 << 20
    public static let maximumRank = 8

    /// The element count of `shape`, or nil if it is negative, overflows or exceeds `maximumParameters`.
    static func checkedCount(_ shape: [Int]) -> Int? {
        checkedElementCount(shape).flatMap { $0 <= maximumParameters ? $0 : nil }
    }

    /// A table from entries already laid out (offsets contiguous from 0, layers numbered in
    /// order of first appearance, a bias in an earlier weight's layer). Every size comes from a
    /// file, so each is checked (no overflow, at most `maximumParameters` in all) before use.
    public init(entries: [ParameterEntry]) throws {
        guard entries.count <= ParameterTable.maximumEntries else {
            throw ParameterTableError("\(entries.count) tensors, more than the \(ParameterTable.maximumEntries) a table may hold")
        }
        var offset = 0, layers = 0
        for e in entries {
            guard e.offset == offset else {
                throw ParameterTableError("parameter \(e.name): offset \(e.offset), expected \(offset) (rows are contiguous)")
            }
            guard e.shape.count <= ParameterTable.maximumRank else {
                throw ParameterTableError("parameter \(e.name): \(e.shape.count) dimensions, at most \(ParameterTable.maximumRank)")
            }
            guard e.shape.allSatisfy({ $0 >= 0 }) else {
                throw ParameterTableError("parameter \(e.name): negative dimension in shape \(e.shape)")
            }
            guard let count = ParameterTable.checkedCount(e.shape), count <= ParameterTable.maximumParameters - offset else {
                throw ParameterTableError("parameter \(e.name): shape \(e.shape) takes the row beyond \(ParameterTable.maximumParameters) parameters")
            }
            guard e.layer >= 0, e.layer <= layers else {
                throw ParameterTableError("parameter \(e.name): layer \(e.layer), expected 0…\(layers) (layers are numbered in order)")
            }
            if e.layer == layers { layers += 1 }
            offset += count
        }
        self.entries = entries
    }

    /// Decodes a table (a stream's layout record, a JSON file) through the same checks as
    /// `init(entries:)`: the shapes come from outside, so they are checked before any consumer
    /// sizes a row, tokenizer or buffer by them.
    /// - Throws: `ParameterTableError` for a table that breaks a limit or is not contiguous.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(entries: try container.decode([ParameterEntry].self, forKey: .entries))
    }

    /// Infers the table from state_dict names and shapes, in the given order.
    ///
    /// Tensors named `<prefix>.weight` / `<prefix>.bias` form a layer; the kind follows from the
    /// weight's rank (4: conv2d, 2: linear). A bias must follow its weight and have shape [out].
    public init(stateDict tensors: [(name: String, shape: [Int])]) throws {
        var entries: [ParameterEntry] = []
        var offset = 0
        var layerOfPrefix: [String: Int] = [:]
        var kindOfLayer: [LayerKind] = []
        var outputsOfLayer: [Int] = []
        for (name, shape) in tensors {
            let (prefix, suffix) = ParameterTable.split(name)
            let role: ParameterRole = suffix == "weight" ? .weight : (suffix == "bias" ? .bias : .other)
            var layer: Int
            var kind: LayerKind
            if role == .weight {
                guard layerOfPrefix[prefix] == nil else {
                    throw ParameterTableError("parameter \(name): a second weight for layer \(prefix)")
                }
                kind = shape.count == 4 ? .conv2d : (shape.count == 2 ? .linear : .other)
                layer = kindOfLayer.count
                layerOfPrefix[prefix] = layer
                kindOfLayer.append(kind)
                outputsOfLayer.append(shape.first ?? 0)
            } else if role == .bias, let l = layerOfPrefix[prefix] {
                layer = l
                kind = kindOfLayer[l]
                guard shape == [outputsOfLayer[l]] else {
                    throw ParameterTableError("parameter \(name): bias shape \(shape), expected [\(outputsOfLayer[l])] to match its weight")
                }
            } else {
                // A tensor with no weight before it: its own layer of kind `other`.
                kind = .other
                layer = kindOfLayer.count
                layerOfPrefix[prefix] = layer
                kindOfLayer.append(.other)
                outputsOfLayer.append(shape.first ?? 1)
            }
            guard let count = ParameterTable.checkedCount(shape), count <= ParameterTable.maximumParameters - offset else {
                throw ParameterTableError("parameter \(name): shape \(shape) takes the row beyond \(ParameterTable.maximumParameters) parameters")
            }
            entries.append(ParameterEntry(name: name, shape: shape, offset: offset, layer: layer, kind: kind, role: role))
            offset += count
        }
        try self.init(entries: entries)
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> ParameterEntry? {
        entries.first { $0.name == name }
    }

    /// The layers in order, each with its weight and optional bias. Layers of kind `other` are
    /// included with their first tensor as `weight`.
    public var layers: [LayerEntry] {
        var result: [LayerEntry] = []
        for e in entries {
            if e.layer == result.count {
                let (prefix, _) = ParameterTable.split(e.name)
                result.append(LayerEntry(prefix: prefix, kind: e.kind, weight: e, bias: nil))
            } else if e.role == .bias {
                result[e.layer].bias = e
            }
        }
        return result
    }

    /// Splits a flat row into (name, shape, values) in table order.
    public func stateDict(from row: [Float]) -> [(name: String, shape: [Int], values: ArraySlice<Float>)] {
        precondition(row.count == parameterCount, "row has \(row.count) values, table expects \(parameterCount)")
        return entries.map { ($0.name, $0.shape, row[$0.range]) }
    }

    static func split(_ name: String) -> (prefix: String, suffix: String) {
        guard let dot = name.lastIndex(of: ".") else { return ("", name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}

extension ParameterTable {
    /// The first difference in *structure* between two tables, or nil when they have the same
    /// structure: the same number of tensors with the same shapes, offsets, layers, kinds and
    /// roles in order. Names may differ (CNN-s with dropout calls `module_list.11.weight` what
    /// CNN-s without it calls `module_list.9.weight`), so rows of either table are the same kind
    /// of vector for tokenization, augmentation and autoencoders.
    /// - Returns: a short phrase such as `tensor 4 ('module_list.9.weight') has shape [20, 37], expected [20, 36]`.
    public func structureDifference(from reference: ParameterTable) -> String? {
        guard entries.count == reference.entries.count else {
            return "\(entries.count) tensors, expected \(reference.entries.count)"
        }
        for (k, (mine, theirs)) in zip(entries, reference.entries).enumerated() {
            let what = "tensor \(k) ('\(mine.name)')"
            if mine.shape != theirs.shape { return "\(what) has shape \(mine.shape), expected \(theirs.shape)" }
            if mine.layer != theirs.layer { return "\(what) belongs to layer \(mine.layer), expected \(theirs.layer)" }
            if mine.kind != theirs.kind { return "\(what) is \(mine.kind.rawValue), expected \(theirs.kind.rawValue)" }
            if mine.role != theirs.role { return "\(what) is a \(mine.role.rawValue), expected a \(theirs.role.rawValue)" }
        }
        return nil
    }

    /// Whether rows of `other` are the same kind of vector as rows of this table (names may differ).
    public func hasSameStructure(as other: ParameterTable) -> Bool { structureDifference(from: other) == nil }
}
