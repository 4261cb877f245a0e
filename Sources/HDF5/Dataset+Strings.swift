// Dataset+Strings: 1-D string datasets. Writes variable-length UTF-8 (h5py `str`); reads both
// variable-length and fixed-length strings.
import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Dataset {
    /// Reads all strings of a string dataset.
    public func readStrings() throws -> [String] {
        try HDF5Library.withLock { try readStrings(rows: 0..<(try shape.first ?? 1)) }
    }

    /// Reads strings `rows` of a 1-D string dataset.
    public func readStrings(rows: Range<Int>) throws -> [String] {
        try HDF5Library.withLock {
            let id = try openID()
            let fileType = H5Dget_type(id)
            return try withTemporary(fileType, .datatype) { fileType in
                guard H5Tget_class(fileType) == H5T_STRING else {
                    throw error(.typeMismatch, "expected strings, found \(ElementType.of(type: fileType))")
                }
                if rows.isEmpty { return [] }
                let isScalar = try shape.isEmpty
                let fileSpace = isScalar ? H5Dget_space(id) : try selectRows(rows)
                let memorySpace = makeDataspace(shape: [rows.count])
                return try withTemporary(fileSpace, .dataspace) { fileSpace in
                    try withTemporary(memorySpace, .dataspace) { memorySpace in
                        try readStringElements(fileType: fileType, count: rows.count,
                                        failure: { captured(.io, "cannot read strings \(rows)") }) { memoryType, buffer in
                            withStringTransferList(count: rows.count) {
                                H5Dread(id, memoryType, memorySpace, fileSpace, $0, buffer)
                            }
                        } reclaim: { memoryType, buffer in
                            hz_vlen_reclaim(memoryType, memorySpace, buffer)
                        }
                    }
                }
            }
        }
    }

    /// Writes strings into rows `rows` (default: the whole 1-D dataset).
    public func writeStrings(_ strings: [String], rows: Range<Int>? = nil) throws {
        try requireWritable()
        try HDF5Library.withLock {
            let id = try openID()
            guard try elementType == .string else { throw error(.typeMismatch, "expected a string dataset, found \(try elementType)") }
            let rows = try rows ?? 0..<(shape.first ?? 1)
            guard rows.count == strings.count else {
                throw error(.invalidArgument, "\(strings.count) strings for \(rows.count) rows")
            }
            if strings.isEmpty { return }
            let fileSpace = try shape.isEmpty ? H5Dget_space(id) : selectRows(rows)
            let memorySpace = makeDataspace(shape: [strings.count])
            let memoryType = makeUTF8StringType()
            try withTemporary(fileSpace, .dataspace) { fileSpace in
                try withTemporary(memorySpace, .dataspace) { memorySpace in
                    try withTemporary(memoryType, .datatype) { memoryType in
                        try withCStringArray(strings) { pointers in
                            let status = withStringTransferList(count: strings.count) {
                                H5Dwrite(id, memoryType, memorySpace, fileSpace, $0, pointers)
                            }
                            if status < 0 {
                                throw captured(.io, "cannot write strings")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Appends strings at the end of a resizable 1-D string dataset; returns the new rows.
    @discardableResult
    public func appendStrings(_ strings: [String]) throws -> Range<Int> {
        try HDF5Library.withLock {
            let start = try shape.first ?? 0
            let rows = start..<(start + strings.count)
            try resize(to: [rows.upperBound])
            try writeStrings(strings, rows: rows)
            return rows
        }
    }
}

/// Runs `body` with a transfer property list whose conversion buffer fits `count` strings.
/// HDF5's default is a 1 MiB buffer allocated zeroed on every variable-length transfer, which
/// made appending a few strings cost a megabyte of page faults.
func withStringTransferList<R>(count: Int, _ body: (hid_t) -> R) -> R {
    let dxpl = H5Pcreate(hz_H5P_DATASET_XFER())
    return withTemporary(dxpl, .propertyList) { dxpl in
        H5Pset_buffer(dxpl, max(4096, count * 2 * MemoryLayout<hvl_t>.size), nil, nil)
        return body(dxpl)
    }
}

/// Runs `body` with a C array of NUL-terminated UTF-8 copies of `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers = copies
    return try pointers.withUnsafeMutableBytes { try body($0.baseAddress!) }
}

/// Reads `count` strings of either variable or fixed length via `read(memoryType, buffer)`;
/// vlen buffers are released with `reclaim` (H5Dvlen_reclaim; see notes on H5Treclaim).
func readStringElements(fileType: hid_t, count: Int, failure: () -> HDF5Error,
                 read: (hid_t, UnsafeMutableRawPointer) -> herr_t,
                 reclaim: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
    if H5Tis_variable_str(fileType) > 0 {
        let memoryType = makeUTF8StringType()
        defer { H5Tclose(memoryType) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        return try pointers.withUnsafeMutableBufferPointer { typed -> [String] in
            // libhdf5 fills the array with pointers to the strings it allocated.
            let raw = UnsafeMutableRawPointer(typed.baseAddress!)
            guard read(memoryType, raw) >= 0 else { throw failure() }
            let result = typed.map { $0.map { String(cString: $0) } ?? "" }
            _ = reclaim(memoryType, raw)
            return result
        }
    }
    let size = H5Tget_size(fileType)
    let memoryType = H5Tcopy(fileType)
    defer { H5Tclose(memoryType) }
    var bytes = [UInt8](repeating: 0, count: count * size + 1)
    return try bytes.withUnsafeMutableBytes { raw -> [String] in
        guard read(memoryType, raw.baseAddress!) >= 0 else { throw failure() }
        return (0..<count).map { i in
            let slice = raw[(i * size)..<((i + 1) * size)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: raw[(i * size)..<end], as: UTF8.self)
        }
    }
}
