// The legacy torch.save stream (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`):
//
//   pickle(magic 0x1950a86a20f9469cfc6c) pickle(1001) pickle(sys_info) pickle(object)
//   pickle([storage keys]) then, per key in that order: int64 LE element count, raw elements.
//
// Storage bytes are little-endian whatever the saving machine (torch swaps on write). The head of
// the file is read through a window that grows only as far as the pickles need, so a large file
// costs its pickles plus the storages actually referenced.

extension TorchCheckpoint {
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    struct LegacyHead {
        var object: PickleRef
        /// The values of the data pickle.
        var arena: PickleArena
        var keys: [String]
        /// Where the raw storages begin.
        var storagesStart: Int
    }

    static func readLegacy(_ file: RandomAccessFile, limits: Limits) throws -> TorchCheckpoint {
        let path = file.path
        var window = min(file.size, 1 << 20)
        var head: LegacyHead
        while true {
            let bytes = try file.read(count: window, at: 0)
            do {
                head = try parseLegacyHead(bytes, path: path)
                break
            } catch let short as PickleMachine.OutOfBytes {
                guard short.needed <= file.size else {
                    throw FormatError(file: path, "legacy pickle needs \(short.needed) bytes but the file has \(file.size) (truncated?)")
                }
                guard short.needed <= limits.maximumPickleBytes else {
                    throw FormatError(file: path, "legacy pickles exceed the \(limits.maximumPickleBytes)-byte limit")
                }
                window = min(file.size, max(short.needed, 2 * window), limits.maximumPickleBytes)
            }
        }

        // Every storage referenced by the object, by key, to learn its element size.
        let selection = try TorchSelection.select(head.object, in: head.arena, file: path, limits: limits)
        var typeOfKey: [String: DType] = [:]
        for (_, ref) in selection.tensors { typeOfKey[ref.storage.key] = ref.storage.dtype }

        // Walk the raw storages: [int64 count][count × size bytes] per key.
        var position = head.storagesStart
        var rangeOfKey: [String: (start: Int, count: Int)] = [:]
        for key in head.keys {
            let header = try file.read(count: 8, at: position, object: "storage \(key)")
            let count = Int(truncatingIfNeeded: littleEndianInteger(header, at: 0, count: 8) as UInt64)
            guard let dtype = typeOfKey[key] else {
                throw FormatError(file: path, object: "storage \(key)", "listed but no tensor uses it; cannot tell its element size")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard count >= 0, !overflow, bytes <= file.size - position - 8 else {
                throw FormatError(file: path, object: "storage \(key)", "declares \(count) elements at offset \(position), beyond the end of the file (truncated?)")
            }
            rangeOfKey[key] = (position + 8, count)
            position += 8 + bytes
        }

        var storages: [String: [UInt8]] = [:]
        var tensors: [(name: String, tensor: HostTensor)] = []
        var budget = ExpansionBudget(limits: limits, file: path)
        for (name, ref) in selection.tensors {
            let key = ref.storage.key
            guard let range = rangeOfKey[key] else {
                throw FormatError(file: path, object: name, "storage \(key) is not in the file's storage list")
            }
            if storages[key] == nil {
                storages[key] = try file.read(count: range.count * ref.storage.dtype.size, at: range.start, object: "storage \(key)")
                budget.read(storages[key]!.count)
            }
            let tensor = try materialise(ref, storage: storages[key]!, bigEndian: false,
                                         file: path, name: name, record: "storage \(key)")
            try budget.made(tensor.bytes.count, name: name)
            tensors.append((name, tensor))
        }
        return TorchCheckpoint(tensors: tensors, skipped: selection.skipped, container: .legacy)
    }

    /// Runs the five head pickles over `bytes` (the file's first bytes).
    /// - Throws: `PickleMachine.OutOfBytes` if the window is too short, else `FormatError`.
    static func parseLegacyHead(_ bytes: [UInt8], path: String) throws -> LegacyHead {
        var position = 0
        func next(_ what: String, legacy: Bool = false) throws -> (value: PickleValue, root: PickleRef, arena: PickleArena) {
            var machine = PickleMachine(bytes: bytes, start: position, file: path, object: what)
            let root = try machine.run(hooks: TorchPickleHooks(legacy: legacy))
            position = machine.position
            return (machine.arena[root], root, machine.arena)
        }
        let magic = try next("magic number").value
        let magicBytes: [UInt8]
        switch magic {
        case .bigInt(let b): magicBytes = b
        default: magicBytes = []
        }
        guard magicBytes == legacyMagic else {
            throw FormatError(file: path, "a pickle stream without torch's magic number: not a torch.save file")
        }
        guard case .int(1001) = try next("protocol version").value else {
            throw FormatError(file: path, object: "protocol version", "expected 1001 (legacy torch.save)")
        }
        _ = try next("sys_info")
        let object = try next("data", legacy: true)
        let keyList = try next("storage keys")
        guard case .list(let list) = keyList.value else {
            throw FormatError(file: path, object: "storage keys", "expected a list of storage keys")
        }
        var keys: [String] = []
        for item in keyList.arena.items(ofList: list) {
            guard let key = keyList.arena.string(item) else { throw FormatError(file: path, object: "storage keys", "key is a \(keyList.arena[item].kind)") }
            keys.append(key)
        }
        return LegacyHead(object: object.root, arena: object.arena, keys: keys, storagesStart: position)
    }
}
