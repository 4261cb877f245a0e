// The run folder and the stage folders: taken before anything runs, cleared into the result
// cache or put aside before an attempt, and given back their previous result after a failure.
// Only folders the runner made get here (RunFolderState); what it did not make is refused or
// moved aside, never deleted.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension PipelineRunner {
    /// Before anything runs: the folder is the runner's (or adopted), no stage of an earlier run
    /// is still running in it, and no stage folder it did not make is in the way.
    func takeRunFolder() throws {
        let folder = plan.run.folder
        var state = try RunFolderState.load(folder: folder, stageNames: plan.stages.map(\.name), adopt: options.adopt)
        folderLock = try RunFolderLock(folder: folder)
        for (name, attempt) in state.attempts.sorted(by: { $0.key < $1.key }) {
            guard let s = plan.stages.firstIndex(where: { $0.name == name }) else { continue }
            if processIsRunning(attempt.pid, executable: plan.stages[s].description.executable) {
                throw SpecError(file: folder, path: "", message: "stage '\(name)' of an earlier hz-pipeline run is still running as pid \(attempt.pid) (its runner was stopped); stop it with `kill -- -\(attempt.pid)` or wait for it to end, then run again")
            }
        }
        // Both just made (a folder the runner did not make was refused above, unless adopted).
        state.created.formUnion([".hyperzoo-run.lock", RunFolderState.fileName, SlurmRecord.fileName])
        var problems: [SpecError] = []
        let own = ["logs", PipelinePlan.specFileName, "pipeline.lock.json"] + (plan.run.base == folder ? [".hyperzoo-state.json", ".hyperzoo-cache"] : [])
        for name in own {
            do { try state.claim(name, displace: options.adopt, reason: "move it away, or pass --adopt to have it moved aside") } catch let e as SpecError { problems.append(e) }
        }
        for stage in plan.stages {
            let forced = options.force.contains(stage.name)
            do {
                try state.claim(stage.name, displace: options.adopt || forced,
                                reason: "it would hold stage '\(stage.name)': move it away, or pass --force \(stage.name) (or --adopt) to have it moved aside to \(folder)/\(RunFolderState.displacedFolder)/")
            } catch let e as SpecError { problems.append(e) }
        }
        if !problems.isEmpty { throw SpecErrors(problems) }
        try state.save()
        folderState = state
    }

    /// Moves whatever the stage folder holds out of the way: a finished result into the result
    /// cache, an unfinished attempt aside (to resume later). Only the runner's own folders get here.
    func clearStageFolder(_ s: Int) throws {
        let name = plan.stages[s].name, folder = stageFolder(s)
        guard FileManager.default.fileExists(atPath: folder) else { return }
        if let attempt = folderState?.attempts[name] {
            try? FileManager.default.removeItem(atPath: cache.attemptFolder(name, attempt.key))  // an older attempt of ours
            try cache.stashAttempt(folder: folder, stage: name, key: attempt.key)
            folderState?.attempts[name] = nil
        } else if let entry = lock.stages[name] {
            try cache.store(folder: folder, entry: entry, stage: name)
        } else {
            // Made by an earlier runner version, which left no record of what is in it.
            try cache.stashAttempt(folder: folder, stage: name, key: "unrecorded-\(Int(Date().timeIntervalSince1970))")
        }
        try folderState?.save()
    }

    /// Gets the stage folder ready for an attempt with `key`: the previous result goes to the
    /// cache, an interrupted attempt with the same key comes back (the stage resumes its partial
    /// files), and the declared outputs are not there (every stage refuses to replace one).
    func prepareStageFolder(_ s: Int, key: String) throws {
        let name = plan.stages[s].name, folder = stageFolder(s)
        let sameAttempt = folderState?.attempts[name]?.key == key
        if !sameAttempt {
            if lock.stages[name] == nil && folderState?.attempts[name] == nil && FileManager.default.fileExists(atPath: folder) {
                // Unrecorded (an earlier runner version stopped here): keep it, the stage may resume it.
            } else {
                try clearStageFolder(s)
            }
            try cache.resumeAttempt(folder: folder, stage: name, key: key)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for path in plan.stages[s].outputs.values where path != "-" {
            // Only an unfinished attempt of this runner is in the folder now: its outputs are not results.
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        folderState?.attempts[name] = (key, 0)
        try folderState?.save()
    }

    /// After a failed attempt: the attempt is put aside for a later resume and the stage folder
    /// gets back the result the lock records, so a failure never costs a good output.
    func giveBackPreviousResult(_ s: Int) {
        let name = plan.stages[s].name, folder = stageFolder(s)
        guard let attempt = folderState?.attempts[name] else { return }
        guard let entry = lock.stages[name], let found = cache.lookup(stage: name, key: entry.key) else { return }
        do {
            try? FileManager.default.removeItem(atPath: cache.attemptFolder(name, attempt.key))
            if FileManager.default.fileExists(atPath: folder) { try cache.stashAttempt(folder: folder, stage: name, key: attempt.key) }
            folderState?.attempts[name] = nil
            lock.stages[name] = try cache.restore(found, stage: name, into: folder)
            try folderState?.save()
            say("      \(name): its previous result is back in \(folder) (the failed attempt is kept for a resume)")
        } catch {
            say("      \(name): could not put its previous result back: \(error)")
        }
    }

}
