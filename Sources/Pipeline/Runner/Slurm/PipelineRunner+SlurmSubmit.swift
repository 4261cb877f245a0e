// `hz-pipeline run --executor slurm`: the plan's stale stages go to Slurm instead of this
// machine. One sbatch job per stage (a streamed chain is one job: its pipes cannot cross jobs),
// chained with --dependency=afterok and --kill-on-invalid-dep=yes so a failed stage's
// dependents are cancelled by Slurm itself; a sharded stage (an operator with --shard, asked
// for with --shards) becomes a job array of shards plus a merge job. Cache and lock semantics
// are the local executor's, on the shared filesystem: cached stages are not submitted, the
// run folder is taken with the same lock, and the submitted jobs are recorded in
// <run>/.hyperzoo-slurm.json until a later call (status, a second submit, a local run) finds
// them all ended, reads each job's exit status file and records the finished stages in the lock
// (PipelineRunner+SlurmSettle.swift). This file decides what is submitted and in which order;
// PipelineRunner+SlurmJobs.swift writes and submits each job, PipelineRunner+SlurmChecks.swift
// refuses what cannot go to Slurm.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension PipelineRunner {
    /// What one submit call queues.
    struct SlurmSubmission {
        /// The units (a stage, or a streamed chain) to submit, in run order.
        var units: [Int] = []
        /// Every stage of those units.
        var stages = Set<Int>()
        /// Cache keys of the stages looked at; a stage downstream of a submitted one has none yet.
        var keys: [Int: String] = [:]
        /// Stage → shard count, for the stages that become a job array.
        var shardCounts: [Int: Int] = [:]
        /// Stages whose job writes their `${upstream_lock}` from a recipe when it starts.
        var needsRecipe = Set<Int>()
    }

    /// Submits the stages that are not cached; with `wait`, stays until they ended and records
    /// them. Refused while jobs of an earlier submission are queued or running.
    public func submit(to slurm: SlurmClient, options slurmOptions: SlurmSubmitOptions) throws -> RunSummary {
        let start = Date()
        var summary = RunSummary(lockPath: plan.lockPath)
        defer { folderLock = nil }
        try takeRunFolder()
        try FileManager.default.createDirectory(atPath: plan.logFolder, withIntermediateDirectories: true)
        try settleSlurmJobs(slurm, into: &summary)

        var submission = try unitsToSubmit(summary: &summary)
        (submission.shardCounts, submission.needsRecipe) = try checkSlurmSubmission(submission.units, submitted: submission.stages,
                                                                                    options: slurmOptions)
        if submission.units.isEmpty {
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        }
        let record = try submitJobs(submission, slurm: slurm, options: slurmOptions, summary: &summary)
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

    /// The stages outside unit `u` that it reads from.
    private func externalDependencies(of u: Int) -> Set<Int> {
        Set(units[u].flatMap { plan.stages[$0].dependencies }).subtracting(units[u])
    }

    /// What must run: stale stages, and every stage downstream of one (its inputs are not built
    /// yet, so its key is computed when its job has ended). The others are cached, or restored
    /// from the result cache now.
    private func unitsToSubmit(summary: inout RunSummary) throws -> SlurmSubmission {
        var submission = SlurmSubmission()
        for u in units.indices {
            if externalDependencies(of: u).contains(where: submission.stages.contains) {
                submission.units.append(u); submission.stages.formUnion(units[u])
                continue
            }
            var stale: [Int] = []
            for s in units[u] {
                let (key, digests, _) = try cacheKey(s, keys: submission.keys, changed: [])
                submission.keys[s] = key
                if staleness(s, key: key, inputDigests: digests) != nil { stale.append(s) }
            }
            let keys = submission.keys
            let hits = stale.isEmpty ? [:] : try restoreFromResultCache(u, stale: stale, keys: keys, summary: &summary)
            if stale.isEmpty || !hits.isEmpty {
                for s in units[u] {
                    summary.outcomes[plan.stages[s].name] = .cached
                    say("\(stageLabel(s))  cached\(hits[s] != nil ? " (result \(keys[s]!.prefix(12)) restored from the result cache)" : "")")
                }
                continue
            }
            submission.units.append(u); submission.stages.formUnion(units[u])
        }
        return submission
    }

    /// Submits in run order; the record is rewritten after every job, and a failed sbatch
    /// cancels what this call queued and gives every stage back its previous result.
    private func submitJobs(_ submission: SlurmSubmission, slurm: SlurmClient, options: SlurmSubmitOptions,
                            summary: inout RunSummary) throws -> SlurmRecord {
        var record = SlurmRecord(submitted: ISO8601DateFormatter().string(from: Date()))
        var jobOf: [Int: String] = [:]  // stage → the job its dependents wait for
        try writeFileAtomically(plan.spec.document.pretty, to: plan.run.folder + "/" + PipelinePlan.specFileName)
        do {
            for u in submission.units {
                try submitUnit(u, submission, jobOf: &jobOf, record: &record, slurm: slurm, options: options)
                for s in units[u] { summary.outcomes[plan.stages[s].name] = .submitted(job: jobOf[s]!) }
                try record.write(folder: plan.run.folder)
            }
        } catch {
            let queued = record.jobs
            slurm.cancel(queued)
            for u in submission.units { for s in units[u] { giveBackPreviousResult(s) } }
            try? FileManager.default.removeItem(atPath: SlurmRecord.path(folder: plan.run.folder))
            try? folderState?.save()
            throw SpecError(file: plan.run.folder, path: "", message: "\(error)\(queued.isEmpty ? "" : "; the jobs this call had queued were cancelled (\(queued.joined(separator: ", ")))")")
        }
        return record
    }

    /// Unit `u`'s job (or job array and merge job), after the jobs of the stages it reads from;
    /// its stage folders are made ready first, and each stage goes into `record` and `jobOf`.
    private func submitUnit(_ u: Int, _ submission: SlurmSubmission, jobOf: inout [Int: String], record: inout SlurmRecord,
                            slurm: SlurmClient, options: SlurmSubmitOptions) throws {
        let external = externalDependencies(of: u)
        let after = Array(Set(external.compactMap { jobOf[$0] })).sorted()
        let pendingInput = external.contains(where: submission.stages.contains)
        for s in units[u] {
            try prepareStageFolder(s, key: pendingInput ? "slurm-pending-input" : submission.keys[s]!)
            unlink(exitFile(s))
            try writeUpstreamLock(s)
        }
        let key: (Int) -> String? = { pendingInput ? nil : submission.keys[$0] }
        let waitsFor = after.isEmpty ? "" : ", after \(after.joined(separator: ", "))"
        if units[u].count == 1, let n = submission.shardCounts[units[u][0]] {
            let s = units[u][0]
            let (array, merge) = try submitSharded(s, shards: n, after: after, slurm: slurm, options: options)
            record.stages[plan.stages[s].name] = SlurmRecord.Stage(job: merge, shardJob: array, shards: n, key: key(s),
                                                                   exitFile: exitFile(s), slurmLog: slurmLog(s))
            jobOf[s] = merge
            say("\(stageLabel(s))  submitted as Slurm job array \(array) (\(n) shards) and merge job \(merge)\(waitsFor)")
            return
        }
        var prepare: [Int: [String]] = [:]
        for s in units[u] where submission.needsRecipe.contains(s) {
            prepare[s] = try writeUpstreamLockRecipe(s, submitted: submission.stages, options: options)
        }
        let job = try submitJob(u, after: after, prepare: prepare, slurm: slurm, options: options)
        let chain = units[u].count > 1 ? " (one job for the streamed chain \(units[u].map { plan.stages[$0].name }.joined(separator: " | ")))" : ""
        for s in units[u] {
            record.stages[plan.stages[s].name] = SlurmRecord.Stage(job: job, key: key(s), exitFile: exitFile(s), slurmLog: slurmLog(units[u][0]))
            jobOf[s] = job
            say("\(stageLabel(s))  submitted as Slurm job \(job)\(chain)\(waitsFor): \(shellLine(Self.resumingIfInterrupted(plan.stages[s])))")
        }
    }
}
