// A later call settles an earlier submission: while any of its jobs is queued or running the run
// folder is refused; once all ended, each stage whose job wrote exit status 0 and whose outputs
// are there goes into the lock, a failed, cancelled or killed one is reported with the log that
// says why and gives back its previous result, and the record (<run>/.hyperzoo-slurm.json) moves
// into logs/. `hz-pipeline status` also shows the jobs' states without taking the run folder.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension PipelineRunner {
    /// The state of each recorded stage's jobs, without taking the run folder: nil when there is
    /// no record. Stage name → (job ids, Slurm state or "exit N" from its status file).
    public func slurmJobStates(_ slurm: SlurmClient?) throws -> [(stage: String, jobs: String, state: String)]? {
        guard let record = try SlurmRecord.read(folder: plan.run.folder) else { return nil }
        let states = try slurm?.states(of: record.jobs) ?? [:]
        return plan.order.compactMap { s -> (String, String, String)? in
            let name = plan.stages[s].name
            guard let entry = record.stages[name] else { return nil }
            let active = entry.jobs.compactMap { states[$0] }.first(where: SlurmClient.activeStates.contains)
            let state = active ?? SlurmRecord.exitStatus(entry.exitFile).map { $0 == 0 ? "COMPLETED" : "FAILED (exit \($0))" }
                ?? entry.jobs.compactMap { states[$0] }.last ?? "unknown to Slurm (ended long ago, or never started)"
            return (name, entry.shardJob.map { "\($0) (\(entry.shards ?? 0) shards), \(entry.job)" } ?? entry.job, state)
        }
    }

    /// `hz-pipeline status`: takes the run folder and records the jobs of the last submission
    /// if they all ended (throws while any is queued or running; nothing to do without a record).
    public func recordEndedSlurmJobs(_ slurm: SlurmClient?) throws -> RunSummary {
        var summary = RunSummary(lockPath: plan.lockPath)
        defer { folderLock = nil }
        try takeRunFolder()
        try settleSlurmJobs(slurm, into: &summary)
        return summary
    }

    /// Records the outcome of an earlier submission, when all its jobs ended: each stage whose
    /// job wrote exit status 0 and whose outputs are there goes into the lock (its key from the
    /// inputs as they are now, which its job read); a failed one gives back its previous result.
    /// Throws while any job is queued or running. The record moves to logs/slurm-<first job>.json.
    func settleSlurmJobs(_ slurm: SlurmClient?, into summary: inout RunSummary) throws {
        let folder = plan.run.folder
        guard let record = try SlurmRecord.read(folder: folder) else { return }
        let states: [String: String]
        do { states = try slurm?.states(of: record.jobs) ?? [:] } catch {
            throw SpecError(file: folder, path: "", message: "stages of this run folder were submitted to Slurm (\(SlurmRecord.fileName)), but Slurm cannot be asked whether they ended: \(error)")
        }
        try refuseUnlessEnded(record, states: states, askedSlurm: slurm != nil)
        say("Slurm jobs submitted \(record.submitted) have ended:")
        var keys: [Int: String] = [:]
        var stopped = Set<Int>()
        for s in plan.order {
            guard let entry = record.stages[plan.stages[s].name] else { continue }
            let (outcome, endedJob) = try endedOutcome(s, entry, states: states, keys: &keys, stopped: stopped, summary: &summary)
            summary.outcomes[plan.stages[s].name] = outcome
            reportEnded(s, outcome, entry, endedJob: endedJob, summary: summary)
            if case .ran = outcome { continue }
            stopped.insert(s)
            giveBackPreviousResult(s)
        }
        try lock.write(to: plan.lockPath)
        try folderState?.save()
        digester.save()
        try keepInLogs(record)
    }

    /// Throws while a job of `record` is queued or running, or when Slurm could not be asked
    /// (`askedSlurm` false) and a stage has no exit status file yet.
    private func refuseUnlessEnded(_ record: SlurmRecord, states: [String: String], askedSlurm: Bool) throws {
        let folder = plan.run.folder
        var busy: [String] = [], unknown: [String] = []
        for (name, entry) in record.stages.sorted(by: { $0.key < $1.key }) {
            if let job = entry.jobs.first(where: { states[$0].map(SlurmClient.activeStates.contains) ?? false }) {
                busy.append("\(name) (job \(job), \(states[job]!))")
            } else if !askedSlurm && SlurmRecord.exitStatus(entry.exitFile) == nil {
                unknown.append("\(name) (job \(entry.job))")
            }
        }
        if !busy.isEmpty {
            throw SpecError(file: folder, path: "", message: "stages submitted to Slurm are still queued or running: \(busy.joined(separator: ", ")); wait for them (hz-pipeline status shows them) or cancel them (scancel \(record.jobs.joined(separator: " "))), then run again")
        }
        if !unknown.isEmpty {
            throw SpecError(file: folder, path: "", message: "stages were submitted to Slurm and have not finished, and squeue is not on PATH to ask about them: \(unknown.joined(separator: ", ")); run this where Slurm's tools are")
        }
    }

    /// How stage `s`'s job ended, and the job to name when it died without a status. A finished
    /// stage is recorded in the lock here; the Slurm state of a cancelled or killed one goes into
    /// `summary.slurmStates`.
    private func endedOutcome(_ s: Int, _ entry: SlurmRecord.Stage, states: [String: String], keys: inout [Int: String],
                              stopped: Set<Int>, summary: inout RunSummary) throws -> (RunSummary.Outcome, endedJob: String) {
        let stage = plan.stages[s]
        if let status = SlurmRecord.exitStatus(entry.exitFile), status == 0 {
            return (try recordFinished(s, keys: &keys), entry.job)
        } else if let status = SlurmRecord.exitStatus(entry.exitFile) {
            return (.failed(status: status, log: plan.logPath(stage)), entry.job)
        } else if let (shard, status) = failedShard(stage.name, entry) {
            // A shard failed, so Slurm cancelled the merge: the shard's log says why.
            return (.failed(status: status, log: plan.logFolder + "/\(stage.name).shard-\(shard).log"), entry.job)
        } else if let cause = stage.dependencies.first(where: stopped.contains) {
            summary.slurmStates[stage.name] = entry.jobs.compactMap { states[$0] }.last ?? "CANCELLED"
            return (.notRun(blockedBy: plan.stages[cause].name), entry.job)
        }
        // Killed before its script could record a status: time limit, scancel, node failure.
        let bad = entry.jobs.first { states[$0].map { $0 != "COMPLETED" } ?? false }
        let endedJob = bad ?? entry.job
        summary.slurmStates[stage.name] = bad.flatMap { states[$0] } ?? "unknown (Slurm no longer knows the job)"
        // The array's tasks have their own Slurm output files.
        let log = endedJob == entry.shardJob ? plan.logFolder + "/\(stage.name).shard-*.slurm.out" : entry.slurmLog
        return (.failed(status: -1, log: log), endedJob)
    }

    /// A stage whose job wrote exit status 0: into the lock and the result cache when every
    /// output is there (its key from the inputs as they are now), else failed with status 0.
    private func recordFinished(_ s: Int, keys: inout [Int: String]) throws -> RunSummary.Outcome {
        let stage = plan.stages[s]
        let (key, digests, _) = try cacheKey(s, keys: keys, changed: [])
        keys[s] = key
        var outputs: [String: (path: String, digest: String)] = [:]
        for (name, path) in stage.outputs where path != "-" {
            guard let digest = try digester.digest(of: path) else {
                say("error: \(stage.name) did not write its output '\(name)' (\(path)); see \(plan.logPath(stage))")
                return .failed(status: 0, log: plan.logPath(stage))
            }
            outputs[name] = (path, digest)
        }
        let lockEntry = LockEntry(key: key, operatorName: stage.spec.operatorName, tool: stage.description.toolDigest,
                                  params: stage.params, inputs: digests, outputs: outputs, args: stage.spec.args)
        lock.stages[stage.name] = lockEntry
        try cache.register(lockEntry, stage: stage.name, folder: stageFolder(s))
        folderState?.attempts[stage.name] = nil
        return .ran(seconds: Self.secondsInLog(plan.logPath(stage)))
    }

    /// The progress lines of one ended stage.
    private func reportEnded(_ s: Int, _ outcome: RunSummary.Outcome, _ entry: SlurmRecord.Stage, endedJob: String, summary: RunSummary) {
        switch outcome {
        case .failed(let status, let log) where status == -1:
            say("\(stageLabel(s))  FAILED: Slurm job \(endedJob) ended as \(summary.slurmStates[plan.stages[s].name]!) before the stage finished; Slurm's output: \(log)")
            for line in tail(of: log, lines: 4) { say("    | \(line)") }
        case .notRun(let cause):
            say("\(stageLabel(s))  not run: Slurm cancelled job \(entry.job) because '\(cause)' failed")
        default:
            report(s, outcome, label: stageLabel)
        }
    }

    /// Moves the record into the logs (the runner's own folder), out of the way of the next
    /// submission and kept for the record.
    private func keepInLogs(_ record: SlurmRecord) throws {
        let path = SlurmRecord.path(folder: plan.run.folder)
        let kept = plan.logFolder + "/slurm-\(record.jobs.first ?? "jobs").json"
        try? FileManager.default.removeItem(atPath: kept)
        guard rename(path, kept) == 0 else {
            throw SpecError(file: path, path: "", message: "cannot move it to \(kept): \(String(cString: strerror(errno)))")
        }
    }

    /// The first shard of a sharded stage whose task wrote a non-zero exit status.
    private func failedShard(_ stage: String, _ entry: SlurmRecord.Stage) -> (Int, Int32)? {
        for i in 0..<(entry.shards ?? 0) {
            if let status = SlurmRecord.exitStatus(plan.logFolder + "/\(stage).shard-\(i).exit"), status != 0 { return (i, status) }
        }
        return nil
    }

    /// The seconds a job script wrote in the log's last line ("# exit status 0 after 12 s ...").
    static func secondsInLog(_ path: String) -> Double {
        guard let line = tail(of: path, lines: 1).first, let after = line.range(of: " after ") else { return 0 }
        return Double(line[after.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? 0
    }
}
