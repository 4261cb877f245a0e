// NumPy .npz archives: a ZIP of `.npy` members (np.savez stores them, np.savez_compressed
// deflates them). Members are read one by one, each bounded by a size limit.

/// Reading NumPy `.npz` archives.
public enum NumpyArchive {
    /// Largest member accepted by default (256 MiB: a model zoo's tensors are far smaller); a
    /// member's declared size is checked against it before inflating, and inflating stops there.
    public static let defaultMaximumMemberBytes = 256 << 20

    /// Reads every array in `path`, in archive order, named without the `.npy` suffix.
    /// - Parameter maximumMemberBytes: refuse members that inflate beyond this (zip-bomb bound).
    public static func read(path: String, maximumMemberBytes: Int = defaultMaximumMemberBytes) throws -> [(name: String, tensor: HostTensor)] {
        let zip = try ZipArchive(path: path)
        var out: [(name: String, tensor: HostTensor)] = []
        for entry in zip.entries where !entry.name.hasSuffix("/") {
            guard entry.name.hasSuffix(".npy") else {
                throw FormatError(file: path, object: entry.name, "member is not a .npy array")
            }
            let bytes = try zip.contents(of: entry, limit: maximumMemberBytes)
            out.append((String(entry.name.dropLast(4)), try NumpyArray.parse(bytes, file: path, object: entry.name)))
        }
        return out
    }
}
