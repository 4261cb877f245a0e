// ElementType: the element types a dataset or attribute can hold, and the Swift types that
// map to them. Reads and writes always pass a native memory type and let HDF5 convert.
import CHDF5

/// The element type stored in a dataset or attribute.
public enum ElementType: Sendable, Equatable, CustomStringConvertible {
    case float16, float32, float64, int32, int64, uint8
    /// Variable-length UTF-8 strings (h5py's `str`); fixed-length strings are read too.
    case string
    /// A stored type this wrapper does not create (e.g. int16, compound); read by conversion only.
    case other(String)

    public var description: String {
        switch self {
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .string: "string"
        case .other(let text): text
        }
    }

    /// Bytes per element (strings: pointer size of the vlen form).
    public var byteCount: Int {
        switch self {
        case .float16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8: 1
        case .string: MemoryLayout<UnsafePointer<CChar>>.size
        case .other: 0
        }
    }

    /// A new file datatype id for this element type (caller closes it).
    func makeFileType() -> hid_t {
        switch self {
        case .float16: return hz_H5T_IEEE_F16LE()
        case .float32: return H5Tcopy(hz_H5T_IEEE_F32LE())
        case .float64: return H5Tcopy(hz_H5T_IEEE_F64LE())
        case .int32: return H5Tcopy(hz_H5T_STD_I32LE())
        case .int64: return H5Tcopy(hz_H5T_STD_I64LE())
        case .uint8: return H5Tcopy(hz_H5T_STD_U8LE())
        case .string: return makeUTF8StringType()
        case .other: return -1
        }
    }

    /// Classifies a stored datatype.
    static func of(type: hid_t) -> ElementType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: return .float16
            case 4: return .float32
            case 8: return .float64
            default: return .other("float\(size * 8)")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            default: return .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_STRING: return .string
        case H5T_ENUM: return .other("enum")
        case H5T_COMPOUND: return .other("compound")
        default: return .other("unsupported type class \(H5Tget_class(type).rawValue)")
        }
    }
}

/// A variable-length UTF-8 string type (what h5py writes for Python `str`). Caller closes it.
func makeUTF8StringType() -> hid_t {
    let t = H5Tcopy(hz_H5T_C_S1())
    H5Tset_size(t, hz_H5T_VARIABLE())
    H5Tset_cset(t, H5T_CSET_UTF8)
    return t
}

/// Numeric Swift types that can be read from and written to datasets and attributes.
public protocol HDF5Numeric: Sendable {
    /// The element type this Swift type writes as.
    static var elementType: ElementType { get }
    /// HDF5's native memory type for this Swift type (owned by the library; do not close).
    static var memoryType: hid_t { get }
    init()
}

extension Float: HDF5Numeric {
    public static var elementType: ElementType { .float32 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_FLOAT() }
}
extension Double: HDF5Numeric {
    public static var elementType: ElementType { .float64 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_DOUBLE() }
}
extension Int32: HDF5Numeric {
    public static var elementType: ElementType { .int32 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_INT32() }
}
extension Int64: HDF5Numeric {
    public static var elementType: ElementType { .int64 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_INT64() }
}
extension Int: HDF5Numeric {
    public static var elementType: ElementType { .int64 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_INT64() }
}
extension UInt8: HDF5Numeric {
    public static var elementType: ElementType { .uint8 }
    public static var memoryType: hid_t { hz_H5T_NATIVE_UINT8() }
}
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: HDF5Numeric {
    public static var elementType: ElementType { .float16 }
    /// A process-lifetime IEEE binary16 memory type (HDF5 1.10 predefines none).
    public static var memoryType: hid_t { halfMemoryType }
}

/// The half type, created on first use and never closed (it lives as long as the process).
private let halfMemoryType: hid_t = HDF5Library.withLock { hz_H5T_IEEE_F16LE() }
#endif
