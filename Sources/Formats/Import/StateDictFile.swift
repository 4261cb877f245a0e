// One entry point for "a file holding one model's weights", whatever its format.

/// Reads a single model's named tensors from a file, choosing the reader by content.
public enum StateDictFile {
    /// The formats a state dict can come in.
    public enum Kind: String, Sendable, Codable {
        case torch, safetensors, npz
    }

    /// The kind of `path`, by extension first (`.safetensors`, `.npz`), else torch (zip or legacy).
    public static func kind(of path: String) -> Kind {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".npz") { return .npz }
        return .torch
    }

    /// The named tensors of the model in `path`, in file order.
    /// - Throws: `FormatError` from the chosen reader.
    public static func read(path: String) throws -> [(name: String, tensor: HostTensor)] {
        try readWithSkipped(path: path).tensors
    }

    /// The named tensors, and the keys of the file that are not model weights (a torch
    /// checkpoint's `optimizer`, `epoch`, non-tensor entries), so callers can say what was left out.
    public static func readWithSkipped(path: String) throws -> (tensors: [(name: String, tensor: HostTensor)], skipped: [String]) {
        switch kind(of: path) {
        case .safetensors: return (try Safetensors.read(path: path), [])
        case .npz: return (try NumpyArchive.read(path: path), [])
        case .torch:
            let checkpoint = try TorchCheckpoint.read(path: path)
            return (checkpoint.tensors, checkpoint.skipped)
        }
    }
}
