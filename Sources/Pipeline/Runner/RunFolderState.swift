// What the runner owns in a run folder, and what it is doing there. The runner may only ever move
// or remove what it created itself, so it records every top-level path it creates in
// <run>/.hyperzoo-run.json ("created"), and the stage it is running there ("attempts": key and
// pid), so that a killed run is recognised: its half-written stage folder is resumed or put
// aside, never mistaken for a finished result, and a stage process that outlived its runner is
// named instead of failing later on an HDF5 lock.
//
// Run folders made before this file existed have a pipeline.lock.json (or .hyperzoo-state.json):
// the old runner created everything of its own there (logs, spec.json, one folder per stage), so
// those names count as created. A folder with neither file that is not empty belongs to someone
// else: the runner refuses it unless told to adopt it (and even then moves what is in its way
// aside into <run>/.hyperzoo-displaced/, never deleting it).
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// The ownership record and in-progress stages of one run folder.
public struct RunFolderState {
    public static let fileName = ".hyperzoo-run.json"
    public static let format = "hyperzoo.pipeline-run-state"
    public static let displacedFolder = ".hyperzoo-displaced"

    public let folder: String
    /// Top-level names inside the run folder that the runner created.
    public internal(set) var created: Set<String>
    /// Stage name → the attempt in its folder now (cache key and process id).
    public var attempts: [String: (key: String, pid: Int32)]

    var path: String { folder + "/" + Self.fileName }

    /// Reads the state of `folder`. Throws when the folder exists, is not empty and shows no sign
    /// of being a run folder, unless `adopt` is set.
    public static func load(folder: String, stageNames: [String], adopt: Bool) throws -> RunFolderState {
        var state = RunFolderState(folder: folder, created: [], attempts: [:])
        let file = folder + "/" + fileName
        if FileManager.default.fileExists(atPath: file) {
            let node = try JSONValue.read(path: file)
            guard node["format"]?.stringValue == format else {
                throw SpecError(file: file, path: "format", message: "expected \"\(format)\"; this is not a hz-pipeline run folder's state file")
            }
            state.created = Set((node["created"]?.arrayValue ?? []).compactMap(\.stringValue))
            for (name, attempt) in node["attempts"]?.objectValue ?? [:] {
                if let key = attempt["key"]?.stringValue, let pid = attempt["pid"]?.intValue { state.attempts[name] = (key, Int32(pid)) }
            }
            return state
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let legacyMarkers = ["pipeline.lock.json", ".hyperzoo-state.json"]
        if entries.contains(where: legacyMarkers.contains) {
            // Made by a runner of an earlier version: its own names are the runner's.
            state.created = Set(entries).intersection(Set(stageNames + legacyMarkers + ["logs", PipelinePlan.specFileName]))
            return state
        }
        if !entries.isEmpty && !adopt {
            throw SpecError(file: folder, path: "", message: "the run folder exists and was not made by hz-pipeline (no pipeline.lock.json in it); choose another \"output\" (or --output), empty it, or pass --adopt to run into it (what is in the way is moved to \(folder)/\(displacedFolder)/, nothing is deleted)")
        }
        return state
    }

    /// Whether the runner created `name` (a top-level name in the run folder).
    public func owns(_ name: String) -> Bool { created.contains(name) }

    /// Makes sure the runner may write at top-level `name`: creates nothing, but when something
    /// it did not create is there, moves it aside if `displace` is set and throws otherwise.
    /// Records `name` as created.
    public mutating func claim(_ name: String, displace: Bool, reason: String) throws {
        let path = folder + "/" + name
        var info = stat()
        if lstat(path, &info) == 0 && !created.contains(name) {
            guard displace else {
                throw SpecError(file: path, path: "", message: "exists and was not made by hz-pipeline; \(reason)")
            }
            let aside = folder + "/" + Self.displacedFolder
            try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
            var target = aside + "/" + name
            var n = 1
            while FileManager.default.fileExists(atPath: target) { n += 1; target = aside + "/" + name + ".\(n)" }
            guard rename(path, target) == 0 else {
                throw SpecError(file: path, path: "", message: "cannot move it aside to \(target): \(String(cString: strerror(errno)))")
            }
            created.insert(Self.displacedFolder)
        }
        created.insert(name)
    }

    /// Writes the state atomically.
    public func save() throws {
        let attemptNodes = attempts.mapValues { JSONValue.object(["key": .string($0.key), "pid": .number(Double($0.pid))]) }
        let node = JSONValue.object([
            "format": .string(Self.format), "format_version": 1,
            "created": .array(created.sorted().map { .string($0) }),
            "attempts": .object(attemptNodes),
        ])
        try writeFileAtomically(node.pretty, to: path)
    }
}

/// An exclusive lock on a run folder for one runner (flock: released by the kernel when the
/// runner dies, so it is never stale itself), holding the runner's pid for the message.
public final class RunFolderLock {
    private let fd: Int32

    public init(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/.hyperzoo-run.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpecError(file: path, path: "", message: "cannot open: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw SpecError(file: folder, path: "", message: "another hz-pipeline\(holder.isEmpty ? "" : " (pid \(holder))") is running in this run folder; wait for it to finish or stop it\(holder.isEmpty ? "" : " (kill \(holder))"), then run again")
        }
        ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }
}

/// Whether `pid` is alive and runs `executable` (so a reused pid is not mistaken for a stage).
func processIsRunning(_ pid: Int32, executable: String) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    let name = URL(fileURLWithPath: executable).lastPathComponent
    return data.split(separator: 0).prefix(6).contains { String(decoding: $0, as: UTF8.self).hasSuffix(name) }
}
