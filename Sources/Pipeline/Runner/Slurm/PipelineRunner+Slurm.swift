// `hz-pipeline run --executor slurm`: the plan's stale stages go to Slurm instead of this
// machine. One sbatch job per stage (a streamed chain is one job: its pipes cannot cross jobs),
// chained with --dependency=afterok and --kill-on-invalid-dep=yes so a failed stage's
// dependents are cancelled by Slurm itself; a sharded stage (an operator with --shard, asked
// for with --shards) becomes a job array of shards plus a merge job. Cache and lock semantics
// are the local executor's, on the shared filesystem: cached stages are not submitted, the
// run folder is taken with the same lock, and the submitted jobs are recorded in
// <run>/.hyperzoo-slurm.json until a later call (status, a second submit, a local run) finds
// them all ended, reads each job's exit status file and records the finished stages in the lock.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// sbatch settings and the shape of the submission.
public struct SlurmSubmitOptions: Sendable {
    public var partition: String?
    /// sbatch --time (e.g. 2:00:00).
    public var time: String?
    public var cpusPerTask: Int?
    /// More sbatch arguments, given to every job as they are (e.g. --account=x, --mem=4G).
    public var extraArguments: [String]
    /// Stage name → shard count, for stages whose operator takes --shard; "*" means every such stage.
    public var shards: [String: Int]
    /// Stay until every job ended, then record and report like the local executor.
    public var wait: Bool
    /// Seconds between two looks at the queue while waiting.
    public var pollSeconds: Double
    /// The command that writes a stage's `${upstream_lock}` from its recipe when its job starts
    /// (`hz-pipeline slurm-upstream-lock`; RECIPE and LOCK are appended). Without it, a stage
    /// reading `${upstream_lock}` whose upstream stages are submitted with it is refused.
    public var upstreamLockCommand: [String]?

    public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil, extraArguments: [String] = [],
                shards: [String: Int] = [:], wait: Bool = false, pollSeconds: Double = 2, upstreamLockCommand: [String]? = nil) {
        self.partition = partition; self.time = time; self.cpusPerTask = cpusPerTask; self.extraArguments = extraArguments
        self.shards = shards; self.wait = wait; self.pollSeconds = pollSeconds; self.upstreamLockCommand = upstreamLockCommand
    }
}

extension PipelineRunner {
    private var slurmLogFolder: String { plan.logFolder }
    private func exitFile(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).exit" }
    private func slurmLog(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).slurm.out" }

    /// Submits the stages that are not cached; with `wait`, stays until they ended and records
    /// them. Refused while jobs of an earlier submission are queued or running.
    public func submit(to slurm: SlurmClient, options slurmOptions: SlurmSubmitOptions) throws -> RunSummary {
        let start = Date()
        var summary = RunSummary(lockPath: plan.lockPath)
        defer { folderLock = nil }
        try takeRunFolder()
        try FileManager.default.createDirectory(atPath: plan.logFolder, withIntermediateDirectories: true)
        try settleSlurmJobs(slurm, into: &summary)

        // 1. What must run: stale stages, and every stage downstream of one (its inputs are not
        // built yet, so its key is computed when its job has ended).
        var toSubmit: [Int] = []  // units, in order
        var submittedStages = Set<Int>()
        var keys: [Int: String] = [:]
        for u in units.indices {
            let external = Set(units[u].flatMap { plan.stages[$0].dependencies }).subtracting(units[u])
            if external.contains(where: submittedStages.contains) {
                toSubmit.append(u); submittedStages.formUnion(units[u])
                continue
            }
            var stale: [Int] = []
            for s in units[u] {
                let (key, digests, _) = try cacheKey(s, keys: keys, changed: [])
                keys[s] = key
                if staleness(s, key: key, inputDigests: digests) != nil { stale.append(s) }
            }
            let hits = stale.isEmpty ? [:] : try restoreFromResultCache(u, stale: stale, keys: keys, summary: &summary)
            if stale.isEmpty || !hits.isEmpty {
                for s in units[u] {
                    summary.outcomes[plan.stages[s].name] = .cached
                    say("\(stageLabel(s))  cached\(hits[s] != nil ? " (result \(keys[s]!.prefix(12)) restored from the result cache)" : "")")
                }
                continue
            }
            toSubmit.append(u); submittedStages.formUnion(units[u])
        }
        let (shardCounts, needsRecipe) = try checkSlurmSubmission(toSubmit, submitted: submittedStages, options: slurmOptions)
        if toSubmit.isEmpty {
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        }

        // 2. Submit in run order; the record is rewritten after every job, and a failed sbatch
        // cancels what this call queued.
        var record = SlurmRecord(submitted: ISO8601DateFormatter().string(from: Date()))
        var jobOf: [Int: String] = [:]  // stage → the job its dependents wait for
        try writeFileAtomically(plan.spec.document.pretty, to: plan.run.folder + "/" + PipelinePlan.specFileName)
        do {
            for u in toSubmit {
                let external = Set(units[u].flatMap { plan.stages[$0].dependencies }).subtracting(units[u])
                let after = Array(Set(external.compactMap { jobOf[$0] })).sorted()
                let pendingInput = external.contains(where: submittedStages.contains)
                for s in units[u] {
                    try prepareStageFolder(s, key: pendingInput ? "slurm-pending-input" : keys[s]!)
                    unlink(exitFile(s))
                    try writeUpstreamLock(s)
                }
                let key: (Int) -> String? = { pendingInput ? nil : keys[$0] }
                if units[u].count == 1, let n = shardCounts[units[u][0]] {
                    let s = units[u][0]
                    let (array, merge) = try submitSharded(s, shards: n, after: after, slurm: slurm, options: slurmOptions)
                    record.stages[plan.stages[s].name] = SlurmRecord.Stage(job: merge, shardJob: array, shards: n, key: key(s),
                                                                           exitFile: exitFile(s), slurmLog: slurmLog(s))
                    jobOf[s] = merge
                    say("\(stageLabel(s))  submitted as Slurm job array \(array) (\(n) shards) and merge job \(merge)\(after.isEmpty ? "" : ", after \(after.joined(separator: ", "))")")
                } else {
                    var prepare: [Int: [String]] = [:]
                    for s in units[u] where needsRecipe.contains(s) {
                        let recipe = plan.logFolder + "/\(plan.stages[s].name).upstream.json"
                        try writeFileAtomically(UpstreamLockRecipe.make(plan: plan, lock: lock, stage: s, submitted: submittedStages).pretty, to: recipe)
                        prepare[s] = slurmOptions.upstreamLockCommand! + [recipe, PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name)]
                    }
                    let job = try submitUnit(u, after: after, prepare: prepare, slurm: slurm, options: slurmOptions)
                    for s in units[u] {
                        record.stages[plan.stages[s].name] = SlurmRecord.Stage(job: job, key: key(s), exitFile: exitFile(s), slurmLog: slurmLog(units[u][0]))
                        jobOf[s] = job
                        say("\(stageLabel(s))  submitted as Slurm job \(job)\(units[u].count > 1 ? " (one job for the streamed chain \(units[u].map { plan.stages[$0].name }.joined(separator: " | ")))" : "")\(after.isEmpty ? "" : ", after \(after.joined(separator: ", "))"): \(shellLine(Self.resumingIfInterrupted(plan.stages[s])))")
                    }
                }
                for s in units[u] { summary.outcomes[plan.stages[s].name] = .submitted(job: jobOf[s]!) }
                try record.write(folder: plan.run.folder)
            }
        } catch {
            let queued = record.jobs
            slurm.cancel(queued)
            for u in toSubmit { for s in units[u] { giveBackPreviousResult(s) } }
            try? FileManager.default.removeItem(atPath: SlurmRecord.path(folder: plan.run.folder))
            try? folderState?.save()
            throw SpecError(file: plan.run.folder, path: "", message: "\(error)\(queued.isEmpty ? "" : "; the jobs this call had queued were cancelled (\(queued.joined(separator: ", ")))")")
        }
        try folderState?.save()
        say("submitted \(record.jobs.count) Slurm job\(record.jobs.count == 1 ? "" : "s") (\(record.jobs.joined(separator: ", "))); recorded in \(SlurmRecord.path(folder: plan.run.folder))")

        if slurmOptions.wait {
            while try !slurm.states(of: record.jobs).values.filter(SlurmClient.activeStates.contains).isEmpty {
                usleep(UInt32(slurmOptions.pollSeconds * 1_000_000))
            }
            try settleSlurmJobs(slurm, into: &summary)
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// What cannot go to Slurm is refused before anything is queued; returns the shard count of
    /// each stage that becomes a job array, and the stages whose `${upstream_lock}` their job
    /// writes when it starts.
    private func checkSlurmSubmission(_ toSubmit: [Int], submitted: Set<Int>, options: SlurmSubmitOptions) throws -> ([Int: Int], Set<Int>) {
        var problems: [SpecError] = []
        func fail(_ message: String) { problems.append(SpecError(file: plan.spec.file, path: "", message: message)) }
        var counts: [Int: Int] = [:]
        for (name, n) in options.shards.sorted(by: { $0.key < $1.key }) {
            let matching = name == "*" ? plan.stages.indices.filter { plan.stages[$0].description.options["shard"] != nil }
                                       : plan.stages.indices.filter { plan.stages[$0].name == name }
            if matching.isEmpty {
                fail(name == "*" ? "--shards \(n): no stage's operator takes --shard" : "--shards \(name)=\(n): no such stage (stages: \(plan.stages.map(\.name).joined(separator: ", ")))")
            }
            guard n >= 1, n <= 10_000 else { fail("--shards \(name)=\(n): the shard count must be 1...10000"); continue }
            for s in matching {
                let stage = plan.stages[s]
                let files = stage.outputs.filter { $0.value != "-" }
                if stage.description.options["shard"] == nil {
                    fail("--shards \(stage.name)=\(n): operator '\(stage.spec.operatorName)' has no --shard option, so stage '\(stage.name)' cannot be split into a job array")
                } else if stage.params["shard"] != nil || stage.spec.args.contains(where: { $0.hasPrefix("--shard") }) {
                    fail("--shards \(stage.name)=\(n): stage '\(stage.name)' already sets --shard itself")
                } else if files.count != 1 || units[unitOf[s]].count > 1 {
                    fail("--shards \(stage.name)=\(n): stage '\(stage.name)' must write exactly one file and not stream, to be sharded")
                } else if !FileManager.default.isExecutableFile(atPath: Self.mergeTool(for: stage)) {
                    fail("--shards \(stage.name)=\(n): the merge tool \(Self.mergeTool(for: stage)) is missing (it ships beside \(stage.description.executable))")
                } else {
                    counts[s] = n
                }
            }
        }
        var needsRecipe = Set<Int>()
        for u in toSubmit {
            for s in units[u] {
                // ${upstream_lock} lists the upstream stages' lock entries, which exist only once
                // their jobs ended: the job computes them from a recipe when it starts.
                let upstreamLock = PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name)
                guard plan.stages[s].commandLine.contains(where: { $0.contains(upstreamLock) }),
                      plan.ancestors(of: s).contains(where: submitted.contains) else { continue }
                if options.upstreamLockCommand == nil || counts[s] != nil {
                    fail("stage '\(plan.stages[s].name)' reads ${upstream_lock}, which needs its upstream stages' lock entries, but they are being submitted too; submit again once they finished (hz-pipeline status shows when), or run it with --executor local")
                } else {
                    needsRecipe.insert(s)
                }
            }
        }
        if !problems.isEmpty { throw SpecErrors(problems) }
        return (counts, needsRecipe)
    }

    /// `hyperzoo` beside the stage's executable: the shard merge (`hyperzoo merge`).
    static func mergeTool(for stage: PlannedStage) -> String {
        URL(fileURLWithPath: stage.description.executable).deletingLastPathComponent().appendingPathComponent("hyperzoo").path
    }

    /// The arguments every job gets.
    private func sbatchArguments(_ jobName: String, output: String, after: [String], options: SlurmSubmitOptions) -> [String] {
        var arguments = ["--job-name=\(jobName)", "--chdir=\(FileManager.default.currentDirectoryPath)", "--output=\(output)",
                         "--kill-on-invalid-dep=yes"]
        if !after.isEmpty { arguments.append("--dependency=afterok:" + after.joined(separator: ":")) }
        if let partition = options.partition { arguments.append("--partition=\(partition)") }
        if let time = options.time { arguments.append("--time=\(time)") }
        if let cpus = options.cpusPerTask { arguments.append("--cpus-per-task=\(cpus)") }
        return arguments + options.extraArguments
    }

    private func jobName(_ stage: String) -> String { "hz-\(plan.spec.name)-\(stage)" }

    /// One job for unit `u` (a stage, or a streamed chain inside one job).
    /// `prepare`: a command to run before the stage's own (its upstream lock), by stage.
    private func submitUnit(_ u: Int, after: [String], prepare: [Int: [String]], slurm: SlurmClient, options: SlurmSubmitOptions) throws -> String {
        let first = units[u][0]
        let script = plan.logFolder + "/\(plan.stages[first].name).sbatch"
        let text = SlurmJobScript.stages(units[u].map { s in
            (plan.stages[s].name, Self.resumingIfInterrupted(plan.stages[s]), plan.logPath(plan.stages[s]), exitFile(s), prepare[s])
        }, pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder)
        try writeFileAtomically(text, to: script)
        return try slurm.submit(script: script, arguments: sbatchArguments(jobName(plan.stages[first].name), output: slurmLog(first), after: after, options: options))
    }

    /// A job array of `shards` tasks (the stage's command on its shard) and the merge job.
    private func submitSharded(_ s: Int, shards: Int, after: [String], slurm: SlurmClient, options: SlurmSubmitOptions) throws -> (array: String, merge: String) {
        let stage = plan.stages[s]
        let command = Self.resumingIfInterrupted(stage)
        let output = stage.outputs.values.first { $0 != "-" }!
        guard let outputIndex = command.lastIndex(of: output) else {
            throw SpecError(file: plan.spec.file, path: stage.spec.jsonPath, message: "stage '\(stage.name)': its output \(output) is not on its command line, so it cannot be sharded")
        }
        let shardFolder = stageFolder(s) + "/.shards"
        let arrayScript = plan.logFolder + "/\(stage.name).shards.sbatch"
        try writeFileAtomically(SlurmJobScript.shard(stage: stage.name, command: command, outputIndex: outputIndex, shardFolder: shardFolder,
                                                  logFolder: plan.logFolder, pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder),
                             to: arrayScript)
        for i in 0..<shards { unlink(plan.logFolder + "/\(stage.name).shard-\(i).exit") }
        let array = try slurm.submit(script: arrayScript, arguments: ["--array=0-\(shards - 1)"] + sbatchArguments(
            jobName(stage.name), output: plan.logFolder + "/\(stage.name).shard-%a.slurm.out", after: after, options: options))
        let merge = [Self.mergeTool(for: stage), "merge"] + (0..<shards).map { "\(shardFolder)/shard-\($0).h5" } + ["-o", output]
        let mergeScript = plan.logFolder + "/\(stage.name).sbatch"
        try writeFileAtomically(SlurmJobScript.merge(stage: stage.name, command: merge, shardFolder: shardFolder, log: plan.logPath(stage),
                                                  exitFile: exitFile(s), pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder),
                             to: mergeScript)
        var mergeOptions = options
        mergeOptions.cpusPerTask = nil  // the merge copies rows: one CPU
        do {
            let merge = try slurm.submit(script: mergeScript, arguments: sbatchArguments(jobName(stage.name) + "-merge", output: slurmLog(s), after: [array], options: mergeOptions))
            return (array, merge)
        } catch {
            slurm.cancel([array])
            throw error
        }
    }

    /// `${upstream_lock}` as launch() writes it: the lock entries of the stage's ancestors.
    private func writeUpstreamLock(_ s: Int) throws {
        let upstreamNames = Set(plan.ancestors(of: s).map { plan.stages[$0].name })
        var upstream = LockFile(pipeline: lock.pipeline, run: lock.run)
        upstream.stages = lock.stages.filter { upstreamNames.contains($0.key) }
        try upstream.write(to: PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name))
    }

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
        var busy: [String] = [], unknown: [String] = []
        for (name, entry) in record.stages.sorted(by: { $0.key < $1.key }) {
            if let job = entry.jobs.first(where: { states[$0].map(SlurmClient.activeStates.contains) ?? false }) {
                busy.append("\(name) (job \(job), \(states[job]!))")
            } else if slurm == nil && SlurmRecord.exitStatus(entry.exitFile) == nil {
                unknown.append("\(name) (job \(entry.job))")
            }
        }
        if !busy.isEmpty {
            throw SpecError(file: folder, path: "", message: "stages submitted to Slurm are still queued or running: \(busy.joined(separator: ", ")); wait for them (hz-pipeline status shows them) or cancel them (scancel \(record.jobs.joined(separator: " "))), then run again")
        }
        if !unknown.isEmpty {
            throw SpecError(file: folder, path: "", message: "stages were submitted to Slurm and have not finished, and squeue is not on PATH to ask about them: \(unknown.joined(separator: ", ")); run this where Slurm's tools are")
        }
        say("Slurm jobs submitted \(record.submitted) have ended:")
        var keys: [Int: String] = [:]
        var stopped = Set<Int>()
        for s in plan.order {
            let stage = plan.stages[s]
            guard let entry = record.stages[stage.name] else { continue }
            let outcome: RunSummary.Outcome
            var endedJob = entry.job  // the job named when it died without a status
            if let status = SlurmRecord.exitStatus(entry.exitFile), status == 0 {
                let (key, digests, _) = try cacheKey(s, keys: keys, changed: [])
                keys[s] = key
                var outputs: [String: (path: String, digest: String)] = [:]
                var missing: String?
                for (name, path) in stage.outputs where path != "-" {
                    guard let digest = try digester.digest(of: path) else { missing = "\(stage.name) did not write its output '\(name)' (\(path))"; break }
                    outputs[name] = (path, digest)
                }
                if let missing {
                    outcome = .failed(status: 0, log: plan.logPath(stage))
                    say("error: \(missing); see \(plan.logPath(stage))")
                } else {
                    let lockEntry = LockEntry(key: key, operatorName: stage.spec.operatorName, tool: stage.description.toolDigest,
                                              params: stage.params, inputs: digests, outputs: outputs, args: stage.spec.args)
                    lock.stages[stage.name] = lockEntry
                    try cache.register(lockEntry, stage: stage.name, folder: stageFolder(s))
                    folderState?.attempts[stage.name] = nil
                    outcome = .ran(seconds: Self.secondsInLog(plan.logPath(stage)))
                }
            } else if let status = SlurmRecord.exitStatus(entry.exitFile) {
                outcome = .failed(status: status, log: plan.logPath(stage))
            } else if let (shard, status) = failedShard(stage.name, entry) {
                // A shard failed, so Slurm cancelled the merge: the shard's log says why.
                outcome = .failed(status: status, log: plan.logFolder + "/\(stage.name).shard-\(shard).log")
            } else if let cause = stage.dependencies.first(where: stopped.contains) {
                outcome = .notRun(blockedBy: plan.stages[cause].name)
                summary.slurmStates[stage.name] = entry.jobs.compactMap { states[$0] }.last ?? "CANCELLED"
            } else {
                // Killed before its script could record a status: time limit, scancel, node failure.
                let bad = entry.jobs.first { states[$0].map { $0 != "COMPLETED" } ?? false }
                endedJob = bad ?? entry.job
                let state = bad.flatMap { states[$0] } ?? "unknown (Slurm no longer knows the job)"
                summary.slurmStates[stage.name] = state
                // The array's tasks have their own Slurm output files.
                let log = endedJob == entry.shardJob ? plan.logFolder + "/\(stage.name).shard-*.slurm.out" : entry.slurmLog
                outcome = .failed(status: -1, log: log)
            }
            summary.outcomes[stage.name] = outcome
            switch outcome {
            case .ran:
                report(s, outcome, label: stageLabel)
            case .failed(let status, let log) where status == -1:
                say("\(stageLabel(s))  FAILED: Slurm job \(endedJob) ended as \(summary.slurmStates[stage.name]!) before the stage finished; Slurm's output: \(log)")
                for line in tail(of: log, lines: 4) { say("    | \(line)") }
            case .notRun(let cause):
                say("\(stageLabel(s))  not run: Slurm cancelled job \(entry.job) because '\(cause)' failed")
            default:
                report(s, outcome, label: stageLabel)
            }
            if case .ran = outcome { continue }
            stopped.insert(s)
            giveBackPreviousResult(s)
        }
        try lock.write(to: plan.lockPath)
        try folderState?.save()
        digester.save()
        // Kept for the record in the logs (the runner's own folder), out of the way of the next submission.
        let kept = plan.logFolder + "/slurm-\(record.jobs.first ?? "jobs").json"
        try? FileManager.default.removeItem(atPath: kept)
        guard rename(SlurmRecord.path(folder: folder), kept) == 0 else {
            throw SpecError(file: SlurmRecord.path(folder: folder), path: "", message: "cannot move it to \(kept): \(String(cString: strerror(errno)))")
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
