// Group: a container of named links (h5py `Group`). `create…` fails on an existing name,
// `require…` opens or creates and checks what it finds.
import CHDF5

/// The filter pipeline of a chunked dataset: deflate (h5py `compression="gzip"`) with optional
/// shuffle (h5py `shuffle=True`). Not the Compression module, which compresses whole files.
public struct DatasetCompression: Sendable, Equatable, CustomStringConvertible {
    /// Deflate level 0–9 (h5py's default is 4).
    public var deflateLevel: Int
    /// Byte-shuffle before deflate (helps float data).
    public var shuffle: Bool

    public init(deflateLevel: Int = 4, shuffle: Bool = true) {
        self.deflateLevel = deflateLevel
        self.shuffle = shuffle
    }

    /// gzip level 4 with shuffle, h5py's `compression="gzip", shuffle=True`.
    public static let gzip = DatasetCompression()

    public var description: String { "gzip(\(deflateLevel))\(shuffle ? "+shuffle" : "")" }
}

/// An HDF5 group.
// unchecked because: a subclass of Object (see there), with no stored property of its own.
public class Group: Object, CustomStringConvertible, @unchecked Sendable {
    public var description: String {
        guard isOpen else { return "<Closed HDF5 group>" }
        let count = (try? names().count).map(String.init) ?? "?"
        return "<HDF5 group \"\(name)\" (\(count) members)>"
    }

    // MARK: Links

    /// Whether `path` (relative, may contain `/`) names an existing object.
    public func contains(_ path: String) -> Bool {
        HDF5Library.withLock {
            guard let id = try? openID() else { return false }
            var prefix = path.hasPrefix("/") ? "/" : ""
            for component in path.split(separator: "/") {
                prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
                let exists = H5Lexists(id, prefix, hid_t(hz_H5P_DEFAULT()))
                if exists <= 0 {
                    _ = H5Eclear2(hz_H5E_DEFAULT())
                    return false
                }
            }
            return true
        }
    }

    /// The names of the direct members, in creation order when tracked, else by name.
    public func names() throws -> [String] {
        try HDF5Library.withLock {
            let id = try openID()
            let names = NameList.collect { order, context in
                var index: hsize_t = 0
                return H5Literate(id, order, H5_ITER_INC, &index, { _, name, _, context in
                    NameList.append(name, to: context)
                }, context)
            }
            guard let names else { throw captured(.io, "cannot list group members") }
            return names
        }
    }

    /// Removes the link `path` (the space is reclaimed only when the file is repacked).
    public func delete(_ path: String) throws {
        try requireWritable()
        try HDF5Library.withLock {
            let id = try openID()
            guard contains(path) else { throw error(.notFound, "no such object", path: path) }
            if H5Ldelete(id, path, hid_t(hz_H5P_DEFAULT())) < 0 { throw captured(.io, "cannot delete", path: path) }
        }
    }

    // MARK: Groups

    /// Creates a group at `path`, creating missing intermediate groups.
    /// - Throws: `alreadyExists` if something is already called `path`.
    @discardableResult
    public func createGroup(_ path: String) throws -> Group {
        try requireWritable()
        try createMissingParents(of: path)
        return try HDF5Library.withLock {
            let id = try openID()
            if contains(path) { throw error(.alreadyExists, "an object with this name already exists", path: path) }
            let lcpl = makeLinkCreationList()
            let gcpl = H5Pcreate(hz_H5P_GROUP_CREATE())
            let gid = withTemporary(lcpl, .propertyList) { lcpl in
                withTemporary(gcpl, .propertyList) { gcpl in
                    H5Pset_link_creation_order(gcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
                    H5Pset_attr_creation_order(gcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
                    H5Pset_obj_track_times(gcpl, false)  // byte-reproducible files (see File.init)
                    return H5Gcreate2(id, path, lcpl, gcpl, hid_t(hz_H5P_DEFAULT()))
                }
            }
            if gid < 0 { throw captured(.io, "cannot create group", path: path) }
            return Group(state: state, id: gid, name: childName(path))
        }
    }

    /// Opens the group at `path`.
    /// - Throws: `notFound` if missing, `typeMismatch` if it is not a group.
    public func openGroup(_ path: String) throws -> Group {
        Group(state: state, id: try openObject(path, expecting: H5I_GROUP), name: childName(path))
    }

    /// Opens the group at `path`, creating it (and intermediates) if missing.
    public func requireGroup(_ path: String) throws -> Group {
        try HDF5Library.withLock { contains(path) ? try openGroup(path) : try createGroup(path) }
    }

    // MARK: Datasets

    /// Creates a dataset at `path` (intermediate groups are created).
    ///
    /// - Parameters:
    ///   - type: element type stored in the file.
    ///   - shape: current extent; `[]` makes a scalar dataset.
    ///   - maxShape: maximum extent per axis, `nil` = unlimited (h5py `maxshape=(None, …)`);
    ///     defaults to `shape` (fixed size).
    ///   - chunks: chunk shape; required (and chosen automatically when omitted) for resizable or
    ///     compressed datasets.
    ///   - compression: deflate + shuffle, or nil for none.
    /// - Throws: `alreadyExists` if `path` exists, `invalidArgument` for inconsistent shapes.
    @discardableResult
    public func createDataset(_ path: String, type: ElementType, shape: [Int], maxShape: [Int?]? = nil,
                              chunks: [Int]? = nil, compression: DatasetCompression? = nil) throws -> Dataset {
        try requireWritable()
        try createMissingParents(of: path)
        if case .other(let text) = type { throw error(.typeMismatch, "cannot create datasets of type \(text)", path: path) }
        let maxShape = maxShape ?? shape.map { Optional($0) }
        guard maxShape.count == shape.count,
              zip(shape, maxShape).allSatisfy({ $0 >= 0 && ($1 == nil || $1! >= $0) }) else {
            throw error(.invalidArgument, "shape \(shape) does not fit maxShape \(maxShape.map { $0.map(String.init) ?? "None" })", path: path)
        }
        var chunks = chunks
        let resizable = zip(shape, maxShape).contains { $1 != $0 }
        if chunks == nil, !shape.isEmpty, resizable || compression != nil {
            chunks = Dataset.automaticChunks(shape: shape, maxShape: maxShape, elementBytes: max(type.byteCount, 1))
        }
        if let chunks {
            guard chunks.count == shape.count, chunks.allSatisfy({ $0 > 0 }),
                  zip(chunks, maxShape).allSatisfy({ $1 == nil || $0 <= $1! }) else {
                throw error(.invalidArgument, "chunks \(chunks) do not fit shape \(shape)", path: path)
            }
        }
        if compression != nil, chunks == nil {
            throw error(.invalidArgument, "a compressed dataset needs a non-scalar shape", path: path)
        }
        if compression != nil, !HDF5Library.hasDeflate {
            throw error(.invalidArgument, "this libhdf5 has no deflate (gzip) filter; write the dataset uncompressed", path: path)
        }
        return try HDF5Library.withLock {
            let id = try openID()
            if contains(path) { throw error(.alreadyExists, "an object with this name already exists", path: path) }
            let space = makeDataspace(shape: shape, maxShape: maxShape)
            let fileType = type.makeFileType()
            let dcpl = H5Pcreate(hz_H5P_DATASET_CREATE())
            let lcpl = makeLinkCreationList()
            let did: hid_t = withTemporary(space, .dataspace) { space in
                withTemporary(fileType, .datatype) { fileType in
                    withTemporary(dcpl, .propertyList) { dcpl in
                        withTemporary(lcpl, .propertyList) { lcpl in
                            H5Pset_obj_track_times(dcpl, false)  // byte-reproducible files (see File.init)
                            if let chunks {
                                H5Pset_chunk(dcpl, Int32(chunks.count), chunks.map { hsize_t($0) })
                            }
                            if let compression {
                                if compression.shuffle { H5Pset_shuffle(dcpl) }
                                H5Pset_deflate(dcpl, UInt32(max(0, min(9, compression.deflateLevel))))
                            }
                            // Never write fill values for space we are about to overwrite.
                            H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET)
                            return H5Dcreate2(id, path, fileType, space, lcpl, dcpl, hid_t(hz_H5P_DEFAULT()))
                        }
                    }
                }
            }
            if did < 0 { throw captured(.io, "cannot create dataset", path: path) }
            return Dataset(state: state, id: did, name: childName(path))
        }
    }

    /// Creates a dataset holding `values` with the given shape (default: 1-D).
    @discardableResult
    public func createDataset<T: HDF5Numeric>(_ path: String, data values: [T], shape: [Int]? = nil,
                                              maxShape: [Int?]? = nil, chunks: [Int]? = nil,
                                              compression: DatasetCompression? = nil) throws -> Dataset {
        let shape = shape ?? [values.count]
        guard shape.reduce(1, *) == values.count else {
            throw error(.invalidArgument, "\(values.count) values do not fill shape \(shape)", path: path)
        }
        let dataset = try createDataset(path, type: T.elementType, shape: shape, maxShape: maxShape,
                                        chunks: chunks, compression: compression)
        try dataset.write(values)
        return dataset
    }

    /// Creates a 1-D dataset of variable-length UTF-8 strings.
    @discardableResult
    public func createDataset(_ path: String, strings: [String], maxShape: [Int?]? = nil,
                              chunks: [Int]? = nil) throws -> Dataset {
        let dataset = try createDataset(path, type: .string, shape: [strings.count], maxShape: maxShape, chunks: chunks)
        if !strings.isEmpty { try dataset.writeStrings(strings) }
        return dataset
    }

    /// Opens the dataset at `path` with its own chunk cache of `chunkCacheBytes` (HDF5's default
    /// is 1 MiB per dataset). A cache smaller than one chunk makes HDF5 read uncompressed data
    /// straight into the caller's buffer; compressed data wants a few chunks' worth.
    public func openDataset(_ path: String, chunkCacheBytes: Int) throws -> Dataset {
        try HDF5Library.withLock {
            let id = try openID()
            guard contains(path) else { throw error(.notFound, "no such object", path: path) }
            let dapl = H5Pcreate(hz_H5P_DATASET_ACCESS())
            let did = withTemporary(dapl, .propertyList) { dapl in
                H5Pset_chunk_cache(dapl, 1031, max(0, chunkCacheBytes), 0.75)
                return H5Dopen2(id, path, dapl)
            }
            if did < 0 { throw captured(.io, "cannot open dataset", path: path) }
            return Dataset(state: state, id: did, name: childName(path))
        }
    }

    /// Opens the dataset at `path`.
    /// - Throws: `notFound` if missing, `typeMismatch` if it is a group.
    public func openDataset(_ path: String) throws -> Dataset {
        Dataset(state: state, id: try openObject(path, expecting: H5I_DATASET), name: childName(path))
    }

    /// Opens the dataset at `path` if it exists with this element type and shape, else creates it.
    /// - Throws: `typeMismatch` quoting existing vs requested shape and type on a clash.
    public func requireDataset(_ path: String, type: ElementType, shape: [Int], maxShape: [Int?]? = nil,
                               chunks: [Int]? = nil, compression: DatasetCompression? = nil) throws -> Dataset {
        try HDF5Library.withLock {
            guard contains(path) else {
                return try createDataset(path, type: type, shape: shape, maxShape: maxShape,
                                         chunks: chunks, compression: compression)
            }
            let dataset = try openDataset(path)
            let (existingShape, existingType) = (try dataset.shape, try dataset.elementType)
            guard existingShape == shape, existingType == type else {
                throw error(.typeMismatch, "existing dataset (shape \(existingShape), \(existingType)) vs requested (shape \(shape), \(type))", path: path)
            }
            return dataset
        }
    }

    // MARK: Helpers

    /// Opens the object at `path`, which must be a group (`H5I_GROUP`) or a dataset (`H5I_DATASET`).
    /// - Throws: `notFound` if missing, `typeMismatch` if it is the other kind.
    private func openObject(_ path: String, expecting expected: H5I_type_t) throws -> hid_t {
        try HDF5Library.withLock {
            let id = try openID()
            guard contains(path) else { throw error(.notFound, "no such object", path: path) }
            let oid = H5Oopen(id, path, hid_t(hz_H5P_DEFAULT()))
            if oid < 0 { throw captured(.io, "cannot open object", path: path) }
            guard H5Iget_type(oid) == expected else {
                _ = H5Oclose(oid)
                throw error(.typeMismatch, expected == H5I_GROUP ? "expected a group, found a dataset"
                                                                 : "expected a dataset, found a group", path: path)
            }
            return oid
        }
    }

    /// Creates the groups above `path` that do not exist yet, with this module's group properties
    /// (creation order, no modification times). libhdf5's own intermediate groups would use its
    /// defaults, which record times and make two runs' files differ in bytes.
    private func createMissingParents(of path: String) throws {
        let components = path.split(separator: "/")
        guard components.count > 1 else { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in components.dropLast() {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
            if !contains(prefix) { _ = try createGroup(prefix) }
        }
    }

    func makeLinkCreationList() -> hid_t {
        let lcpl = H5Pcreate(hz_H5P_LINK_CREATE())
        H5Pset_create_intermediate_group(lcpl, 1)
        H5Pset_char_encoding(lcpl, H5T_CSET_UTF8)
        return lcpl
    }
}
