// Which tensors of an unpickled object are "the model": a plain state_dict, the state_dict held
// under a conventional key of a training checkpoint, or, failing both, every tensor found by
// walking nested dicts and lists (named by dotted path). Everything not taken is reported.

enum TorchSelection {
    /// Keys under which training scripts conventionally keep the model's state_dict, in priority order.
    static let modelKeys = ["state_dict", "model_state_dict", "model", "net", "network", "module", "model_state"]

    struct Result {
        var tensors: [(name: String, ref: TorchTensorRef)] = []
        var skipped: [String] = []
    }

    static func select(_ root: PickleValue, file: String, limits: TorchCheckpoint.Limits) throws -> Result {
        var walker = Walker(file: file, budget: limits.maximumVisitedValues)
        switch root {
        case .tensor(let ref):
            return Result(tensors: [("", ref)])
        case .dict(let dict):
            // A training checkpoint: take the model dict, report the other keys.
            for key in modelKeys {
                if case .dict(let inner)? = dict[key], try walker.containsTensor(.dict(inner)) {
                    var result = Result()
                    try walker.collect(.dict(inner), prefix: "", into: &result)
                    for (k, _) in dict.entries {
                        let name = Walker.keyName(k)
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
                throw FormatError(file: file, "the checkpoint holds a \(root.kind) without tensors")
            }
            return result
        }
    }

    /// A bounded walk: every container visit counts against `budget`, and depth is capped, so
    /// shared or cyclic structures (possible with the memo) cannot make it loop or explode.
    struct Walker {
        let file: String
        var budget: Int
        static let maximumDepth = 64

        static func keyName(_ key: PickleValue) -> String {
            switch key {
            case .string(let s): s
            case .int(let n): String(n)
            case .bool(let b): b ? "True" : "False"
            default: "<\(key.kind) key>"
            }
        }

        private mutating func spend(_ depth: Int) throws {
            budget -= 1
            guard budget >= 0 else { throw FormatError(file: file, "object graph too large to search for tensors (cyclic or hostile pickle?)") }
            guard depth <= Walker.maximumDepth else { throw FormatError(file: file, "object nested deeper than \(Walker.maximumDepth) levels") }
        }

        mutating func containsTensor(_ value: PickleValue, depth: Int = 0) throws -> Bool {
            try spend(depth)
            switch value {
            case .tensor: return true
            case .dict(let d): for v in d.values where try containsTensor(v, depth: depth + 1) { return true }
            case .list(let l): for v in l.items where try containsTensor(v, depth: depth + 1) { return true }
            case .tuple(let t): for v in t where try containsTensor(v, depth: depth + 1) { return true }
            default: break
            }
            return false
        }

        /// Appends every tensor under `value` (dotted names) and reports top-level non-tensor leaves.
        mutating func collect(_ value: PickleValue, prefix: String, into result: inout Result, depth: Int = 0) throws {
            try spend(depth)
            func join(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
            switch value {
            case .tensor(let ref):
                result.tensors.append((prefix, ref))
            case .dict(let d):
                for (k, v) in d.entries { try visit(v, join(Walker.keyName(k)), &result, depth) }
            case .list(let l):
                for (i, v) in l.items.enumerated() { try visit(v, join(String(i)), &result, depth) }
            case .tuple(let t):
                for (i, v) in t.enumerated() { try visit(v, join(String(i)), &result, depth) }
            default:
                break
            }
        }

        private mutating func visit(_ v: PickleValue, _ name: String, _ result: inout Result, _ depth: Int) throws {
            switch v {
            case .tensor, .dict, .list, .tuple:
                if try containsTensor(v, depth: depth + 1) {
                    try collect(v, prefix: name, into: &result, depth: depth + 1)
                } else {
                    result.skipped.append(name)
                }
            default:
                result.skipped.append(name)
            }
        }
    }
}
