// The rules an entry path must follow to be written or extracted: relative, no `..`, no empty or
// `.` components, no NUL, forward slashes. Shared by the writer (refuses to create such archives)
// and the extractor (refuses to unpack them: zip-slip).

/// Validates archive entry paths.
public enum EntryPath {
    /// Returns the path's components when it is a safe relative path, else a reason it is not.
    public static func components(of path: String) -> Result<[Substring], EntryPathProblem> {
        if path.isEmpty { return .failure(.empty) }
        if path.hasPrefix("/") || path.hasPrefix("\\") { return .failure(.absolute) }
        if path.utf8.contains(0) { return .failure(.nul) }
        if path.contains("\\") { return .failure(.backslash) }
        // A Windows drive ("C:...") is absolute on the platform that made the zip.
        if path.count >= 2, path.dropFirst().first == ":" { return .failure(.absolute) }
        var trimmed = Substring(path)
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }  // directory entries
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part == ".." { return .failure(.parent) }
            if part.isEmpty || part == "." { return .failure(.emptyComponent) }
        }
        return .success(parts)
    }

    /// True when `path` is safe to create under an extraction folder.
    public static func isSafe(_ path: String) -> Bool {
        if case .success = components(of: path) { return true }
        return false
    }
}

/// Why an entry path is refused.
public enum EntryPathProblem: Error, CustomStringConvertible, Sendable {
    case empty, absolute, nul, backslash, parent, emptyComponent

    public var description: String {
        switch self {
        case .empty: return "empty entry path"
        case .absolute: return "absolute path refused (entries must be relative)"
        case .nul: return "NUL byte in entry path"
        case .backslash: return "backslash in entry path refused"
        case .parent: return "'..' component refused (it would leave the extraction folder)"
        case .emptyComponent: return "empty or '.' path component refused"
        }
    }
}
