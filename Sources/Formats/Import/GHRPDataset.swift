// GHRP's published hyper-representation datasets (`dataset.pt` of the Zenodo release): a
// torch.save of {"trainset", "valset"?, "testset"} holding pickled
// `ghrp.checkpoints_to_datasets.dataset_simclr.SimCLRDataset` objects. Their `__dict__` is plain
// data (lists, dicts, strings, numbers), tensors, and `pathlib.PosixPath`s (root, path_list,
// paths), so the allow-list is exactly torch's plus those two classes; anything else (code, other
// classes) is refused by name. Read from the official code (dataset_base.py, dataset_simclr.py):
//   data_in     mode "vector": flat weight tensors (vectorize_checkpoint); otherwise state_dicts
//   layer_lst   [(module_list index, type)], use_bias: what a flat vector holds, in order:
//               module_list.<i>.weight flattened, then module_list.<i>.bias when use_bias
//   checkpoint_base  the first state_dict (mode "vector"): names and shapes
//   paths, epochs    per sample: the trial folder and the epoch
//   properties  None or {key: [value per sample]} (test_acc, training_iteration, ggap, config keys)

import FileIO
import ZooStore

/// Hooks for a GHRP dataset pickle: torch's, plus SimCLRDataset objects and PosixPaths.
struct GHRPPickleHooks: PickleHooks {
    /// The dataset class, under the package name and the pre-package name of the first commit.
    static let datasetClasses: Set<String> = [
        "ghrp.checkpoints_to_datasets.dataset_simclr.SimCLRDataset",
        "checkpoints_to_datasets.dataset_simclr.SimCLRDataset",
    ]
    /// Path objects (Python ≥ 3.13 pickles them from pathlib._local).
    static let pathClasses: Set<String> = ["pathlib.PosixPath", "pathlib._local.PosixPath"]
    let torch = TorchPickleHooks()

    func allows(module: String, name: String) -> Bool {
        let full = "\(module).\(name)"
        return Self.datasetClasses.contains(full) || Self.pathClasses.contains(full) || torch.allows(module: module, name: name)
    }

    func call(module: String, name: String, args: [PickleRef], arena: inout PickleArena) throws -> PickleRef {
        let full = "\(module).\(name)"
        if Self.datasetClasses.contains(full) {
            guard args.isEmpty else { throw PickleFailure("expected no constructor arguments (NEWOBJ with an empty tuple)") }
            return try arena.add(.instance(module: module, name: name, state: nil))
        }
        if Self.pathClasses.contains(full) {
            // PurePath.__reduce__: (class, parts), e.g. ('/', 'data', 'zoo').
            var text = ""
            for part in args {
                guard let s = arena.string(part) else { throw PickleFailure("path part is a \(arena[part].kind), expected str") }
                text += text.isEmpty || text.hasSuffix("/") ? s : "/" + s
            }
            return try arena.add(.string(text))
        }
        return try torch.call(module: module, name: name, args: args, arena: &arena)
    }

    func persistentLoad(_ id: PickleRef, arena: inout PickleArena) throws -> PickleRef {
        try torch.persistentLoad(id, arena: &arena)
    }

    /// A dataset object takes its `__dict__` once; other states (a state_dict's _metadata) are
    /// dropped as torch's hooks drop them.
    func build(_ object: PickleRef, state: PickleRef, arena: inout PickleArena) throws {
        guard case .instance(let module, let name, let old) = arena[object] else { return }
        guard old == nil else { throw PickleFailure("a second state for one \(name)") }
        guard case .dict = arena[state] else { throw PickleFailure("state is a \(arena[state].kind), expected the object's __dict__") }
        try arena.replace(object, with: .instance(module: module, name: name, state: state))
    }
}

/// The contents of a GHRP `dataset.pt`: every sample's flat weights, in the order GHRP
/// vectorises them, with its model, epoch and properties.
public struct GHRPDataset: Sendable {
    public struct Sample: Sendable {
        /// The trial folder (`paths[i]`), as the file names it.
        public var folder: String
        public var epoch: Int
        public var row: [Float]
        /// Numeric, boolean or text properties of this sample (`properties[key][i]`).
        public var properties: [String: JSONPropertyValue]
    }
    /// A property value as stored.
    public enum JSONPropertyValue: Sendable, Equatable {
        case number(Double)
        case text(String)
    }
    public struct Part: Sendable {
        /// `trainset`, `valset` or `testset`.
        public var key: String
        public var mode: String
        public var samples: [Sample]
    }
    /// State_dict names and shapes of the flat vector, in its order.
    public var parameters: [(name: String, shape: [Int])]
    public var layers: [(index: Int, type: String)]
    public var useBias: Bool
    public var parts: [Part]
    /// Property keys, in the file's order.
    public var propertyKeys: [String]

    /// The most samples accepted from one part (the released sets hold a few thousand).
    public static let maximumSamples = 1 << 20

    /// True if `path` is a torch.save archive whose pickle starts with a GHRP dataset class,
    /// without unpickling it (its first bytes name the class of the first value).
    public static func looksLikeOne(path: String) -> Bool {
        guard let file = try? RandomAccessFile(path: path), ZipArchive.looksLikeZip(file),
              let zip = try? ZipArchive(file: file),
              let entry = zip.entries.first(where: { $0.name.hasSuffix("/data.pkl") }),
              let head = try? zip.contents(of: entry, limit: TorchCheckpoint.Limits().maximumPickleBytes) else { return false }
        return String(decoding: head.prefix(4096), as: UTF8.self).contains("checkpoints_to_datasets.dataset_simclr\nSimCLRDataset")
    }

    /// Reads `path`.
    /// - Throws: `FormatError` naming the file and the part or attribute that is not what the
    ///   official code writes.
    public static func read(path: String, limits: TorchCheckpoint.Limits = .init()) throws -> GHRPDataset {
        let file = try RandomAccessFile(path: path)
        guard ZipArchive.looksLikeZip(file) else {
            throw FormatError(file: path, "not a torch.save ZIP archive; a GHRP dataset.pt saved in torch's legacy format must be re-saved with torch >= 1.6 (torch.save(torch.load(path), path))")
        }
        let object = try TorchCheckpoint.unpickleZip(try ZipArchive(file: file), hooks: GHRPPickleHooks(), limits: limits)
        var reader = Reader(path: path, object: object, limits: limits)
        return try reader.dataset()
    }

    /// Walks the unpickled objects; every attribute is checked before use.
    struct Reader {
        let path: String
        let object: TorchCheckpoint.ZipObject
        let limits: TorchCheckpoint.Limits
        var arena: PickleArena { object.arena }

        func fail(_ where_: String, _ message: String) -> FormatError {
            FormatError(file: path, object: where_, message)
        }

        mutating func dataset() throws -> GHRPDataset {
            guard case .dict(let rootID) = arena[object.root] else {
                throw FormatError(file: path, "holds a \(arena[object.root].kind), expected the dict {trainset, valset, testset} of GHRP's dataset.pt")
            }
            let root = arena.dict(rootID)
            var parts: [Part] = []
            var first: (parameters: [(name: String, shape: [Int])], layers: [(index: Int, type: String)], useBias: Bool, keys: [String])?
            for key in ["trainset", "valset", "testset"] {
                guard let ref = root.value(forString: key) else { continue }
                let (part, parameters, layers, useBias, keys) = try readPart(key, ref)
                if let f = first {
                    guard f.parameters.map(\.name) == parameters.map(\.name), f.parameters.map(\.shape) == parameters.map(\.shape),
                          f.useBias == useBias else {
                        throw fail(key, "vectorises other parameters than \(parts[0].key) (layer_lst, use_bias or shapes differ)")
                    }
                    _ = layers
                } else {
                    first = (parameters, layers, useBias, keys)
                }
                parts.append(part)
            }
            for k in root.keys {
                guard let name = arena.string(k) else { continue }
                if !["trainset", "valset", "testset"].contains(name), case .instance = arena[root.values[root.keys.firstIndex(of: k)!]] {
                    throw fail(name, "a dataset under an unknown key; expected trainset, valset and testset")
                }
            }
            guard let f = first, parts.contains(where: { !$0.samples.isEmpty }) else {
                throw FormatError(file: path, "has no trainset, valset or testset with samples: not a GHRP hyper-representation dataset")
            }
            return GHRPDataset(parameters: f.parameters, layers: f.layers, useBias: f.useBias, parts: parts, propertyKeys: f.keys)
        }

        func attributes(_ key: String, _ ref: PickleRef) throws -> PickleDictRow {
            guard case .instance(_, let name, let state) = arena[ref] else {
                throw fail(key, "is a \(arena[ref].kind), expected a SimCLRDataset object")
            }
            guard let state, case .dict(let id) = arena[state] else { throw fail(key, "\(name) without its attributes (no BUILD)") }
            return arena.dict(id)
        }

        func attribute(_ dict: PickleDictRow, _ key: String, _ name: String) throws -> PickleValue {
            guard let ref = dict.value(forString: name) else { throw fail(key, "has no attribute '\(name)'") }
            return arena[ref]
        }

        func list(_ dict: PickleDictRow, _ key: String, _ name: String, count: Int? = nil) throws -> [PickleRef] {
            let value = try attribute(dict, key, name)
            guard case .list(let id) = value else { throw fail("\(key).\(name)", "is a \(value.kind), expected a list") }
            let items = arena.items(ofList: id)
            guard items.count <= GHRPDataset.maximumSamples else { throw fail("\(key).\(name)", "\(items.count) entries, more than \(GHRPDataset.maximumSamples)") }
            if let count, items.count != count { throw fail("\(key).\(name)", "\(items.count) entries for \(count) samples in data_in") }
            return items
        }

        func int(_ ref: PickleRef) -> Int? {
            if case .int(let n) = arena[ref] { return n }
            return nil
        }

        mutating func readPart(_ key: String, _ ref: PickleRef) throws
            -> (Part, [(name: String, shape: [Int])], [(index: Int, type: String)], Bool, [String]) {
            let dict = try attributes(key, ref)
            guard case .string(let mode) = try attribute(dict, key, "mode") else { throw fail("\(key).mode", "is not a str") }
            guard case .bool(let useBias) = try attribute(dict, key, "use_bias") else { throw fail("\(key).use_bias", "is not a bool") }
            var layers: [(index: Int, type: String)] = []
            for item in try list(dict, key, "layer_lst") {
                let pair: [PickleRef]
                switch arena[item] {
                case .tuple(let t): pair = t
                case .list(let id): pair = arena.items(ofList: id)
                default: throw fail("\(key).layer_lst", "holds a \(arena[item].kind), expected (index, type) pairs")
                }
                guard pair.count == 2, let index = int(pair[0]), index >= 0, let type = arena.string(pair[1]) else {
                    throw fail("\(key).layer_lst", "expected (index, type) pairs such as (0, 'conv2d')")
                }
                layers.append((index, type))
            }
            guard !layers.isEmpty else { throw fail("\(key).layer_lst", "is empty") }
            let names = layers.flatMap { l in ["module_list.\(l.index).weight"] + (useBias ? ["module_list.\(l.index).bias"] : []) }

            let data = try list(dict, key, "data_in")
            let epochs = try list(dict, key, "epochs", count: data.count)
            let paths = try list(dict, key, "paths", count: data.count)

            // The tensors: flat vectors (mode vector) or state_dicts of which `names` are taken.
            var refs: [(name: String, ref: TorchTensorRef)] = []
            var parameters: [(name: String, shape: [Int])] = []
            func stateDict(_ ref: PickleRef, _ what: String) throws -> [String: TorchTensorRef] {
                guard case .dict(let id) = arena[ref] else { throw fail(what, "is a \(arena[ref].kind), expected a state_dict") }
                let d = arena.dict(id)
                var out: [String: TorchTensorRef] = [:]
                for name in names {
                    guard let t = d.value(forString: name), case .tensor(let tensor) = arena[t] else {
                        throw fail(what, "has no tensor '\(name)', which layer_lst \(layers.map { "(\($0.index), \($0.type))" }.joined(separator: ", "))\(useBias ? " with use_bias" : "") needs")
                    }
                    out[name] = tensor
                }
                return out
            }
            if mode == "vector" {
                guard let baseRef = dict.value(forString: "checkpoint_base") else {
                    throw fail(key, "mode 'vector' without checkpoint_base: the names and shapes of the flat vectors are unknown")
                }
                let base = try stateDict(baseRef, "\(key).checkpoint_base")
                parameters = names.map { ($0, base[$0]!.shape) }
                for (i, item) in data.enumerated() {
                    guard case .tensor(let t) = arena[item] else { throw fail("\(key).data_in[\(i)]", "is a \(arena[item].kind), expected a weight vector (mode 'vector')") }
                    refs.append(("\(key).data_in[\(i)]", t))
                }
            } else {
                for (i, item) in data.enumerated() {
                    let sd = try stateDict(item, "\(key).data_in[\(i)]")
                    if parameters.isEmpty { parameters = names.map { ($0, sd[$0]!.shape) } }
                    for (name, shape) in parameters {
                        guard sd[name]!.shape == shape else {
                            throw fail("\(key).data_in[\(i)]", "'\(name)' has shape \(sd[name]!.shape), expected \(shape) as in data_in[0]")
                        }
                        refs.append(("\(key).data_in[\(i)].\(name)", sd[name]!))
                    }
                }
            }
            var count = 0
            for p in parameters {
                guard let n = checkedElementCount(p.shape) else { throw fail(key, "'\(p.name)' has shape \(p.shape)") }
                guard n <= ParameterTable.maximumParameters - count else {
                    throw fail(key, "parameters beyond \(ParameterTable.maximumParameters)")
                }
                count += n
            }
            let tensors = try TorchCheckpoint.materialise(refs, of: object, limits: limits)

            // Properties: {key: [one value per sample]} or None.
            var propertyKeys: [String] = []
            var propertyValues: [[JSONPropertyValue?]] = []
            if let p = dict.value(forString: "properties"), case .dict(let id) = arena[p] {
                let d = arena.dict(id)
                for (k, v) in zip(d.keys, d.values) {
                    guard let name = arena.string(k), case .list(let lid) = arena[v] else { throw fail("\(key).properties", "expected {str: list}") }
                    let items = arena.items(ofList: lid)
                    guard items.count == data.count else { throw fail("\(key).properties.\(name)", "\(items.count) values for \(data.count) samples") }
                    propertyKeys.append(name)
                    propertyValues.append(items.map { item in
                        switch arena[item] {
                        case .int(let n): .number(Double(n))
                        case .float(let x): .number(x)
                        case .bool(let b): .number(b ? 1 : 0)
                        case .string(let s): .text(s)
                        default: nil
                        }
                    })
                }
            }

            var samples: [Sample] = []
            samples.reserveCapacity(data.count)
            var next = 0
            for i in data.indices {
                var row: [Float] = []
                row.reserveCapacity(count)
                if mode == "vector" {
                    let t = tensors[i].tensor
                    guard t.shape == [count] else { throw fail("\(key).data_in[\(i)]", "shape \(t.shape), expected [\(count)] (the parameters of checkpoint_base that layer_lst names)") }
                    row = t.floats()
                } else {
                    for _ in parameters { row += tensors[next].tensor.floats(); next += 1 }
                }
                guard let epoch = int(epochs[i]), epoch >= 0 else { throw fail("\(key).epochs[\(i)]", "is a \(arena[epochs[i]].kind), expected a non-negative int") }
                guard let folder = arena.string(paths[i]), !folder.isEmpty else { throw fail("\(key).paths[\(i)]", "is a \(arena[paths[i]].kind), expected a path") }
                var properties: [String: JSONPropertyValue] = [:]
                for (k, values) in zip(propertyKeys, propertyValues) { if let v = values[i] { properties[k] = v } }
                samples.append(Sample(folder: folder, epoch: epoch, row: row, properties: properties))
            }
            return (Part(key: key, mode: mode, samples: samples), parameters, layers, useBias, propertyKeys)
        }
    }
}
