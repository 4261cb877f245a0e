// CIFAR-10's (and CIFAR-100's layout of) python batches: a Python 2 pickle (protocol 2) of a dict
// {b'batch_label', b'labels', b'data', b'filenames'} where b'data' is a numpy uint8 array
// [N, 3072] rebuilt by numpy.core.multiarray._reconstruct + BUILD, and b'labels' a list of ints.
// Read through the restricted PickleMachine with an allow-list of exactly the globals such a
// batch names; anything else (code, other classes) is refused by name. Nets, which prepares the
// dataset, cannot import Formats, so the CLI hands this reader to it (DatasetReaders).
import Compression
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// What a CIFAR python batch may contain.
struct CIFARPickleHooks: PickleHooks {
    static let reconstruct: Set<String> = ["numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"]

    func allows(module: String, name: String) -> Bool {
        let full = "\(module).\(name)"
        return Self.reconstruct.contains(full) || full == "numpy.ndarray" || full == "numpy.dtype" || full == "_codecs.encode"
    }

    func call(module: String, name: String, args refs: [PickleRef], arena: inout PickleArena) throws -> PickleRef {
        let args = refs.map { arena[$0] }
        let full = "\(module).\(name)"
        if Self.reconstruct.contains(full) {
            guard case .global("numpy", "ndarray")? = args.first else { throw PickleFailure("expected numpy.ndarray as the type to rebuild") }
            // An empty array; BUILD fills it in place.
            return try arena.add(.array(PickledArray(shape: [], dtype: "", fortranOrder: false, data: [])))
        }
        switch full {
        case "numpy.dtype":
            guard let code = args.first.flatMap(Self.text) else { throw PickleFailure("expected a dtype code") }
            return try arena.add(.opaque("numpy dtype \(code)"))
        case "_codecs.encode":
            // Python 3 protocol-2 pickles write bytes as _codecs.encode(text, "latin1").
            guard args.count == 2, case .string(let text) = args[0], Self.text(args[1]).map({ $0 == "latin1" || $0 == "latin-1" }) == true else {
                throw PickleFailure("only latin1 text is accepted")
            }
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw PickleFailure("character beyond latin1") }
                out.append(UInt8(scalar.value))
            }
            return try arena.add(.bytes(out))
        default:
            throw PickleFailure("calling \(full) is not allowed")
        }
    }

    func persistentLoad(_ id: PickleRef, arena: inout PickleArena) throws -> PickleRef {
        throw PickleFailure("a CIFAR batch has no persistent ids")
    }

    /// ndarray.__setstate__((version, shape, dtype, is_fortran, data)), in place; a dtype's state
    /// (byte order, flags) is dropped, its code is all a uint8 batch needs.
    func build(_ object: PickleRef, state stateRef: PickleRef, arena: inout PickleArena) throws {
        switch arena[object] {
        case .opaque(let label) where label.hasPrefix("numpy dtype"):
            return
        case .array:
            guard case .tuple(let fields) = arena[stateRef], fields.count == 5 else {
                throw PickleFailure("expected the state (version, shape, dtype, is_fortran, data)")
            }
            let s = fields.map { arena[$0] }
            guard case .tuple(let dimRefs) = s[1], case .opaque(let dtype) = s[2] else {
                throw PickleFailure("expected the state (version, shape, dtype, is_fortran, data)")
            }
            var shape: [Int] = [], count = 1
            for d in dimRefs.map({ arena[$0] }) {
                guard case .int(let n) = d, n >= 0 else { throw PickleFailure("array dimension \(d.kind) is not a non-negative int") }
                let (p, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow else { throw PickleFailure("array shape overflows") }
                shape.append(n); count = p
            }
            let code = String(dtype.dropFirst("numpy dtype ".count))
            guard code == "u1" || code == "|u1" else { throw PickleFailure("array of dtype \(code); a CIFAR batch's data is uint8 (u1)") }
            guard case .bytes(let data) = s[4] else { throw PickleFailure("array data is a \(s[4].kind), expected raw bytes") }
            guard data.count == count else { throw PickleFailure("array of shape \(shape) needs \(count) bytes, holds \(data.count)") }
            let fortran: Bool
            switch s[3] { case .bool(let b): fortran = b; case .int(let i): fortran = i != 0; default: throw PickleFailure("is_fortran is a \(s[3].kind)") }
            try arena.replace(object, with: .array(PickledArray(shape: shape, dtype: code, fortranOrder: fortran, data: data)))
        default:
            throw PickleFailure("only numpy arrays and dtypes take a state here")
        }
    }

    /// A Python 2 str (bytes here) or a Python 3 str, as text.
    static func text(_ v: PickleValue) -> String? {
        switch v {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

/// Reads one pickled CIFAR-10 python batch.
public enum CIFARPickle {
    /// The largest batch file accepted (a real batch is 31 MB).
    public static let maxFileSize = 1 << 30

    /// The batch's images (N × 3072 bytes: the R, G, B 32×32 planes) and labels.
    /// - Throws: FormatError naming the file and what was expected.
    public static func readBatch(path: String) throws -> (pixels: [UInt8], labels: [Int32]) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FormatError(file: path, "cannot read (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw FormatError(file: path, "not a regular file") }
        guard Int(info.st_size) <= maxFileSize else { throw FormatError(file: path, "\(info.st_size) bytes, more than a CIFAR batch (limit \(maxFileSize))") }
        let bytes: [UInt8]
        do { bytes = try readFileBytes(atPath: path) } catch let e as InflateError { throw FormatError(file: path, e.reason) }
        return try parseBatch(bytes, label: path)
    }

    /// Parses the bytes of a batch file.
    public static func parseBatch(_ bytes: [UInt8], label: String) throws -> (pixels: [UInt8], labels: [Int32]) {
        var machine = PickleMachine(bytes: bytes, file: label, object: "pickle", python2StringsAsBytes: true)
        let root: PickleRef
        do {
            root = try machine.run(hooks: CIFARPickleHooks())
        } catch is PickleMachine.OutOfBytes {
            throw FormatError(file: label, "the pickle ends before its STOP opcode (truncated file?)")
        }
        let arena = machine.arena
        guard case .dict(let dictID) = arena[root] else { throw FormatError(file: label, "the pickle holds a \(arena[root].kind), expected the batch dict") }
        let dict = arena.dict(dictID)
        func entry(_ key: String) -> PickleValue? {
            // Python 2 keys are bytes, so the dict's string index does not find them.
            zip(dict.keys, dict.values).first { CIFARPickleHooks.text(arena[$0.0]) == key }.map { arena[$0.1] }
        }
        guard case .array(let data)? = entry("data") else {
            throw FormatError(file: label, object: "data", "missing or not a numpy array; expected a CIFAR batch dict with b'data' and b'labels'")
        }
        guard data.shape.count == 2, data.shape[1] == 3072, !data.fortranOrder else {
            throw FormatError(file: label, object: "data", "shape \(data.shape)\(data.fortranOrder ? " (Fortran order)" : ""), expected [N, 3072] in C order")
        }
        guard case .list(let listID)? = entry("labels") else {
            throw FormatError(file: label, object: "labels", "missing or not a list (a CIFAR-100 batch has fine_labels; only CIFAR-10 is read)")
        }
        let items = arena.items(ofList: listID)
        guard items.count == data.shape[0] else {
            throw FormatError(file: label, object: "labels", "\(items.count) labels for \(data.shape[0]) images")
        }
        var labels: [Int32] = []
        labels.reserveCapacity(items.count)
        for (i, item) in items.map({ arena[$0] }).enumerated() {
            guard case .int(let v) = item, v >= 0, v <= 9 else { throw FormatError(file: label, object: "labels[\(i)]", "\(item.kind) value, expected an int 0...9") }
            labels.append(Int32(v))
        }
        return (data.data, labels)
    }
}
