// The archive formats hyperzoo writes, chosen by name or file extension.

/// A container format plus compression filter; the raw value is its usual file extension.
public enum ArchiveFormat: String, CaseIterable, Sendable {
    /// POSIX tar (pax, restricted) compressed with zstd: the default, fast and compact.
    case tarZstd = "tar.zst"
    /// POSIX tar compressed with gzip (no timestamp in the gzip header).
    case tarGzip = "tar.gz"
    /// ZIP with deflate, readable by every platform's built-in unzip.
    case zip = "zip"
    /// Uncompressed POSIX tar.
    case tar = "tar"

    /// Infers the format from a path's extension (`.tar.zst`, `.tzst`, `.tar.gz`, `.tgz`, `.zip`, `.tar`).
    public static func infer(fromPath path: String) -> ArchiveFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".tar.zst") || lower.hasSuffix(".tzst") { return .tarZstd }
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGzip }
        if lower.hasSuffix(".zip") { return .zip }
        if lower.hasSuffix(".tar") { return .tar }
        return nil
    }
}
