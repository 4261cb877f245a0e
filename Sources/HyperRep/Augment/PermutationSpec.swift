// The declarative permutation spec: which axis of which tensor each neuron permutation acts on.
//
// Permuting the output neurons of a hidden layer by π (rows of its weight, entries of its bias)
// and the matching inputs of the next layer by the same π leaves the network's function
// unchanged, because the elementwise activation and max-pooling commute with it. The next layer
// sees the neurons as:
//   conv → conv:            input channels, axis 1 of [out, in, kh, kw], blocks of 1;
//   linear → linear:        input features, axis 1 of [out, in], blocks of 1;
//   conv → flatten → linear: axis 1 of [out, C·H·W] in blocks of H·W (one block per channel,
//                            row-major flatten), e.g. 4 blocks of 9 for CNN-s conv3 → fc1.
// The last layer's outputs are the network's outputs and are never permuted.
//
// Like a UNF `perm_spec`, the spec lists per permutation group the (tensor, axis, block) pairs it
// acts on; it is derived from the `ParameterTable` under the assumption that layers compose in
// table order (true for every zoo architecture of the paper), or decoded from JSON for others.
// A view's permutations compile to one gather index over the flat row: view[k] = row[index[k]].
//
// Sizes: P = parameters, n = neurons of a group, b = block length on the permuted axis.
import Tensor
import ZooStore

/// Which neuron permutations a network admits and where each one acts.
public struct PermutationSpec: Codable, Sendable, Equatable {
    /// One tensor axis a permutation acts on, in blocks.
    public struct Action: Codable, Sendable, Equatable {
        /// State_dict name of the tensor.
        public var parameter: String
        /// Offset of the tensor in the flat row.
        public var offset: Int
        /// Shape of the tensor.
        public var shape: [Int]
        /// The permuted axis.
        public var axis: Int
        /// Consecutive entries of the axis that move together (shape[axis] = neurons × block).
        public var block: Int

        public init(parameter: String, offset: Int, shape: [Int], axis: Int, block: Int) {
            self.parameter = parameter
            self.offset = offset
            self.shape = shape
            self.axis = axis
            self.block = block
        }
    }

    /// One permutation: the output neurons of one layer and every axis that follows them.
    public struct Group: Codable, Sendable, Equatable {
        /// Name of the permuted layer (its state_dict prefix).
        public var name: String
        /// Index of the permuted layer in `ParameterTable.layers`.
        public var layer: Int
        /// Number of neurons permuted (n).
        public var size: Int
        /// Every (tensor, axis, block) the permutation acts on.
        public var actions: [Action]

        public init(name: String, layer: Int, size: Int, actions: [Action]) {
            self.name = name
            self.layer = layer
            self.size = size
            self.actions = actions
        }
    }

    /// Length of the flat row the spec applies to (P).
    public var parameterCount: Int
    /// The permutation groups, in layer order.
    public var groups: [Group]

    /// A spec given explicitly (e.g. decoded from JSON).
    /// - Throws: `TokenizerError` if an action does not fit its tensor or the row.
    public init(parameterCount: Int, groups: [Group]) throws {
        self.parameterCount = parameterCount
        self.groups = groups
        try validate()
    }

    /// Derives the spec of a sequential network from its parameter table.
    ///
    /// Each conv2d/linear layer except the last gets a group when the next layer is conv2d or
    /// linear and consumes its outputs (channels, features, or flattened channel blocks).
    /// - Throws: `TokenizerError` if the derived actions are inconsistent.
    public init(table: ParameterTable) throws {
        let layers = table.layers
        var groups: [Group] = []
        for l in 0..<max(layers.count - 1, 0) {
            let layer = layers[l], next = layers[l + 1]
            guard layer.kind != .other, next.kind != .other, next.weight.shape.count >= 2,
                  let n = layer.weight.shape.first, n > 0 else { continue }
            let inputs = next.weight.shape[1]
            let block: Int
            if inputs == n {
                block = 1
            } else if layer.kind == .conv2d, next.kind == .linear, inputs % n == 0 {
                block = inputs / n
            } else {
                continue  // the next layer does not read these neurons directly (not sequential)
            }
            var actions = [Action(parameter: layer.weight.name, offset: layer.weight.offset, shape: layer.weight.shape, axis: 0, block: 1)]
            if let bias = layer.bias {
                actions.append(Action(parameter: bias.name, offset: bias.offset, shape: bias.shape, axis: 0, block: 1))
            }
            actions.append(Action(parameter: next.weight.name, offset: next.weight.offset, shape: next.weight.shape, axis: 1, block: block))
            groups.append(Group(name: layer.prefix, layer: l, size: n, actions: actions))
        }
        try self.init(parameterCount: table.parameterCount, groups: groups)
    }

    private func validate() throws {
        for g in groups {
            for a in g.actions {
                let count = a.shape.reduce(1, *)
                guard a.axis >= 0, a.axis < a.shape.count, a.block > 0, a.shape[a.axis] == g.size * a.block else {
                    throw TokenizerError("permutation \(g.name): \(a.parameter) axis \(a.axis) of shape \(a.shape) is not \(g.size) blocks of \(a.block)")
                }
                guard a.offset >= 0, a.offset + count <= parameterCount else {
                    throw TokenizerError("permutation \(g.name): \(a.parameter) at \(a.offset)..<\(a.offset + count) lies outside the row of \(parameterCount)")
                }
            }
        }
    }

    /// The identity gather index [P].
    public var identityIndex: [Int32] { (0..<parameterCount).map { Int32($0) } }

    /// The gather index [P] applying `permutations[g]` (a permutation of 0..<groups[g].size,
    /// neuron i of the view is neuron permutations[g][i] of the original) to every group.
    public func gatherIndex(permutations: [[Int]]) -> [Int32] {
        precondition(permutations.count == groups.count, "gatherIndex: \(permutations.count) permutations for \(groups.count) groups")
        var index = identityIndex
        var scratch: [Int32] = []
        for (g, group) in groups.enumerated() {
            let pi = permutations[g]
            precondition(pi.count == group.size, "gatherIndex: permutation of \(pi.count) for group \(group.name) of \(group.size)")
            for action in group.actions {
                apply(action, pi, to: &index, scratch: &scratch)
            }
        }
        return index
    }

    /// One random permutation per group, drawn from `stream`.
    public func randomPermutations(stream: inout RandomStream) -> [[Int]] {
        groups.map { stream.permutation($0.size) }
    }

    /// The gather index of a uniformly random permutation of every group.
    public func randomGatherIndex(stream: inout RandomStream) -> [Int32] {
        gatherIndex(permutations: randomPermutations(stream: &stream))
    }

    /// index[k] ← index[source(k)] inside the action's tensor, where source moves block π(i) of
    /// the axis to block i.
    private func apply(_ action: Action, _ pi: [Int], to index: inout [Int32], scratch: inout [Int32]) {
        let shape = action.shape
        let outer = shape[..<action.axis].reduce(1, *)
        let axisLength = shape[action.axis]
        let inner = shape[(action.axis + 1)...].reduce(1, *)
        let count = outer * axisLength * inner
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: index[action.offset..<(action.offset + count)])
        let b = action.block
        index.withUnsafeMutableBufferPointer { out in
            scratch.withUnsafeBufferPointer { old in
                for o in 0..<outer {
                    for j in 0..<axisLength {
                        let sourceJ = pi[j / b] * b + j % b
                        let to = action.offset + (o * axisLength + j) * inner
                        let from = (o * axisLength + sourceJ) * inner
                        for q in 0..<inner { out[to + q] = old[from + q] }
                    }
                }
            }
        }
    }
}
