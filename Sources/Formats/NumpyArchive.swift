// NumPy .npz archives: a ZIP of `.npy` members (np.savez stores them, np.savez_compressed
// deflates them). Members are read one by one, each bounded by a size limit.

/// Reading NumPy `.npz` archives.
public enum NumpyArchive {
    /// Reads every array in `path`, in archive order, named without the `.npy` suffix.
    /// - Parameter maximumMemberBytes: refuse members that inflate beyond this (zip-bomb bound).
    public static func read(path: String, maximumMemberBytes: Int = 1 << 32) throws -> [(name: String, tensor: HostTensor)] {
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
