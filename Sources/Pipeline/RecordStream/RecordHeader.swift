// One record of a record stream: a small JSON header and a raw little-endian payload.
// The format is documented in schemas/record-stream.md.
import FileIO

/// Element type of a record's payload.
public enum RecordDType: String, Codable, Sendable, Equatable {
    case float32, int32, uint8
    /// UTF-8 JSON text (shape [byte count]).
    case json

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .uint8, .json: return 1
        }
    }
}

/// The JSON header of a record: what it is, which sample it belongs to, and its payload's shape.
public struct RecordHeader: Codable, Sendable, Equatable {
    /// What the record holds, e.g. `layout`, `tokens`, `views`, `end`.
    public var kind: String
    /// Integer identifiers, e.g. `checkpoint`, `model`, `epoch`, `view`.
    public var ids: [String: Int]
    /// String identifiers, e.g. `model_id`.
    public var labels: [String: String]
    /// Payload shape (row-major).
    public var shape: [Int]
    /// Payload element type.
    public var dtype: RecordDType

    public init(kind: String, ids: [String: Int] = [:], labels: [String: String] = [:], shape: [Int], dtype: RecordDType) {
        self.kind = kind
        self.ids = ids
        self.labels = labels
        self.shape = shape
        self.dtype = dtype
    }

    /// Payload size in bytes implied by shape and dtype, or nil if it overflows or a dimension is negative.
    public var payloadByteCount: Int? {
        guard let count = checkedElementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        return overflow ? nil : bytes
    }
}

/// A record: header plus payload bytes.
public struct Record: Sendable, Equatable {
    public var header: RecordHeader
    /// Raw little-endian payload, `header.payloadByteCount` bytes.
    public var payload: [UInt8]

    public init(header: RecordHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    /// A float32 record of `values` with `shape`.
    public init(kind: String, ids: [String: Int] = [:], labels: [String: String] = [:], shape: [Int], floats values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "record \(kind): shape \(shape) does not hold \(values.count) values")
        self.header = RecordHeader(kind: kind, ids: ids, labels: labels, shape: shape, dtype: .float32)
        self.payload = values.withUnsafeBytes { Array($0) }
    }

    /// An int32 record of `values` with `shape`.
    public init(kind: String, ids: [String: Int] = [:], labels: [String: String] = [:], shape: [Int], int32 values: [Int32]) {
        precondition(shape.reduce(1, *) == values.count, "record \(kind): shape \(shape) does not hold \(values.count) values")
        self.header = RecordHeader(kind: kind, ids: ids, labels: labels, shape: shape, dtype: .int32)
        self.payload = values.withUnsafeBytes { Array($0) }
    }

    /// A JSON record holding `text`.
    public init(kind: String, ids: [String: Int] = [:], labels: [String: String] = [:], json text: [UInt8]) {
        self.header = RecordHeader(kind: kind, ids: ids, labels: labels, shape: [text.count], dtype: .json)
        self.payload = text
    }

    /// The payload as floats (the record must be float32).
    public func floats() throws -> [Float] { try values(Float.self, dtype: .float32) }

    /// The payload as int32 values (the record must be int32).
    public func int32s() throws -> [Int32] { try values(Int32.self, dtype: .int32) }

    /// Copies the float32 payload into `destination`, which holds exactly its values. The bytes
    /// are copied into memory bound to Float (never read through the [UInt8] storage as Float,
    /// which Swift leaves undefined and whose alignment nothing promises); the payload is
    /// little-endian, the host's order (RecordStreamFormat).
    /// - Precondition: the record is float32 (callers check the dtype and shape first).
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(header.dtype == .float32 && payload.count == destination.count * MemoryLayout<Float>.size,
                     "record \(header.kind): \(payload.count) payload bytes \(header.dtype.rawValue), copied into \(destination.count) floats")
        payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(destination).copyMemory(from: $0) }
    }

    /// `copyFloats(into:)` into an array, resized to the payload's count when it differs.
    public func copyFloats(into values: inout [Float]) {
        let count = payload.count / MemoryLayout<Float>.size
        if values.count != count { values = [Float](repeating: 0, count: count) }
        values.withUnsafeMutableBufferPointer { copyFloats(into: $0) }
    }

    private func values<T>(_: T.Type, dtype: RecordDType) throws -> [T] {
        guard header.dtype == dtype else {
            throw RecordStreamError("record \(header.kind): expected \(dtype.rawValue) payload, found \(header.dtype.rawValue)")
        }
        return payload.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: raw.count / MemoryLayout<T>.stride) { out, n in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: raw)
                n = raw.count / MemoryLayout<T>.stride
            }
        }
    }
}

/// A record stream that cannot be read or written; the message names the stream, the record
/// and what was expected.
public struct RecordStreamError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
