// The values the restricted unpickler builds, kept flat in one arena: a container holds the
// arena indices of its items, never the items themselves. So a pickle nested 50,000 levels deep
// (or a list appended to itself) is just rows of integers: building it, walking it and freeing it
// never recurse, and every value and item counts against one budget that the pickle's own size
// bounds (a few hundred KB cannot ask for gigabytes through memo references and repeated calls).
// Lists and dicts are mutable rows (APPEND, SETITEMS after BINPUT must be seen by every alias).

/// Where a value lives in its `PickleArena`.
struct PickleRef: Hashable {
    let index: Int
}

/// A value built by `PickleMachine`. Nothing here can run code: callables are only names
/// (`global`) that the hooks interpret from an allow-list.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits: little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleRef])
    /// Lists, sets and frozensets: row `id` of the arena's lists.
    case list(Int)
    /// Row `id` of the arena's dicts.
    case dict(Int)
    /// A reference to an allow-listed global (module, name); calling it is up to the hooks.
    case global(module: String, name: String)
    /// A torch storage reference (from BINPERSID).
    case storage(TorchStorageRef)
    /// A torch tensor view of a storage (from `_rebuild_tensor_v2` and friends).
    case tensor(TorchTensorRef)
    /// Something recognised and harmless but not interpreted (numpy scalars, dtypes): a label.
    case opaque(String)
    /// An object of an allow-listed class (NEWOBJ of the class, then BUILD with its `__dict__`,
    /// `state`, nil until then); what it means is up to the hooks that allowed the class.
    case instance(module: String, name: String, state: PickleRef?)
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
        case .instance(let m, let n, _): "\(m).\(n) object"
        }
    }
}

/// An insertion-ordered dict of arena values. String and integer keys are indexed so repeated
/// SETITEMs replace; other keys are appended as they come.
struct PickleDictRow {
    private(set) var keys: [PickleRef] = []
    private(set) var values: [PickleRef] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]

    var count: Int { keys.count }

    /// Sets `key` (whose value is `keyValue`) to `value`; true if a new entry was added.
    @discardableResult
    mutating func set(_ key: PickleRef, _ keyValue: PickleValue, _ value: PickleRef) -> Bool {
        switch keyValue {
        case .string(let s):
            if let i = stringIndex[s] { values[i] = value; return false }
            stringIndex[s] = keys.count
        case .int(let n):
            if let i = intIndex[n] { values[i] = value; return false }
            intIndex[n] = keys.count
        default: break
        }
        keys.append(key)
        values.append(value)
        return true
    }

    func value(forString key: String) -> PickleRef? { stringIndex[key].map { values[$0] } }
}

/// Every value one pickle built, with the budget that bounds them.
struct PickleArena {
    /// Thrown when the pickle builds more than its budget allows.
    struct OverBudget: Error {
        var limit: Int
    }

    private(set) var values: [PickleValue] = []
    private(set) var lists: [[PickleRef]] = []
    private(set) var dicts: [PickleDictRow] = []
    /// Cells left: one per value, per container item and per 8 bytes of text or bytes.
    private(set) var remaining: Int
    let budget: Int

    /// Cells allowed for a pickle of `pickleBytes` bytes: 4 per byte plus a floor of 1 M (a cell
    /// is 8–40 bytes of memory). An honest pickle spends at most about 2 cells per byte (every
    /// value needs an opcode and sits in one container; hooks copy a container once), so only
    /// references multiplied by repeated calls come close.
    static let cellsPerByte = 4
    static func budget(forPickleBytes pickleBytes: Int) -> Int {
        let (scaled, overflow) = pickleBytes.multipliedReportingOverflow(by: cellsPerByte)
        return (overflow ? Int.max / 2 : min(scaled, Int.max / 2)) + (1 << 20)
    }

    init(budget: Int) {
        self.budget = budget
        self.remaining = budget
    }

    /// Spends `cells` of the budget (also for stack growth that builds no value: DUP, GET).
    mutating func charge(_ cells: Int) throws { try spend(cells) }

    private mutating func spend(_ cells: Int) throws {
        guard cells <= remaining else { throw OverBudget(limit: budget) }
        remaining -= cells
    }

    private static func cost(_ value: PickleValue) -> Int {
        switch value {
        case .string(let s): 1 + s.utf8.count / 8
        case .bytes(let b), .bigInt(let b): 1 + b.count / 8
        case .tuple(let items): 1 + items.count
        case .tensor(let t): 1 + t.shape.count
        case .array(let a): 1 + a.shape.count + a.data.count / 8
        default: 1
        }
    }

    subscript(_ ref: PickleRef) -> PickleValue { values[ref.index] }

    /// Stores `value` and returns where.
    mutating func add(_ value: PickleValue) throws -> PickleRef {
        try spend(Self.cost(value))
        values.append(value)
        return PickleRef(index: values.count - 1)
    }

    /// Puts `value` where `ref` is, for every alias (BUILD's in-place `__setstate__`).
    mutating func replace(_ ref: PickleRef, with value: PickleValue) throws {
        try spend(Self.cost(value))
        values[ref.index] = value
    }

    mutating func newList(_ items: [PickleRef] = []) throws -> PickleRef {
        try spend(1 + items.count)
        lists.append(items)
        return try add(.list(lists.count - 1))
    }

    mutating func newDict() throws -> PickleRef {
        try spend(1)
        dicts.append(PickleDictRow())
        return try add(.dict(dicts.count - 1))
    }

    func items(ofList id: Int) -> [PickleRef] { lists[id] }
    func dict(_ id: Int) -> PickleDictRow { dicts[id] }

    mutating func append(_ items: some Collection<PickleRef>, toList id: Int) throws {
        try spend(items.count)
        lists[id].append(contentsOf: items)
    }

    mutating func set(_ key: PickleRef, _ value: PickleRef, inDict id: Int) throws {
        try spend(2)
        dicts[id].set(key, values[key.index], value)
    }

    /// The string value at `ref`, if it is one.
    func string(_ ref: PickleRef) -> String? {
        if case .string(let s) = values[ref.index] { return s }
        return nil
    }

    /// The dict entry `key` of the dict at `ref`, if `ref` is a dict holding it.
    func lookup(_ ref: PickleRef, _ key: String) -> PickleRef? {
        guard case .dict(let id) = values[ref.index] else { return nil }
        return dicts[id].value(forString: key)
    }
}

/// A numpy array from a pickle: shape, dtype code (e.g. `u1`), order and raw data.
struct PickledArray {
    var shape: [Int]
    var dtype: String
    var fortranOrder: Bool
    var data: [UInt8]
}
