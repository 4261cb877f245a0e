// Attributes: the small named values attached to a group or dataset (h5py `attrs`).
// Assignment replaces an existing attribute; strings are variable-length UTF-8 (h5py `str`);
// JSON-valued attributes are strings holding JSON text.
import CHDF5
import Foundation

/// A value stored as an attribute.
public enum AttributeValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case float(Float)
    case string(String)
    case ints([Int64])
    case doubles([Double])
    case floats([Float])
    case strings([String])

    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .float(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        case .ints(let v): "\(v)"
        case .doubles(let v): "\(v)"
        case .floats(let v): "\(v)"
        case .strings(let v): "\(v)"
        }
    }

    /// The value as a string, if it is one.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The value as an integer, if it is a scalar integer.
    public var intValue: Int? { if case .int(let v) = self { Int(v) } else { nil } }
    /// The value as a Double, if it is a scalar number.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .double(let v): v
        case .float(let v): Double(v)
        default: nil
        }
    }
}

/// The attributes of one object. Obtained from `object.attributes`.
public struct Attributes: Sendable {
    let owner: Object

    /// Whether an attribute called `name` exists.
    public func contains(_ name: String) -> Bool {
        HDF5Library.withLock {
            guard let id = try? owner.openID() else { return false }
            let result = H5Aexists(id, name)
            if result < 0 { _ = H5Eclear2(hz_H5E_DEFAULT()) }
            return result > 0
        }
    }

    /// Attribute names in creation order where the object tracks it (files and groups written
    /// here). Elsewhere (datasets, files h5py wrote) libhdf5 lists them in the order it stores
    /// them, which need not be by name nor as written.
    public func names() throws -> [String] {
        try HDF5Library.withLock {
            let id = try owner.openID()
            let names = NameList.collect { order, context in
                var index: hsize_t = 0
                return H5Aiterate2(id, order, H5_ITER_INC, &index, { _, name, _, context in
                    NameList.append(name, to: context)
                }, context)
            }
            guard let names else { throw owner.captured(.io, "cannot list attributes") }
            return names
        }
    }

    /// The value of attribute `name`, or nil if it is missing or unreadable (use `value(_:)`
    /// to learn why).
    public subscript(name: String) -> AttributeValue? {
        try? value(name)
    }

    /// Creates or replaces attribute `name`.
    public func set(_ name: String, _ value: AttributeValue) throws {
        try owner.requireWritable()
        try HDF5Library.withLock {
            let id = try owner.openID()
            if contains(name), H5Adelete(id, name) < 0 {
                throw owner.captured(.io, "cannot replace attribute '\(name)'")
            }
            switch value {
            case .int(let v): try write(name, [v], scalar: true)
            case .double(let v): try write(name, [v], scalar: true)
            case .float(let v): try write(name, [v], scalar: true)
            case .ints(let v): try write(name, v, scalar: false)
            case .doubles(let v): try write(name, v, scalar: false)
            case .floats(let v): try write(name, v, scalar: false)
            case .string(let v): try writeStrings(name, [v], scalar: true)
            case .strings(let v): try writeStrings(name, v, scalar: false)
            }
        }
    }

    /// Convenience setters.
    public func set(_ name: String, _ value: String) throws { try set(name, .string(value)) }
    public func set(_ name: String, _ value: Int) throws { try set(name, .int(Int64(value))) }
    public func set(_ name: String, _ value: Double) throws { try set(name, .double(value)) }

    /// Stores `value` encoded as JSON text (sorted keys) in a string attribute.
    public func setJSON<T: Encodable>(_ name: String, _ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw owner.error(.invalidArgument, "attribute '\(name)': cannot encode as JSON: \(error)")
        }
        try set(name, .string(String(decoding: data, as: UTF8.self)))
    }

    /// Decodes the JSON text of string attribute `name`.
    /// - Throws: `notFound`, `typeMismatch` (not a string), or `invalidArgument` (bad JSON).
    public func json<T: Decodable>(_ name: String, as _: T.Type = T.self) throws -> T {
        let text = try string(name)
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw owner.error(.invalidArgument, "attribute '\(name)': invalid JSON for \(T.self): \(error)")
        }
    }

    /// The string attribute `name`.
    public func string(_ name: String) throws -> String {
        guard case .string(let s) = try value(name) else {
            throw owner.error(.typeMismatch, "attribute '\(name)': expected a string, found \(try value(name))")
        }
        return s
    }

    /// The integer attribute `name` (scalar).
    public func int(_ name: String) throws -> Int {
        guard let v = try value(name).intValue else {
            throw owner.error(.typeMismatch, "attribute '\(name)': expected an integer, found \(try value(name))")
        }
        return v
    }

    /// The numeric attribute `name` (scalar) as Double.
    public func double(_ name: String) throws -> Double {
        guard let v = try value(name).doubleValue else {
            throw owner.error(.typeMismatch, "attribute '\(name)': expected a number, found \(try value(name))")
        }
        return v
    }

    /// Removes attribute `name`.
    public func delete(_ name: String) throws {
        try owner.requireWritable()
        try HDF5Library.withLock {
            let id = try owner.openID()
            guard contains(name) else { throw owner.error(.notFound, "no attribute '\(name)'") }
            if H5Adelete(id, name) < 0 { throw owner.captured(.io, "cannot delete attribute '\(name)'") }
        }
    }

    /// Reads attribute `name`, deducing the Swift value from its stored type and shape.
    /// - Throws: `notFound` if missing, `typeMismatch` for types without an `AttributeValue`.
    public func value(_ name: String) throws -> AttributeValue {
        try HDF5Library.withLock {
            let id = try owner.openID()
            guard contains(name) else { throw owner.error(.notFound, "no attribute '\(name)'") }
            let aid = H5Aopen(id, name, hid_t(hz_H5P_DEFAULT()))
            if aid < 0 { throw owner.captured(.io, "cannot open attribute '\(name)'") }
            return try withTemporary(aid, .attribute) { aid in
                let type = H5Aget_type(aid)
                let space = H5Aget_space(aid)
                return try withTemporary(type, .datatype) { type in
                    try withTemporary(space, .dataspace) { space in
                        let scalar = H5Sget_simple_extent_ndims(space) == 0
                        let count = Int(H5Sget_simple_extent_npoints(space))
                        func numbers<T: HDF5Numeric>(_: T.Type) throws -> [T] {
                            var values = [T](repeating: T(), count: count)
                            let status = values.withUnsafeMutableBytes { H5Aread(aid, T.memoryType, $0.baseAddress!) }
                            if status < 0 { throw owner.captured(.io, "cannot read attribute '\(name)'") }
                            return values
                        }
                        switch H5Tget_class(type) {
                        case H5T_STRING:
                            let strings = try readStringElements(fileType: type, count: count,
                                                          failure: { owner.captured(.io, "cannot read attribute '\(name)'") },
                                                          read: { H5Aread(aid, $0, $1) },
                                                          reclaim: { hz_vlen_reclaim($0, space, $1) })
                            return scalar ? .string(strings.first ?? "") : .strings(strings)
                        case H5T_INTEGER, H5T_ENUM:
                            let v = try numbers(Int64.self)
                            return scalar ? .int(v[0]) : .ints(v)
                        case H5T_FLOAT:
                            if H5Tget_size(type) <= 4 {
                                let v = try numbers(Float.self)
                                return scalar ? .float(v[0]) : .floats(v)
                            }
                            let v = try numbers(Double.self)
                            return scalar ? .double(v[0]) : .doubles(v)
                        default:
                            throw owner.error(.typeMismatch, "attribute '\(name)': unsupported type \(ElementType.of(type: type))")
                        }
                    }
                }
            }
        }
    }

    // MARK: Writing

    private func write<T: HDF5Numeric>(_ name: String, _ values: [T], scalar: Bool) throws {
        try create(name, fileType: T.elementType.makeFileType(), shape: scalar ? [] : [values.count]) { aid in
            values.withUnsafeBytes { H5Awrite(aid, T.memoryType, $0.baseAddress!) }
        }
    }

    private func writeStrings(_ name: String, _ strings: [String], scalar: Bool) throws {
        let memoryType = makeUTF8StringType()
        defer { H5Tclose(memoryType) }
        try create(name, fileType: makeUTF8StringType(), shape: scalar ? [] : [strings.count]) { aid in
            withCStringArray(strings) { H5Awrite(aid, memoryType, $0) }
        }
    }

    private func create(_ name: String, fileType: hid_t, shape: [Int], write: (hid_t) -> herr_t) throws {
        let id = try owner.openID()
        let space = makeDataspace(shape: shape)
        try withTemporary(fileType, .datatype) { fileType in
            try withTemporary(space, .dataspace) { space in
                let aid = H5Acreate2(id, name, fileType, space, hid_t(hz_H5P_DEFAULT()), hid_t(hz_H5P_DEFAULT()))
                if aid < 0 { throw owner.captured(.io, "cannot create attribute '\(name)'") }
                try withTemporary(aid, .attribute) { aid in
                    if write(aid) < 0 { throw owner.captured(.io, "cannot write attribute '\(name)'") }
                }
            }
        }
    }
}
