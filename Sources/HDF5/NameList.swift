// NameList: the names one libhdf5 iteration visits (the links of a group, the attributes of an
// object), in creation order when the file tracks it, else by name. Group.names and
// Attributes.names differ only in the C iteration call; the order and its fallback live here.
import CHDF5

/// Collects the names an iteration callback hands it through its `context` pointer.
final class NameList {
    private var names: [String] = []

    /// The callbacks' one line: appends `name` to the list behind `context`. Returns 0 (go on).
    static func append(_ name: UnsafePointer<CChar>?, to context: UnsafeMutableRawPointer?) -> herr_t {
        guard let name, let context else { return 0 }
        Unmanaged<NameList>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
        return 0
    }

    /// Runs `iterate(order, context)` in creation order and, when that fails because the
    /// index is not tracked (a group written elsewhere), again by name. `iterate` passes
    /// `context` to a callback that calls `append`. nil when both fail; HDF5's error stack
    /// then holds why (capture it next). Call inside `HDF5Library.withLock`.
    static func collect(_ iterate: (H5_index_t, UnsafeMutableRawPointer) -> herr_t) -> [String]? {
        let list = NameList()
        return withExtendedLifetime(list) {
            let context = Unmanaged.passUnretained(list).toOpaque()
            if iterate(H5_INDEX_CRT_ORDER, context) >= 0 { return list.names }
            _ = H5Eclear2(hz_H5E_DEFAULT())
            list.names = []
            return iterate(H5_INDEX_NAME, context) >= 0 ? list.names : nil
        }
    }
}
