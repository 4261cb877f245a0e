#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
// Temporaries a killed run left behind. Writers build their output under a name that says which
// process made it (`.pop.tar.zst.partial-<host>.<pid>-<random>`) and rename it into place when it
// is complete; kill -9 leaves that temporary behind, and the next run, having another pid, would
// never look at it again. Before a writer creates its temporary it removes the ones of its own
// output whose process no longer exists. A pid says nothing about a process on another machine,
// and on a shared filesystem (a cluster's home or scratch) a live writer of another node would
// look dead here, so the host is part of the name and only this host's temporaries are judged.
// Names of the older pid-only shape (`<prefix><pid>` or `<prefix><pid>-<digits>`) are this host's:
// they were written before the host was recorded, by runs of one machine. Only names of exactly
// these shapes are touched (no one else makes them), and never one whose process is alive.

/// This machine's name as temporaries carry it: the host name with every character other than
/// ASCII letters, digits and `-` turned into `-` (so it never holds the `.` that ends it, nor a
/// `/`), at most 32 characters (a longer one keeps its first 23 and an 8-digit hash of the rest,
/// so two long names that share a beginning stay apart). Computed once.
public let temporaryHostTag: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    let name = gethostname(&buffer, buffer.count - 1) == 0
        ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    var safe = String(String.UnicodeScalarView(name.unicodeScalars.map {
        ($0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-")) ? $0 : "-"
    }))
    if safe.isEmpty { safe = "localhost" }
    guard safe.utf8.count > 32 else { return safe }
    var hash: UInt32 = 2_166_136_261  // FNV-1a of the whole name
    for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    let hex = String(hash, radix: 16)
    return String(safe.prefix(23)) + "-" + String(repeating: "0", count: 8 - hex.count) + hex
}()

/// Who made a temporary: `<host>.<pid>` of this process, the part after a temporary's prefix.
public func temporaryOwnerTag() -> String { "\(temporaryHostTag).\(getpid())" }

/// A fresh temporary path beside `path`, `<folder>/.<name>.<marker>-<host>.<pid>-<8 hex digits>`,
/// after removing the temporaries of `path` that killed runs of this host left behind. The
/// random part keeps two writers of one path in the same process apart.
public func claimTemporaryPath(besides path: String, marker: String = "partial") -> String {
    let (folder, name) = splitFolderAndName(path)
    let prefix = ".\(name).\(marker)-"
    removeStaleTemporaries(in: folder, prefix: prefix)
    let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    return (folder == "/" ? "" : folder) + "/" + prefix + temporaryOwnerTag() + "-"
        + String(repeating: "0", count: 8 - random.count) + random
}

/// Removes the entries of `folder` named `prefix` + `<host>.<pid>` (optionally followed by `-` and
/// anything) whose host is this one and whose process `<pid>` is not running, and those of the
/// older shape `prefix` + `<pid>` (optionally `-<digits>`) whose process is not running; never this
/// process's own. Returns the names removed. Nothing is reported: a name that cannot be removed is
/// left as it was.
@discardableResult
public func removeStaleTemporaries(in folder: String, prefix: String) -> [String] {
    guard !prefix.isEmpty, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    var removed: [String] = []
    for name in names where name.hasPrefix(prefix) {
        guard let pid = temporaryOwner(Substring(name.utf8.dropFirst(prefix.utf8.count))), pid != getpid() else { continue }
        guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
        if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed.append(name) }
    }
    return removed
}

/// The pid of the process of this host that made a temporary whose name ends in `rest` (what
/// follows the prefix), or nil if another host made it or the name is not of a temporary's shape.
func temporaryOwner(_ rest: Substring) -> Int32? {
    func pid(_ digits: Substring) -> Int32? {
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int32(digits), value > 0 else { return nil }
        return value
    }
    if let dot = rest.firstIndex(of: ".") {
        // `<host>.<pid>` or `<host>.<pid>-<anything>`.
        guard rest[..<dot] == temporaryHostTag else { return nil }
        let afterDot = rest[rest.index(after: dot)...]
        return pid(afterDot.prefix { $0 != "-" })
    }
    // The older `<pid>` or `<pid>-<digits>`: no dot, digits only.
    let parts = rest.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
    if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) { return nil }
    return pid(parts[0])
}

/// `path`'s folder ("." when it has none) and last component.
public func splitFolderAndName(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let folder = String(path[..<slash])
    return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
}
