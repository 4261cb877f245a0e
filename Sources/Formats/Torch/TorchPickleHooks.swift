// What a torch.save pickle may contain, and what it means: the allow-list of globals (tensor
// rebuild functions, storage classes, plain containers) and the interpretation of persistent ids
// as storage references. Mirrors the spirit of torch.load(weights_only=True), minus anything that
// would need Python: every global outside this list is refused by name.

/// A reference to a torch storage: a record `data/<key>` of `numel` elements of `dtype`.
struct TorchStorageRef: Equatable {
    var dtype: DType
    var key: String
    /// Elements declared by the pickle (checked against the record's real size when read).
    var numel: Int
    /// First element of this (legacy) view within the root storage.
    var elementOffset: Int = 0
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
struct TorchTensorRef: Equatable {
    var storage: TorchStorageRef
    /// In elements.
    var offset: Int
    var shape: [Int]
    /// In elements.
    var stride: [Int]
}

/// The storage class names torch writes, with their element types.
let torchStorageTypes: [String: DType] = [
    "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16,
    "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
    "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    "UntypedStorage": .uint8,
]

/// Hooks for `PickleMachine` that build tensor references from torch pickles.
struct TorchPickleHooks: PickleHooks {
    /// Legacy (pre-1.6) pickles carry a sixth persistent-id field: view metadata.
    var legacy = false

    private static let callables: Set<String> = [
        "collections.OrderedDict", "builtins.set", "builtins.frozenset", "builtins.bytearray",
        "_codecs.encode",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
        "torch.Size", "torch.device",
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
    ]
    /// Globals that may appear as values (type tags, dtypes) but are never called.
    private static let tags: Set<String> = [
        "torch.nn.parameter.Parameter", "torch.Tensor", "torch.float32", "torch.float16", "torch.bfloat16",
        "torch.float64", "torch.int64", "torch.int32", "torch.int16", "torch.int8", "torch.uint8", "torch.bool",
    ]

    func allows(module: String, name: String) -> Bool {
        let full = "\(module).\(name)"
        if TorchPickleHooks.callables.contains(full) || TorchPickleHooks.tags.contains(full) { return true }
        return (module == "torch" || module == "torch.cuda") && name.hasSuffix("Storage")
    }

    func call(module: String, name: String, args refs: [PickleRef], arena: inout PickleArena) throws -> PickleRef {
        let args = refs.map { arena[$0] }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            let dict = try arena.newDict()
            guard case .dict(let id) = arena[dict] else { preconditionFailure("newDict made a \(arena[dict].kind)") }
            if let first = args.first {
                guard case .list(let pairs) = first else { throw PickleFailure("expected a list of pairs") }
                for pair in arena.items(ofList: pairs) {
                    guard case .tuple(let kv) = arena[pair], kv.count == 2 else { throw PickleFailure("expected (key, value) pairs") }
                    try arena.set(kv[0], kv[1], inDict: id)
                }
            }
            return dict
        case "builtins.set", "builtins.frozenset":
            if case .list(let items)? = args.first { return try arena.newList(arena.items(ofList: items)) }
            return try arena.newList()
        case "builtins.bytearray":
            if case .bytes? = args.first { return refs[0] }
            if args.isEmpty { return try arena.add(.bytes([])) }
            throw PickleFailure("unsupported arguments")
        case "_codecs.encode":
            // Protocol 2 pickles bytes as _codecs.encode(text, "latin1").
            guard args.count == 2, case .string(let text) = args[0], case .string(let codec) = args[1],
                  codec == "latin1" || codec == "latin-1" else { throw PickleFailure("only latin1 text is accepted") }
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw PickleFailure("character beyond latin1") }
                out.append(UInt8(scalar.value))
            }
            return try arena.add(.bytes(out))
        case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
            return try arena.add(.tensor(try tensor(args, arena)))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = args.first, case .tensor = data else { throw PickleFailure("expected a tensor as first argument") }
            return refs[0]
        case "torch._tensor._rebuild_from_type_v2":
            guard args.count >= 3, case .global(let m, let n) = args[0], case .tuple(let inner) = args[2] else {
                throw PickleFailure("expected (function, type, args, state)")
            }
            // One level only: the inner function may not be this one again (no recursion on input).
            guard TorchPickleHooks.callables.contains("\(m).\(n)"), "\(m).\(n)" != "torch._tensor._rebuild_from_type_v2" else {
                throw PickleFailure("function \(m).\(n) is not allowed")
            }
            return try call(module: m, name: n, args: inner, arena: &arena)
        case "torch.Size":
            guard args.count == 1, case .tuple = args[0] else { throw PickleFailure("expected a tuple") }
            return refs[0]
        case "torch.device":
            guard case .string? = args.first else { throw PickleFailure("expected a device name") }
            return refs[0]
        case "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar":
            return try arena.add(.opaque("numpy scalar"))
        case "numpy.dtype":
            return try arena.add(.opaque("numpy dtype"))
        default:
            throw PickleFailure("calling \(module).\(name) is not allowed")
        }
    }

    func persistentLoad(_ idRef: PickleRef, arena: inout PickleArena) throws -> PickleRef {
        let id = arena[idRef]
        guard case .tuple(let fieldRefs) = id, fieldRefs.count >= 5, case .string("storage") = arena[fieldRefs[0]] else {
            throw PickleFailure("expected ('storage', type, key, location, numel), got a \(id.kind)")
        }
        let fields = fieldRefs.map { arena[$0] }
        guard case .global(let module, let name) = fields[1] else { throw PickleFailure("storage type is a \(fields[1].kind)") }
        guard let dtype = torchStorageTypes[name] else {
            throw PickleFailure("storage type \(module).\(name) is not supported (supported: \(torchStorageTypes.keys.sorted().joined(separator: ", ")))")
        }
        let key: String
        switch fields[2] {
        case .string(let s): key = s
        case .int(let n): key = String(n)
        default: throw PickleFailure("storage key is a \(fields[2].kind)")
        }
        guard case .int(let numel) = fields[4], numel >= 0 else { throw PickleFailure("storage element count is not a non-negative int") }
        var ref = TorchStorageRef(dtype: dtype, key: key, numel: numel)
        if legacy, fields.count >= 6, case .tuple(let viewRefs) = fields[5] {
            // (view_key, offset, view_size): a view into the root storage `key`.
            let view = viewRefs.map { arena[$0] }
            guard view.count == 3, case .int(let offset) = view[1], case .int(let size) = view[2], offset >= 0, size >= 0 else {
                throw PickleFailure("malformed legacy view metadata")
            }
            ref.elementOffset = offset
            ref.numel = size
        }
        return try arena.add(.storage(ref))
    }

    private func tensor(_ args: [PickleValue], _ arena: PickleArena) throws -> TorchTensorRef {
        guard args.count >= 4, case .storage(let storage) = args[0] else {
            throw PickleFailure("expected (storage, offset, size, stride, ...)")
        }
        guard case .int(let offset) = args[1], offset >= 0 else { throw PickleFailure("storage offset is not a non-negative int") }
        let shape = try integers(args[2], "size", arena)
        let stride = try integers(args[3], "stride", arena)
        guard shape.count == stride.count else { throw PickleFailure("size \(shape) and stride \(stride) differ in rank") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw PickleFailure("negative dimension in size \(shape)") }
        return TorchTensorRef(storage: storage, offset: offset, shape: shape, stride: stride)
    }

    private func integers(_ value: PickleValue, _ what: String, _ arena: PickleArena) throws -> [Int] {
        guard case .tuple(let items) = value else { throw PickleFailure("\(what) is a \(value.kind), expected a tuple") }
        guard items.count <= HostTensor.maximumRank else { throw PickleFailure("\(what) has \(items.count) dimensions (at most \(HostTensor.maximumRank))") }
        var out: [Int] = []
        for item in items.map({ arena[$0] }) {
            guard case .int(let n) = item else { throw PickleFailure("\(what) holds a \(item.kind)") }
            out.append(n)
        }
        return out
    }
}
