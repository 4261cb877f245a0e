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

    func call(module: String, name: String, args: [PickleValue]) throws -> PickleValue {
        let full = "\(module).\(name)"
        if Self.reconstruct.contains(full) {
            guard case .global("numpy", "ndarray")? = args.first else { throw PickleFailure("expected numpy.ndarray as the type to rebuild") }
            return .array(PickledArray(shape: [], dtype: "", fortranOrder: false, data: []))
        }
        switch full {
        case "numpy.dtype":
            guard let code = args.first.flatMap(Self.text) else { throw PickleFailure("expected a dtype code") }
            return .opaque("numpy dtype \(code)")
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
            return .bytes(out)
        default:
            throw PickleFailure("calling \(full) is not allowed")
        }
    }

    func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        throw PickleFailure("a CIFAR batch has no persistent ids")
    }

    /// ndarray.__setstate__((version, shape, dtype, is_fortran, data)); dtypes keep their object.
    func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue {
        switch object {
        case .opaque(let label) where label.hasPrefix("numpy dtype"):
            return object
        case .array:
            guard case .tuple(let s) = state, s.count == 5, case .tuple(let dims) = s[1], case .opaque(let dtype) = s[2] else {
                throw PickleFailure("expected the state (version, shape, dtype, is_fortran, data)")
            }
            var shape: [Int] = [], count = 1
            for d in dims {
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
            return .array(PickledArray(shape: shape, dtype: code, fortranOrder: fortran, data: data))
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
        let root: PickleValue
        do {
            root = try machine.run(hooks: CIFARPickleHooks())
        } catch is PickleMachine.OutOfBytes {
            throw FormatError(file: label, "the pickle ends before its STOP opcode (truncated file?)")
        }
        guard case .dict(let dict) = root else { throw FormatError(file: label, "the pickle holds a \(root.kind), expected the batch dict") }
        func entry(_ key: String) -> PickleValue? {
            dict.entries.first { CIFARPickleHooks.text($0.0) == key }?.1
        }
        guard case .array(let data)? = entry("data") else {
            throw FormatError(file: label, object: "data", "missing or not a numpy array; expected a CIFAR batch dict with b'data' and b'labels'")
        }
        guard data.shape.count == 2, data.shape[1] == 3072, !data.fortranOrder else {
            throw FormatError(file: label, object: "data", "shape \(data.shape)\(data.fortranOrder ? " (Fortran order)" : ""), expected [N, 3072] in C order")
        }
        guard case .list(let list)? = entry("labels") else {
            throw FormatError(file: label, object: "labels", "missing or not a list (a CIFAR-100 batch has fine_labels; only CIFAR-10 is read)")
        }
        guard list.items.count == data.shape[0] else {
            throw FormatError(file: label, object: "labels", "\(list.items.count) labels for \(data.shape[0]) images")
        }
        var labels: [Int32] = []
        labels.reserveCapacity(list.items.count)
        for (i, item) in list.items.enumerated() {
            guard case .int(let v) = item, v >= 0, v <= 9 else { throw FormatError(file: label, object: "labels[\(i)]", "\(item.kind) value, expected an int 0...9") }
            labels.append(Int32(v))
        }
        return (data.data, labels)
    }
}
