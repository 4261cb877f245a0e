// safetensors (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the byte buffer. The reader enforces the reference rules: header ≤ 100 MB, known dtypes,
// end − begin = elements × size, tensors contiguous from 0 with no gap or overlap, and the buffer
// exactly covered. The writer keeps the caller's order and pads the header to 8 bytes.
import FileIO
import Foundation
import ZooStore

/// Reading and writing `.safetensors` files.
public enum Safetensors {
    /// The reference implementation's header cap.
    public static let maximumHeaderBytes = 100_000_000

    static let names: [DType: String] = [
        .float32: "F32", .float16: "F16", .bfloat16: "BF16", .float64: "F64",
        .int64: "I64", .int32: "I32", .int16: "I16", .int8: "I8",
        .uint64: "U64", .uint32: "U32", .uint16: "U16", .uint8: "U8", .bool: "BOOL",
    ]
    static let dtypes: [String: DType] = Dictionary(uniqueKeysWithValues: names.map { ($1, $0) })
    /// Valid safetensors dtypes this reader does not convert (8-bit and smaller floats, complex).
    static let knownUnsupported: Set<String> = ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
                                                "F4", "F6_E2M3", "F6_E3M2", "C64"]

    /// A file's tensors (in data-offset order) and its `__metadata__`.
    public struct Contents: Sendable {
        public var tensors: [(name: String, tensor: HostTensor)]
        public var metadata: [String: String]
    }

    /// Reads every tensor of `path`, in the order of their data offsets.
    public static func read(path: String) throws -> [(name: String, tensor: HostTensor)] {
        try readContents(path: path).tensors
    }

    private struct Info: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    private enum HeaderValue: Decodable {
        case tensor(Info)
        case metadata([String: String])
        init(from decoder: Decoder) throws {
            if let info = try? Info(from: decoder) { self = .tensor(info); return }
            self = .metadata(try [String: String](from: decoder))
        }
    }

    /// Reads tensors and metadata of `path`.
    /// - Throws: `FormatError` naming the file and tensor for every rule the file breaks.
    public static func readContents(path: String) throws -> Contents {
        let file = try RandomAccessFile(path: path)
        func bad(_ object: String?, _ message: String) -> FormatError { FormatError(file: path, object: object, message) }
        let n = Int(truncatingIfNeeded: littleEndianInteger(try file.read(count: 8, at: 0, object: "header length"), at: 0, count: 8) as UInt64)
        guard n >= 2, n <= maximumHeaderBytes else {
            throw bad("header", "header length \(n) is outside 2…\(maximumHeaderBytes) bytes")
        }
        guard n <= file.size - 8 else { throw bad("header", "header length \(n) runs past the end of the file (\(file.size) bytes)") }
        let header = try file.read(count: n, at: 8, object: "header")
        let entries: [String: HeaderValue]
        do {
            entries = try JSONDecoder().decode([String: HeaderValue].self, from: Data(header))
        } catch {
            throw bad("header", "not a JSON object of tensor entries (each needs dtype, shape, data_offsets)")
        }
        var metadata: [String: String] = [:]
        var infos: [(String, Info)] = []
        for (name, value) in entries {
            switch value {
            case .metadata(let m):
                guard name == "__metadata__" else { throw bad(name, "entry lacks dtype/shape/data_offsets") }
                metadata = m
            case .tensor(let info):
                infos.append((name, info))
            }
        }
        // File order: by begin, then end (an empty tensor sits before a tensor starting at its offset).
        infos.sort { ($0.1.data_offsets.first ?? 0, $0.1.data_offsets.last ?? 0) < ($1.1.data_offsets.first ?? 0, $1.1.data_offsets.last ?? 0) }
        let bufferStart = 8 + n
        let bufferSize = file.size - bufferStart
        var expectedStart = 0
        var tensors: [(name: String, tensor: HostTensor)] = []
        for (name, info) in infos {
            guard let dtype = dtypes[info.dtype] else {
                throw bad(name, knownUnsupported.contains(info.dtype)
                          ? "dtype \(info.dtype) is not supported by this reader"
                          : "unknown dtype '\(info.dtype)'")
            }
            guard info.shape.allSatisfy({ $0 >= 0 }) else { throw bad(name, "negative dimension in shape \(info.shape)") }
            guard info.data_offsets.count == 2 else { throw bad(name, "data_offsets must be [begin, end]") }
            let begin = info.data_offsets[0], end = info.data_offsets[1]
            guard begin == expectedStart, end >= begin else {
                throw bad(name, "data_offsets [\(begin), \(end)] do not continue at \(expectedStart) (gap, overlap or disorder)")
            }
            let count = checkedElementCount(info.shape), overflow = count == nil
            let (bytes, overflow2) = (count ?? 0).multipliedReportingOverflow(by: dtype.size)
            guard !overflow, !overflow2, end - begin == bytes else {
                throw bad(name, "data_offsets span \(end - begin) bytes, shape \(info.shape) of \(info.dtype) needs \(overflow || overflow2 ? "too many" : String(bytes))")
            }
            guard end <= bufferSize else {
                throw bad(name, "data ends at \(end), beyond the \(bufferSize)-byte buffer (truncated?)")
            }
            let data = try file.read(count: bytes, at: bufferStart + begin, object: name)
            tensors.append((name, try HostTensor(dtype: dtype, shape: info.shape, bytes: data)))
            expectedStart = end
        }
        guard expectedStart == bufferSize else {
            throw bad(nil, "tensors cover \(expectedStart) bytes of a \(bufferSize)-byte buffer")
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// Writes float32 tensors, in the given order, to `path` (atomically).
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                             metadata: [String: String] = [:], to path: String) throws {
        try write(tensors: tensors.map { ($0.name, HostTensor(floats: $0.values, shape: $0.shape)) }, metadata: metadata, to: path)
    }

    /// Writes tensors of any supported dtype, in the given order, to `path` (atomically).
    public static func write(tensors: [(name: String, tensor: HostTensor)],
                             metadata: [String: String] = [:], to path: String) throws {
        var seen = Set<String>()
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\(JSONText.quote($0.value))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else {
                throw FormatError(file: path, object: name, "duplicate or reserved tensor name")
            }
            let end = offset + tensor.bytes.count
            fields.append("\(JSONText.quote(name)):{\"dtype\":\"\(names[tensor.dtype]!)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        do {
            let out = try AtomicFile(path: path)
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try out.write($0) }
            try out.write(header)
            for (_, tensor) in tensors { try out.write(tensor.bytes) }
            try out.commit()
        } catch let error as OutputFileError {
            throw FormatError(file: error.path, error.reason)
        }
    }
}
