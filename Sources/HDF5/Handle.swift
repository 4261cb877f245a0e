// Handle: owns one HDF5 identifier and closes it exactly once (explicitly or in deinit).
import CHDF5

/// An owned HDF5 identifier. Closing is idempotent; an identifier already invalidated by a
/// strong file close is skipped rather than closed twice.
// unchecked because: its one var, `storedID`, is read and written only holding HDF5Library's lock.
final class Handle: @unchecked Sendable {
    enum Kind { case file, object, attribute, dataspace, datatype, propertyList }

    private var storedID: hid_t
    let kind: Kind
    /// The write health of the identifier's file (see `WriteHealth`).
    let health: WriteHealth

    init(_ id: hid_t, kind: Kind, health: WriteHealth) {
        storedID = id
        self.kind = kind
        self.health = health
    }

    /// The identifier, or -1 once closed.
    var id: hid_t { HDF5Library.withLock { storedID } }

    var isOpen: Bool { HDF5Library.withLock { storedID >= 0 && H5Iis_valid(storedID) > 0 } }

    func close() {
        HDF5Library.withLock {
            guard storedID >= 0 else { return }
            if !health.failed, H5Iis_valid(storedID) > 0 {
                closeIdentifier(storedID, kind)
                _ = H5Eclear2(hz_H5E_DEFAULT())
            }
            storedID = -1
        }
    }

    /// Closes the identifier and returns libhdf5's status (negative: the close failed, e.g. a
    /// file whose cached data could not be written).
    func closeReturningStatus() -> herr_t {
        HDF5Library.withLock {
            guard storedID >= 0 else { return 0 }
            defer { storedID = -1 }
            guard H5Iis_valid(storedID) > 0 else { return 0 }
            return closeIdentifier(storedID, kind)
        }
    }

    deinit { close() }
}

/// Runs `body` with a transient identifier (dataspace, type, property list) and closes it
/// afterwards whatever happens. Call inside `HDF5Library.withLock`.
@inline(__always)
func withTemporary<R>(_ id: hid_t, _ kind: Handle.Kind, _ body: (hid_t) throws -> R) rethrows -> R {
    defer { if id >= 0 { closeIdentifier(id, kind) } }
    return try body(id)
}

/// Closes `id` with the close call of its kind.
@discardableResult
func closeIdentifier(_ id: hid_t, _ kind: Handle.Kind) -> herr_t {
    switch kind {
    case .file: return H5Fclose(id)
    case .object: return H5Oclose(id)
    case .attribute: return H5Aclose(id)
    case .dataspace: return H5Sclose(id)
    case .datatype: return H5Tclose(id)
    case .propertyList: return H5Pclose(id)
    }
}

/// Creates a simple dataspace (rank 0 → scalar). `maxShape` nil entries mean unlimited.
func makeDataspace(shape: [Int], maxShape: [Int?]? = nil) -> hid_t {
    if shape.isEmpty { return H5Screate(H5S_SCALAR) }
    let dims = shape.map { hsize_t($0) }
    if let maxShape {
        let maxDims = maxShape.map { $0.map { hsize_t($0) } ?? hz_H5S_UNLIMITED() }
        return H5Screate_simple(Int32(dims.count), dims, maxDims)
    }
    return H5Screate_simple(Int32(dims.count), dims, nil)
}

/// The current and maximum extent of a dataspace (maximum nil = unlimited).
func extent(ofDataspace space: hid_t) -> (shape: [Int], maxShape: [Int?]) {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank > 0 else { return ([], []) }
    var dims = [hsize_t](repeating: 0, count: rank)
    var maxDims = [hsize_t](repeating: 0, count: rank)
    H5Sget_simple_extent_dims(space, &dims, &maxDims)
    let unlimited = hz_H5S_UNLIMITED()
    return (dims.map { Int($0) }, maxDims.map { $0 == unlimited ? nil : Int($0) })
}
