// Which tensors of an unpickled object are "the model": a plain state_dict, the state_dict held
// under a conventional key of a training checkpoint, or, failing both, every tensor found by
// walking nested dicts, lists and tuples (named by dotted path). Everything not taken is reported.

enum TorchSelection {
    /// Keys under which training scripts conventionally keep the model's state_dict, in priority order.
    static let modelKeys = ["state_dict", "model_state_dict", "model", "net", "network", "module", "model_state"]

    struct Result {
        var tensors: [(name: String, ref: TorchTensorRef)] = []
        var skipped: [String] = []
    }

    static func select(_ root: PickleRef, in arena: PickleArena, file: String, limits: TorchCheckpoint.Limits) throws -> Result {
        var walker = Walker(file: file, arena: arena, budget: limits.maximumVisitedValues, maximumTensors: limits.maximumTensors)
        switch arena[root] {
        case .tensor(let ref):
            return Result(tensors: [("", ref)])
        case .dict(let id):
            // A training checkpoint: take the model dict, report the other keys.
            let dict = arena.dict(id)
            for key in modelKeys {
                if let inner = dict.value(forString: key), case .dict = arena[inner], try walker.containsTensor(inner) {
                    var result = Result()
                    try walker.collect(inner, prefix: "", into: &result)
                    for k in dict.keys {
                        let name = walker.keyName(k)
                        if name != key { result.skipped.append(name) }
                    }
                    return result
                }
            }
            var result = Result()
            try walker.collect(root, prefix: "", into: &result)
            return result
        default:
            var result = Result()
            try walker.collect(root, prefix: "", into: &result)
            if result.tensors.isEmpty {
                throw FormatError(file: file, "the checkpoint holds a \(arena[root].kind) without tensors")
            }
            return result
        }
    }

    /// A bounded walk: every container visit counts against `budget`, depth is capped for every
    /// container kind, and so are the tensors taken, so shared or cyclic structures (possible with
    /// the memo) cannot make it loop, recurse deeply or multiply one tensor into millions.
    struct Walker {
        let file: String
        let arena: PickleArena
        var budget: Int
        let maximumTensors: Int
        static let maximumDepth = 64

        func keyName(_ key: PickleRef) -> String {
            switch arena[key] {
            case .string(let s): s
            case .int(let n): String(n)
            case .bool(let b): b ? "True" : "False"
            default: "<\(arena[key].kind) key>"
            }
        }

        private mutating func spend(_ depth: Int) throws {
            budget -= 1
            guard budget >= 0 else { throw FormatError(file: file, "object graph too large to search for tensors (cyclic or hostile pickle?)") }
            guard depth <= Walker.maximumDepth else { throw FormatError(file: file, "object nested deeper than \(Walker.maximumDepth) levels") }
        }

        /// The children of a container with their names (empty for leaves).
        private func children(_ ref: PickleRef) -> [(name: String, ref: PickleRef)] {
            switch arena[ref] {
            case .dict(let id):
                let d = arena.dict(id)
                return zip(d.keys, d.values).map { (keyName($0), $1) }
            case .list(let id): return arena.items(ofList: id).enumerated().map { (String($0), $1) }
            case .tuple(let items): return items.enumerated().map { (String($0), $1) }
            default: return []
            }
        }

        private func isContainer(_ ref: PickleRef) -> Bool {
            switch arena[ref] {
            case .tensor, .dict, .list, .tuple: true
            default: false
            }
        }

        mutating func containsTensor(_ ref: PickleRef, depth: Int = 0) throws -> Bool {
            try spend(depth)
            if case .tensor = arena[ref] { return true }
            for (_, child) in children(ref) where try containsTensor(child, depth: depth + 1) { return true }
            return false
        }

        /// Appends every tensor under `ref` (dotted names) and reports top-level non-tensor leaves.
        mutating func collect(_ ref: PickleRef, prefix: String, into result: inout Result, depth: Int = 0) throws {
            try spend(depth)
            if case .tensor(let tensor) = arena[ref] {
                guard result.tensors.count < maximumTensors else {
                    throw FormatError(file: file, "more than \(maximumTensors) tensors (the same tensor referenced over and over?)")
                }
                result.tensors.append((prefix, tensor))
                return
            }
            for (key, child) in children(ref) {
                let name = prefix.isEmpty ? key : "\(prefix).\(key)"
                if isContainer(child), try containsTensor(child, depth: depth + 1) {
                    try collect(child, prefix: name, into: &result, depth: depth + 1)
                } else {
                    result.skipped.append(name)
                }
            }
        }
    }
}
