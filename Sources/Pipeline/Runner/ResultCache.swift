// The content-addressed store of stage results, shared by every run of a spec (all points of a
// matrix sweep): <base>/.hyperzoo-cache/<stage>/<key>.json records a finished result (its lock
// entry, output paths relative to the stage folder) and where complete copies of it are: a run's
// stage folder, or <base>/.hyperzoo-cache/<stage>/<key>/ once a run replaced it. So a stage whose
// command, inputs and tool did not change never runs again, whatever ran in between (DVC's and
// Snakemake's caches work the same way), and sweep points share the stages they have in common.
//
// Nothing is copied: a result leaves a run folder by rename, comes back by rename, and is shared
// with another run folder by hard links (files are only ever replaced by rename, never written in
// place, so a link cannot be changed behind the other run's back). A failed attempt is kept as
// attempt-<key>/ so its stage can resume.
import FileIO
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// One stage's stored results.
struct ResultCache {
    let root: String
    let digester: ContentDigester

    init(base: String, digester: ContentDigester) {
        root = base + "/.hyperzoo-cache"
        self.digester = digester
    }

    private func indexPath(_ stage: String, _ key: String) -> String { "\(root)/\(stage)/\(key).json" }
    func storedFolder(_ stage: String, _ key: String) -> String { "\(root)/\(stage)/\(key)" }
    func attemptFolder(_ stage: String, _ key: String) -> String { "\(root)/\(stage)/attempt-\(key)" }

    /// A cached result: its lock entry (output paths relative to the stage folder) and locations.
    struct Record {
        var entry: LockEntry
        var locations: [String]
    }

    func record(_ stage: String, _ key: String) -> Record? {
        guard let node = try? JSONValue.read(path: indexPath(stage, key)), let entryNode = node["entry"],
              let entry = LockEntry(json: entryNode) else { return nil }
        return Record(entry: entry, locations: (node["locations"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    private func write(_ stage: String, _ record: Record) throws {
        let node = JSONValue.object(["entry": record.entry.json, "locations": .array(record.locations.map { .string($0) })])
        try writeFileAtomically(node.pretty, to: indexPath(stage, record.entry.key))
    }

    private func relativeEntry(_ entry: LockEntry, _ folder: String) -> LockEntry {
        var relative = entry
        relative.outputs = entry.outputs.mapValues { (Self.relativePath($0.path, in: folder), $0.digest) }
        return relative
    }

    /// Records that `folder` (a stage folder) holds the finished result `entry` (outputs at paths
    /// inside `folder`).
    func register(_ entry: LockEntry, stage: String, folder: String) throws {
        let relative = relativeEntry(entry, folder)
        var record = self.record(stage, entry.key) ?? Record(entry: relative, locations: [])
        record.entry = relative
        if !record.locations.contains(folder) { record.locations.append(folder) }
        try write(stage, record)
    }

    /// Moves a finished result out of a stage folder into the store (the stage is about to run
    /// with another key, or another result is coming back).
    func store(folder: String, entry: LockEntry, stage: String) throws {
        try register(entry, stage: stage, folder: folder)
        let target = storedFolder(stage, entry.key)
        if FileManager.default.fileExists(atPath: target) {
            // The store already holds this key (a sweep point shared it): one copy is enough, and
            // both are the runner's own. Keep the intact one.
            if intact(relativeEntry(entry, folder), at: target) {
                try FileManager.default.removeItem(atPath: folder)
            } else {
                try FileManager.default.removeItem(atPath: target)
                try move(folder, to: target)
            }
        } else {
            try move(folder, to: target)
        }
        guard var record = record(stage, entry.key) else { return }
        record.locations = record.locations.map { $0 == folder ? target : $0 }
        try write(stage, record)
    }

    /// Puts an unfinished attempt aside (moved, so its partial files can be resumed later).
    func stashAttempt(folder: String, stage: String, key: String) throws {
        try move(folder, to: attemptFolder(stage, key))
    }

    /// Brings back an attempt of `key` into `folder` if one was put aside.
    func resumeAttempt(folder: String, stage: String, key: String) throws {
        let attempt = attemptFolder(stage, key)
        if FileManager.default.fileExists(atPath: attempt) && !FileManager.default.fileExists(atPath: folder) {
            try move(attempt, to: folder)
        }
    }

    /// A complete copy of result `key` whose outputs still have their recorded digests, if any.
    func lookup(stage: String, key: String) -> (record: Record, location: String)? {
        guard let record = record(stage, key) else { return nil }
        for location in record.locations where intact(record.entry, at: location) {
            return (record, location)
        }
        return nil
    }

    private func intact(_ entry: LockEntry, at location: String) -> Bool {
        entry.outputs.values.allSatisfy { output in
            ((try? digester.digest(of: location + "/" + output.path)) ?? nil) == output.digest
        }
    }

    /// Brings result `found` into the empty stage `folder`: by rename from the store, by hard
    /// links from another run's folder. Returns the lock entry with paths inside `folder`.
    func restore(_ found: (record: Record, location: String), stage: String, into folder: String) throws -> LockEntry {
        var record = found.record
        if found.location == storedFolder(stage, record.entry.key) {
            try move(found.location, to: folder)
            record.locations.removeAll { $0 == found.location }
        } else {
            try link(found.location, to: folder)
        }
        if !record.locations.contains(folder) { record.locations.append(folder) }
        try write(stage, record)
        var entry = record.entry
        entry.outputs = record.entry.outputs.mapValues { (folder + "/" + $0.path, $0.digest) }
        return entry
    }

    /// Hard-links every file of `source` into a new folder `target` (copies across file systems);
    /// digests known for the source files are known for the links.
    private func link(_ source: String, to target: String) throws {
        let partial = claimTemporaryPath(besides: target)  // and removes what killed runs of this host left
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        let enumerator = FileManager.default.enumerator(atPath: source)
        while let relative = enumerator?.nextObject() as? String {
            let from = source + "/" + relative, to = partial + "/" + relative
            var info = stat()
            guard lstat(from, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
            case S_IFREG:
                if Glibc.link(from, to) != 0 { try FileManager.default.copyItem(atPath: from, toPath: to) }
            default: continue
            }
        }
        try move(partial, to: target)
        let copied = FileManager.default.enumerator(atPath: target)
        while let relative = copied?.nextObject() as? String {
            digester.adopt(target + "/" + relative, from: source + "/" + relative)
        }
    }

    /// Renames `source` to `target` (creating the parent); `target` must not exist.
    func move(_ source: String, to target: String) throws {
        try Self.move(source, to: target)
        digester.moved(from: source, to: target)
    }

    private static func move(_ source: String, to target: String) throws {
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: target) {
            throw SpecError(file: target, path: "", message: "cannot move \(source) there: it already exists (remove the result cache entry by hand if it is damaged)")
        }
        guard rename(source, target) == 0 else {
            throw SpecError(file: source, path: "", message: "cannot move it to \(target): \(String(cString: strerror(errno)))")
        }
    }

    static func relativePath(_ path: String, in folder: String) -> String {
        path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
    }
}
