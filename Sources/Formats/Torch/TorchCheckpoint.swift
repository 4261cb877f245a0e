// Reads PyTorch checkpoints without Python: the torch.save ZIP container (PyTorch ≥ 1.6) and the
// legacy pre-1.6 stream. The pickle is run by the restricted `PickleMachine` (imports nothing,
// executes nothing); tensors are copied out of their storages after every offset, stride and
// size has been checked against the bytes really present.
import Foundation

/// The tensors of a PyTorch checkpoint, in file order.
public struct TorchCheckpoint: Sendable {
    /// Which container the file used.
    public enum Container: String, Sendable {
        /// `torch.save` since PyTorch 1.6: a ZIP archive with `data.pkl` and `data/<key>` records.
        case zip
        /// Before 1.6 (or `_use_new_zipfile_serialization=False`): pickles followed by raw storages.
        case legacy
    }

    /// Limits that keep memory bounded on hostile input.
    public struct Limits: Sendable {
        /// Largest pickle accepted (`data.pkl`, or the pickles at the head of a legacy file).
        public var maximumPickleBytes = 256 << 20
        /// Most containers (dicts, lists, tuples) visited when looking for tensors.
        public var maximumVisitedValues = 2_000_000
        /// Most tensors taken from one checkpoint (large language models have a few thousand).
        public var maximumTensors = 100_000
        /// Most bytes of tensors made from one checkpoint, beyond the bytes of its storages:
        /// views that overlap or repeat elements (tied weights, stride 0) may expand a file, but
        /// only this far.
        public var maximumExpansionBytes = 256 << 20
        public init() {}
    }

    /// State-dict names and tensors, in the order the pickle lists them.
    public var tensors: [(name: String, tensor: HostTensor)]
    /// What was not taken, one entry per top-level key or leaf (e.g. `optimizer`, `epoch`).
    public var skipped: [String]
    /// The container format.
    public var container: Container

    /// The tensor called `name`, if present.
    public func tensor(named name: String) -> HostTensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// Reads the checkpoint at `path`.
    ///
    /// A plain state_dict gives all its tensors. A dict that holds the model under a key such as
    /// `state_dict`, `model_state_dict`, `model` or `net` gives that dict's tensors and lists the
    /// other keys (optimizer state, epoch, config) in `skipped`. Otherwise every tensor reachable
    /// through nested dicts and lists is taken, named by its dotted path.
    ///
    /// - Throws: `FormatError` naming the file and entry for anything malformed, truncated,
    ///   hostile (a global outside the allow-list) or unsupported (TorchScript, tar archives).
    public static func read(path: String, limits: Limits = Limits()) throws -> TorchCheckpoint {
        let file = try RandomAccessFile(path: path)
        if ZipArchive.looksLikeZip(file) {
            return try readZip(ZipArchive(file: file), limits: limits)
        }
        if file.size > 262, let magic = try? file.read(count: 5, at: 257), magic == Array("ustar".utf8) {
            throw FormatError(file: path, "tar-based checkpoint (torch < 0.4) is not supported; load and re-save it with a recent torch.save")
        }
        guard file.size >= 2, try file.read(count: 1, at: 0) == [0x80] else {
            throw FormatError(file: path, "not a PyTorch checkpoint: neither a ZIP archive nor a pickle stream")
        }
        return try readLegacy(file, limits: limits)
    }

    // MARK: ZIP container

    /// A torch.save ZIP archive's unpickled object, and what it takes to copy its tensors out.
    struct ZipObject {
        let zip: ZipArchive
        let folder: String
        let bigEndian: Bool
        let root: PickleRef
        let arena: PickleArena
    }

    /// Opens the archive's `data.pkl` and runs it with `hooks` (torch's, or a superset of them).
    static func unpickleZip(_ zip: ZipArchive, hooks: some PickleHooks, limits: Limits) throws -> ZipObject {
        let path = zip.file.path
        guard let first = zip.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw FormatError(file: path, "ZIP archive without a top folder: not written by torch.save")
        }
        let folder = String(first.name[..<slash])
        if zip.entry(named: "\(folder)/constants.pkl") != nil {
            throw FormatError(file: path, "TorchScript archive (has constants.pkl): save the module's state_dict() with torch.save instead")
        }
        guard let pickleEntry = zip.entry(named: "\(folder)/data.pkl") else {
            throw FormatError(file: path, object: "\(folder)/data.pkl", "missing: not a torch.save archive")
        }
        var bigEndian = false
        if let entry = zip.entry(named: "\(folder)/byteorder") {
            let text = String(decoding: try zip.contents(of: entry, limit: 64), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            switch text {
            case "little": break
            case "big": bigEndian = true
            default: throw FormatError(file: path, object: entry.name, "byte order '\(text)', expected 'little' or 'big'")
            }
        }
        let pickle = try zip.contents(of: pickleEntry, limit: limits.maximumPickleBytes)
        var machine = PickleMachine(bytes: pickle, file: path, object: pickleEntry.name)
        let root: PickleRef
        do {
            root = try machine.run(hooks: hooks)
        } catch is PickleMachine.OutOfBytes {
            throw FormatError(file: path, object: pickleEntry.name, "pickle ends before its STOP opcode (truncated or corrupt)")
        }
        return ZipObject(zip: zip, folder: folder, bigEndian: bigEndian, root: root, arena: machine.arena)
    }

    private static func readZip(_ zip: ZipArchive, limits: Limits) throws -> TorchCheckpoint {
        let path = zip.file.path
        let object = try unpickleZip(zip, hooks: TorchPickleHooks(), limits: limits)
        let selection = try TorchSelection.select(object.root, in: object.arena, file: path, limits: limits)
        let tensors = try materialise(selection.tensors, of: object, limits: limits)
        return TorchCheckpoint(tensors: tensors, skipped: selection.skipped, container: .zip)
    }

    /// Copies `refs` out of the archive's storage records (each record read once), within the
    /// expansion budget.
    static func materialise(_ refs: [(name: String, ref: TorchTensorRef)], of object: ZipObject,
                            limits: Limits) throws -> [(name: String, tensor: HostTensor)] {
        let (zip, folder, path) = (object.zip, object.folder, object.zip.file.path)
        var storages: [String: [UInt8]] = [:]
        var tensors: [(name: String, tensor: HostTensor)] = []
        tensors.reserveCapacity(refs.count)
        var budget = ExpansionBudget(limits: limits, file: path)
        for (name, ref) in refs {
            let key = ref.storage.key
            if storages[key] == nil {
                let recordName = "\(folder)/data/\(key)"
                guard let entry = zip.entry(named: recordName) else {
                    throw FormatError(file: path, object: recordName, "storage record missing (tensor \(name))")
                }
                // torch.save stores records uncompressed (bounded by the file); a deflated one
                // is bounded like a pickle, so a small file cannot inflate into gigabytes.
                storages[key] = try zip.contents(of: entry, limit: entry.method == 0 ? Int.max : limits.maximumPickleBytes)
                budget.read(storages[key]!.count)
            }
            let tensor = try materialise(ref, storage: storages[key]!, bigEndian: object.bigEndian,
                                         file: path, name: name, record: "\(folder)/data/\(key)")
            try budget.made(tensor.bytes.count, name: name)
            tensors.append((name, tensor))
        }
        return tensors
    }

    /// Bounds the tensor bytes one checkpoint makes: those of the storages read, plus
    /// `Limits.maximumExpansionBytes` for views that repeat elements.
    struct ExpansionBudget {
        let limits: Limits
        let file: String
        private var storageBytes = 0, madeBytes = 0
        init(limits: Limits, file: String) { self.limits = limits; self.file = file }
        mutating func read(_ bytes: Int) { storageBytes += bytes }
        mutating func made(_ bytes: Int, name: String) throws {
            madeBytes += bytes
            guard madeBytes <= storageBytes + limits.maximumExpansionBytes else {
                throw FormatError(file: file, object: name, "tensors would take \(madeBytes) bytes from \(storageBytes) bytes of storages (more than \(limits.maximumExpansionBytes >> 20) MiB of repeated elements)")
            }
        }
    }

    /// Copies the view `ref` out of `storage` (the whole record's bytes) into a contiguous tensor.
    static func materialise(_ ref: TorchTensorRef, storage: [UInt8], bigEndian: Bool,
                            file: String, name: String, record: String) throws -> HostTensor {
        let size = ref.storage.dtype.size
        let available = storage.count / size
        let (declaredEnd, overflow) = ref.storage.elementOffset.addingReportingOverflow(ref.storage.numel)
        guard !overflow, declaredEnd <= available else {
            throw FormatError(file: file, object: name,
                              "storage \(record) holds \(available) \(ref.storage.dtype.rawValue) elements but the pickle declares \(ref.storage.numel) at offset \(ref.storage.elementOffset)")
        }
        var bytes: [UInt8]
        do {
            bytes = try storage.withUnsafeBytes { raw in
                let view = UnsafeRawBufferPointer(rebasing: raw[(ref.storage.elementOffset * size)..<(declaredEnd * size)])
                return try StridedGather.gather(storage: view, storageCount: ref.storage.numel, itemSize: size,
                                                offset: ref.offset, shape: ref.shape, strides: ref.stride)
            }
        } catch let failure as GatherFailure {
            throw FormatError(file: file, object: name, "\(failure.message) (storage \(record))")
        }
        if bigEndian { StridedGather.swapBytes(&bytes, itemSize: size) }
        do {
            return try HostTensor(dtype: ref.storage.dtype, shape: ref.shape, bytes: bytes)
        } catch {
            throw FormatError(file: file, object: name, "\(error)")
        }
    }
}
