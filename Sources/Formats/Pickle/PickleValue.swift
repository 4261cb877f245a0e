// The values the restricted unpickler builds. Lists and dicts are reference types because pickle
// memoises them and mutates them later (APPEND, SETITEMS after BINPUT), and every alias must see
// the change; everything else is a plain value.

/// A value built by `PickleMachine`. Nothing here can run code: callables are only names
/// (`global`) that the hooks interpret from an allow-list.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits: little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    /// Lists, sets and frozensets.
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to an allow-listed global (module, name); calling it is up to the hooks.
    case global(module: String, name: String)
    /// A torch storage reference (from BINPERSID).
    case storage(TorchStorageRef)
    /// A torch tensor view of a storage (from `_rebuild_tensor_v2` and friends).
    case tensor(TorchTensorRef)
    /// Something recognised and harmless but not interpreted (numpy scalars, dtypes): a label.
    case opaque(String)
    /// A numpy array rebuilt by `numpy.core.multiarray._reconstruct` and BUILD (CIFAR batches).
    case array(PickledArray)

    /// A short type name for error messages and skip reports.
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let m, let n): "\(m).\(n)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .opaque(let label): label
        case .array: "numpy.ndarray"
        }
    }
}

/// A mutable list shared by every memo alias.
final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable insertion-ordered dict shared by every memo alias. String and integer keys are
/// indexed so repeated SETITEMs replace; other keys are appended as they come.
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]

    init() {}

    var count: Int { keys.count }

    func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let s):
            if let i = stringIndex[s] { values[i] = value; return }
            stringIndex[s] = keys.count
        case .int(let n):
            if let i = intIndex[n] { values[i] = value; return }
            intIndex[n] = keys.count
        default: break
        }
        keys.append(key)
        values.append(value)
    }

    subscript(_ key: String) -> PickleValue? { stringIndex[key].map { values[$0] } }

    var entries: Zip2Sequence<[PickleValue], [PickleValue]> { zip(keys, values) }
}

/// A numpy array from a pickle: shape, dtype code (e.g. `u1`), order and raw data.
struct PickledArray {
    var shape: [Int]
    var dtype: String
    var fortranOrder: Bool
    var data: [UInt8]
}
