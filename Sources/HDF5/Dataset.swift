// Dataset: an n-dimensional array in a file (h5py `Dataset`). Reads return owned arrays; the
// fast path moves a row range (a hyperslab over axis 0) through the caller's buffer.
import CHDF5

/// An HDF5 dataset. Axis 0 is the "row" axis: row ranges select `[rows, rest of shape]`.
// unchecked because: a subclass of Object (see there), with no stored property of its own.
public final class Dataset: Object, CustomStringConvertible, @unchecked Sendable {

    // MARK: Properties

    /// Current extent.
    public var shape: [Int] {
        get throws {
            try HDF5Library.withLock {
                let space = H5Dget_space(try openID())
                return withTemporary(space, .dataspace) { extent(ofDataspace: $0).shape }
            }
        }
    }

    /// Maximum extent per axis (`nil` = unlimited).
    public var maxShape: [Int?] {
        get throws {
            try HDF5Library.withLock {
                let space = H5Dget_space(try openID())
                return withTemporary(space, .dataspace) { extent(ofDataspace: $0).maxShape }
            }
        }
    }

    /// Stored element type.
    public var elementType: ElementType {
        get throws {
            try HDF5Library.withLock {
                let type = H5Dget_type(try openID())
                return withTemporary(type, .datatype) { ElementType.of(type: $0) }
            }
        }
    }

    /// Chunk shape, or nil for contiguous storage.
    public var chunks: [Int]? {
        get throws {
            try HDF5Library.withLock {
                let dcpl = H5Dget_create_plist(try openID())
                return withTemporary(dcpl, .propertyList) { dcpl -> [Int]? in
                    guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
                    var dims = [hsize_t](repeating: 0, count: 32)
                    let rank = Int(H5Pget_chunk(dcpl, 32, &dims))
                    return dims.prefix(max(rank, 0)).map { Int($0) }
                }
            }
        }
    }

    /// Deflate/shuffle settings, or nil when the dataset is not compressed.
    public var compression: DatasetCompression? {
        get throws {
            try HDF5Library.withLock {
                let dcpl = H5Dget_create_plist(try openID())
                return withTemporary(dcpl, .propertyList) { dcpl -> DatasetCompression? in
                    var result: DatasetCompression?
                    var shuffle = false
                    for i in 0..<max(0, H5Pget_nfilters(dcpl)) {
                        var flags: UInt32 = 0
                        var count = 1
                        var values: [UInt32] = [0]
                        var config: UInt32 = 0
                        let filter = H5Pget_filter2(dcpl, UInt32(i), &flags, &count, &values, 0, nil, &config)
                        if filter == H5Z_FILTER_DEFLATE { result = DatasetCompression(deflateLevel: Int(values[0]), shuffle: false) }
                        if filter == H5Z_FILTER_SHUFFLE { shuffle = true }
                    }
                    result?.shuffle = shuffle
                    return result
                }
            }
        }
    }

    /// Number of elements.
    public var count: Int { get throws { try shape.reduce(1, *) } }

    /// Elements per row (product of all axes but the first; 1 for 1-D datasets).
    public var rowLength: Int { get throws { try shape.dropFirst().reduce(1, *) } }

    public var description: String {
        guard isOpen, let shape = try? shape, let type = try? elementType else { return "<Closed HDF5 dataset>" }
        let last = name.split(separator: "/").last.map(String.init) ?? name
        return "<HDF5 dataset \"\(last)\": shape (\(shape.map(String.init).joined(separator: ", "))), type \(type)>"
    }

    // MARK: Numeric reads

    /// Reads the whole dataset, converting to `T` (HDF5 converts numeric types as h5py's `astype`).
    /// - Throws: `typeMismatch` if the dataset holds strings.
    public func read<T: HDF5Numeric>(as _: T.Type = T.self) throws -> [T] {
        try HDF5Library.withLock {
            let n = try count
            var values = [T](repeating: T(), count: n)
            try values.withUnsafeMutableBufferPointer { try transfer(read: true, T.memoryType, rows: nil, $0.baseAddress, n) }
            return values
        }
    }

    /// Reads rows `rows` (a hyperslab over axis 0), converting to `T`.
    public func read<T: HDF5Numeric>(rows: Range<Int>, as _: T.Type = T.self) throws -> [T] {
        try HDF5Library.withLock {
            let n = rows.count * (try rowLength)
            var values = [T](repeating: T(), count: n)
            try values.withUnsafeMutableBufferPointer { try read(rows: rows, into: $0) }
            return values
        }
    }

    /// Reads rows `rows` into `buffer`, which must hold exactly `rows.count × rowLength` elements.
    /// No allocation: the streaming fast path (h5py `read_direct`).
    public func read<T: HDF5Numeric>(rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws {
        try HDF5Library.withLock {
            let needed = rows.count * (try rowLength)
            guard buffer.count == needed else {
                throw error(.invalidArgument, "buffer holds \(buffer.count) elements, rows \(rows) need \(needed)")
            }
            try transfer(read: true, T.memoryType, rows: rows, buffer.baseAddress, needed)
        }
    }

    // MARK: Numeric writes

    /// Writes the whole dataset; `values.count` must equal the element count.
    public func write<T: HDF5Numeric>(_ values: [T]) throws {
        try HDF5Library.withLock {
            let n = try count
            guard values.count == n else {
                throw error(.invalidArgument, "\(values.count) values for a dataset of \(n) elements")
            }
            try values.withUnsafeBufferPointer { try transfer(read: false, T.memoryType, rows: nil, UnsafeMutableRawPointer(mutating: $0.baseAddress), n) }
        }
    }

    /// Writes rows `rows` from `values` (`rows.count × rowLength` elements).
    public func write<T: HDF5Numeric>(_ values: UnsafeBufferPointer<T>, rows: Range<Int>) throws {
        try HDF5Library.withLock {
            let needed = rows.count * (try rowLength)
            guard values.count == needed else {
                throw error(.invalidArgument, "\(values.count) values for rows \(rows), which need \(needed)")
            }
            try transfer(read: false, T.memoryType, rows: rows, UnsafeMutableRawPointer(mutating: values.baseAddress), needed)
        }
    }

    /// Writes rows `rows` from an array.
    public func write<T: HDF5Numeric>(_ values: [T], rows: Range<Int>) throws {
        try values.withUnsafeBufferPointer { try write($0, rows: rows) }
    }

    // MARK: Resizing

    /// Changes the extent (h5py `resize`); only chunked datasets, within `maxShape`.
    public func resize(to newShape: [Int]) throws {
        try requireWritable()
        try HDF5Library.withLock {
            let id = try openID()
            let maxShape = try maxShape
            guard newShape.count == maxShape.count,
                  zip(newShape, maxShape).allSatisfy({ $0 >= 0 && ($1 == nil || $0 <= $1!) }) else {
                throw error(.invalidArgument, "cannot resize to \(newShape): maxShape is \(maxShape.map { $0.map(String.init) ?? "None" })")
            }
            if H5Dset_extent(id, newShape.map { hsize_t($0) }) < 0 {
                throw captured(.io, "cannot resize to \(newShape) (only chunked datasets can change extent)")
            }
        }
    }

    /// Appends rows at the end of axis 0 (`values.count` must be a multiple of `rowLength`) and
    /// returns the range of the new rows.
    @discardableResult
    public func append<T: HDF5Numeric>(_ values: UnsafeBufferPointer<T>) throws -> Range<Int> {
        try HDF5Library.withLock {
            var shape = try shape
            let rowLength = try rowLength
            guard !shape.isEmpty, rowLength > 0, values.count % rowLength == 0 else {
                throw error(.invalidArgument, "\(values.count) values are not whole rows of \(rowLength)")
            }
            let rows = shape[0]..<(shape[0] + values.count / rowLength)
            shape[0] = rows.upperBound
            try resize(to: shape)
            try write(values, rows: rows)
            return rows
        }
    }

    /// Appends rows from an array.
    @discardableResult
    public func append<T: HDF5Numeric>(_ values: [T]) throws -> Range<Int> {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    // MARK: Transfer

    /// Moves `count` elements between memory and the file, for all rows or a row range.
    /// Call inside the lock.
    func transfer(read: Bool, _ memoryType: hid_t, rows: Range<Int>?, _ pointer: UnsafeMutableRawPointer?, _ count: Int) throws {
        let id = try openID()
        if try elementType == .string {
            throw error(.typeMismatch, "expected numbers, found strings (use readStrings)")
        }
        if count == 0 { return }
        guard let pointer else { return }
        if let rows {
            let fileSpace = try selectRows(rows)
            // The memory space has the selection's own shape: with a flat 1-D memory space HDF5
            // falls back to iterating the selection element by element (10× slower).
            let memorySpace = makeDataspace(shape: [rows.count] + (try shape.dropFirst()))
            try withTemporary(fileSpace, .dataspace) { fileSpace in
                try withTemporary(memorySpace, .dataspace) { memorySpace in
                    let status = read
                        ? H5Dread(id, memoryType, memorySpace, fileSpace, hid_t(hz_H5P_DEFAULT()), pointer)
                        : H5Dwrite(id, memoryType, memorySpace, fileSpace, hid_t(hz_H5P_DEFAULT()), pointer)
                    if status < 0 { throw captured(.io, read ? "cannot read rows \(rows)" : "cannot write rows \(rows)") }
                }
            }
        } else {
            let all = hz_H5S_ALL()
            let status = read
                ? H5Dread(id, memoryType, all, all, hid_t(hz_H5P_DEFAULT()), pointer)
                : H5Dwrite(id, memoryType, all, all, hid_t(hz_H5P_DEFAULT()), pointer)
            if status < 0 { throw captured(.io, read ? "cannot read" : "cannot write") }
        }
    }

    /// A file dataspace with rows `rows` selected (all of the other axes). Caller closes it.
    func selectRows(_ rows: Range<Int>) throws -> hid_t {
        let id = try openID()
        let space = H5Dget_space(id)
        let (shape, _) = extent(ofDataspace: space)
        guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            H5Sclose(space)
            throw error(.invalidArgument, "rows \(rows) outside the dataset's \(shape.first ?? 0) rows")
        }
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = hsize_t(rows.lowerBound)
        var counts = shape.map { hsize_t($0) }
        counts[0] = hsize_t(rows.count)
        if H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nil, counts, nil) < 0 {
            let failure = captured(.invalidArgument, "cannot select rows \(rows)")
            H5Sclose(space)
            throw failure
        }
        return space
    }

    /// h5py-like automatic chunk shape: about 64 KiB–1 MiB per chunk, whole trailing axes.
    static func automaticChunks(shape: [Int], maxShape: [Int?], elementBytes: Int) -> [Int] {
        var chunks = shape.map { max($0, 1) }
        let target = 256 * 1024
        // Trailing axes whole when they fit; axis 0 sized to reach the target.
        let rowBytes = chunks.dropFirst().reduce(elementBytes, *)
        if rowBytes >= target {
            chunks[0] = 1
            var i = chunks.count - 1
            while chunks.reduce(elementBytes, *) > 1024 * 1024, i > 0 {
                chunks[i] = max(1, chunks[i] / 2)
                if chunks[i] == 1 { i -= 1 }
            }
        } else {
            chunks[0] = max(1, min(target / rowBytes, max(shape[0], 1) * (maxShape[0] == nil ? 64 : 1)))
            if let limit = maxShape[0] { chunks[0] = min(chunks[0], max(limit, 1)) }
        }
        return chunks
    }
}
