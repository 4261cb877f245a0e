// A tensor read from a foreign file: element type, shape and its bytes, contiguous, row-major,
// little-endian. Readers produce it; `floats()` gives the Float32 view the zoo store uses.
import FileIO

/// Element types the readers understand (the union of torch, safetensors and NumPy types we map).
public enum DType: String, Sendable, Equatable, CaseIterable, Codable {
    case float32, float16, bfloat16, float64
    case int64, int32, int16, int8
    case uint64, uint32, uint16, uint8
    case bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64, .uint64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// True for the floating-point types.
    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 || self == .float64 }
}

/// Errors constructing a `HostTensor`.
public struct HostTensorError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A dense tensor in host memory: row-major, contiguous, little-endian bytes.
public struct HostTensor: Sendable, Equatable {
    /// Element type.
    public let dtype: DType
    /// Shape (empty for a scalar).
    public let shape: [Int]
    /// `count * dtype.size` bytes, row-major, little-endian.
    public let bytes: [UInt8]

    /// Number of elements (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// Wraps `bytes`; they must hold exactly `count * dtype.size` bytes.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw HostTensorError(description: "negative dimension in shape \(shape)") }
        let count = checkedElementCount(shape)
        let (byteCount, byteOverflow) = (count ?? 0).multipliedReportingOverflow(by: dtype.size)
        guard count != nil, !byteOverflow, bytes.count == byteCount else {
            throw HostTensorError(description: "\(bytes.count) bytes do not hold a \(dtype.rawValue) tensor of shape \(shape)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor from values (`values.count` must equal the shape's element count).
    public init(floats values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.dtype = .float32
        self.shape = shape
        self.bytes = values.withUnsafeBytes { [UInt8]($0) }
    }

    /// Most dimensions a tensor read from a file may have (PyTorch's own limit).
    static let maximumRank = 64

    /// The values converted to Float32 (exact for float32, float16, bfloat16 and small integers;
    /// float64 and large integers round to nearest). Booleans become 0 or 1.
    public func floats() -> [Float] {
        let n = count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .float32:
                    if n > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: 4 * n) }
                case .float64: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                case .float16: for i in 0..<n { out[i] = HostTensor.halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                case .bfloat16:
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
                case .int64: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
                case .int32: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
                case .int16: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
                case .int8: for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[i])) }
                case .uint64: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
                case .uint32: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                case .uint16: for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                case .uint8: for i in 0..<n { out[i] = Float(raw[i]) }
                case .bool: for i in 0..<n { out[i] = raw[i] != 0 ? 1 : 0 }
                }
            }
            initialized = n
        }
    }

    /// The values converted to Float64 (exact for every type except 64-bit integers beyond 2^53).
    public func doubles() -> [Double] {
        if dtype == .float64 {
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) } }
        }
        if dtype == .int64 {
            return bytes.withUnsafeBytes { raw in (0..<count).map { Double(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
        }
        if dtype == .uint64 {
            return bytes.withUnsafeBytes { raw in (0..<count).map { Double(raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) } }
        }
        return floats().map(Double.init)
    }

    /// IEEE half → float, exact (subnormals, infinities and NaN included).
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // zero or subnormal: mantissa * 2^-24
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
