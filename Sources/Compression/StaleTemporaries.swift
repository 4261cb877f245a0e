#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
// Temporaries a killed run left behind. Writers build their output under a name that carries
// their process id (`.pop.tar.zst.partial-<pid>-<random>`, `exported.partial-<pid>`) and rename
// it into place when it is complete; kill -9 leaves that temporary behind, and the next run,
// having another pid, would never look at it again. Before a writer creates its temporary it
// removes the ones of its own output whose process no longer exists. Only names of exactly that
// shape are touched (no one else makes them), and never one whose process is alive. This file
// lives beside RegularFile.swift: Compression is the lowest room every file writer shares.

/// Removes the entries of `folder` named `prefix` + `<pid>` (optionally followed by `-` and
/// anything) whose process `<pid>` is not running on this machine, and that are not this
/// process's own. Returns the names removed. Nothing is reported: a name that cannot be removed
/// is left as it was.
@discardableResult
public func removeStaleTemporaries(in folder: String, prefix: String) -> [String] {
    guard !prefix.isEmpty, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    var removed: [String] = []
    for name in names where name.hasPrefix(prefix) {
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, digits.count == rest.count || rest[digits.endIndex] == "-",
              let pid = Int32(digits), pid > 0, pid != getpid() else { continue }
        guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
        if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed.append(name) }
    }
    return removed
}
