// Runs a checked plan: each stage as its own hz-* process, chains of streamed stages joined by real
// pipes, independent stages in parallel within --jobs. A stage is skipped when its cache key
// (operator, tool digest, params, input digests) matches the lock and its outputs are intact, or
// when the result cache (ResultCache) holds a result for that key from an earlier run or another
// sweep point. After each successful stage the lock is rewritten, so a failed run resumes where
// it stopped. A failure stops the stages that depend on it; finished outputs stay, and a stage
// that fails gives back the result it replaced.
//
// The runner only ever moves or removes what it created (RunFolderState): a run folder or stage
// folder it did not make is refused, or with --adopt / --force STAGE moved aside, never deleted.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// How to run.
public struct RunOptions: Sendable {
    /// Processes at most at once (a streamed chain counts one per stage, but always may start alone).
    public var jobs: Int
    /// Stages to run even when cached (their folders are taken over even if the runner did not make them).
    public var force: Set<String>
    /// Only say what would run and why.
    public var dryRun: Bool
    /// Run into an existing folder the runner did not make, moving what is in its way aside.
    public var adopt: Bool
    /// Ask stages for their progress (HYPERZOO_PROGRESS_FILE) and report it every half second.
    public var reportsProgress: Bool

    public init(jobs: Int = 2, force: Set<String> = [], dryRun: Bool = false, adopt: Bool = false, reportsProgress: Bool = false) {
        self.jobs = max(1, jobs)
        self.force = force
        self.dryRun = dryRun
        self.adopt = adopt
        self.reportsProgress = reportsProgress
    }
}

/// What happened to each stage.
public struct RunSummary: Sendable {
    public enum Outcome: Equatable, Sendable {
        case ran(seconds: Double)
        case cached
        case wouldRun(reason: String)
        case failed(status: Int32, log: String)
        case notRun(blockedBy: String)
        /// Queued in Slurm (`--executor slurm`): the job running it.
        case submitted(job: String)
    }
    public var outcomes: [String: Outcome] = [:]
    /// A failed stage → the stage of its streamed chain that failed first and caused it (its pipe
    /// closed or its stream ended early).
    public var failureCauses: [String: String] = [:]
    /// Stages whose result came from the result cache (an earlier run or another sweep point).
    public var restored: [String] = []
    public var lockPath: String
    public var seconds: Double = 0
    /// `--executor slurm`: how each stage's job ended when it left no exit status (TIMEOUT,
    /// CANCELLED, NODE_FAIL, or "unknown" once Slurm forgot it).
    public var slurmStates: [String: String] = [:]

    public var failed: [String] { outcomes.filter { if case .failed = $0.value { return true }; return false }.keys.sorted() }
    /// Failed stages that caused their failure themselves, sorted.
    public var failedFirst: [String] { failed.filter { failureCauses[$0] == nil } }
    public var ran: [String] { outcomes.filter { if case .ran = $0.value { return true }; return false }.keys.sorted() }
    public var cached: [String] { outcomes.filter { $0.value == .cached }.keys.sorted() }
    public var succeeded: Bool { failed.isEmpty && !outcomes.values.contains { if case .notRun = $0 { return true }; return false } }
}

/// A running stage, as the progress report shows it.
public struct StageProgress: Sendable {
    /// `[2/5] train`.
    public var label: String
    public var elapsed: Double
    /// The stage's own progress line (bar, count, rate, ETA), empty until it reports one.
    public var progress: String
}

/// Executes a plan.
public final class PipelineRunner {
    public let plan: PipelinePlan
    public let options: RunOptions
    // Internal, not private: the Slurm executor (Slurm/PipelineRunner+Slurm.swift) shares them.
    let say: (String) -> Void
    let digester: ContentDigester
    let cache: ResultCache
    var lock: LockFile
    var folderState: RunFolderState?
    var folderLock: RunFolderLock?
    /// Stage index → streamed chain (unit) index.
    var unitOf: [Int] = []
    /// Maximal chains of stages linked by streams, in the order of their first stage.
    var units: [[Int]] = []
    /// Receives the running stages' progress every half second while stages run.
    public var onProgress: (([StageProgress]) -> Void)?

    /// - Parameter say: receives each progress line (the CLI prints them).
    public init(plan: PipelinePlan, options: RunOptions, say: @escaping (String) -> Void) throws {
        self.plan = plan
        self.options = options
        self.say = say
        digester = ContentDigester(statePath: plan.run.base + "/.hyperzoo-state.json")
        cache = ResultCache(base: plan.run.base, digester: digester)
        lock = try LockFile.read(path: plan.lockPath, pipeline: plan.spec.name, run: plan.run.id)
        // Units: maximal chains linked by streams, in the order of their first stage.
        unitOf = Array(repeating: -1, count: plan.stages.count)
        for i in plan.order where unitOf[i] < 0 {
            var chainStart = i
            while let from = plan.stages[chainStart].streamsFrom { chainStart = from }
            var chain = [chainStart]
            while let to = plan.stages[chain.last!].streamsTo { chain.append(to) }
            for s in chain { unitOf[s] = units.count }
            units.append(chain)
        }
        for name in options.force where !plan.stages.contains(where: { $0.name == name }) {
            throw SpecError(file: plan.spec.file, path: "", message: "--force \(name): no such stage (stages: \(plan.stages.map(\.name).joined(separator: ", ")))")
        }
    }

    private enum UnitState { case pending, running, done, failed, blocked }

    func stageFolder(_ s: Int) -> String { plan.run.folder + "/" + plan.stages[s].name }

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

    /// Runs (or, with `dryRun`, describes) the plan.
    public func run() throws -> RunSummary {
        let start = Date()
        var summary = RunSummary(lockPath: plan.lockPath)
        var states = Array(repeating: UnitState.pending, count: units.count)
        var changed = Set<Int>()  // dry run: stages that would produce new outputs
        let events = FinishedQueue()
        var running: [Int: (remaining: Int, started: Date, keys: [Int: String], inputDigests: [Int: [String: String]])] = [:]
        var failureOrder: [Int: Int] = [:]  // stage → position among the failures, in time order
        var runningProcesses = 0
        let label = stageLabel
        defer { folderLock = nil }  // the run folder is free again when run() returns
        if !options.dryRun {
            try takeRunFolder()
            try FileManager.default.createDirectory(atPath: plan.logFolder, withIntermediateDirectories: true)
            // Stages an earlier --executor slurm submission queued: refused while they are queued
            // or running, recorded in the lock once they ended.
            try settleSlurmJobs(SlurmClient.find(), into: &summary)
        }

        while true {
            var progressed = true
            while progressed {
                progressed = false
                for u in units.indices where states[u] == .pending {
                    let external = Set(units[u].flatMap { plan.stages[$0].dependencies }).subtracting(units[u])
                    if let bad = external.first(where: { [.failed, .blocked].contains(states[unitOf[$0]]) }) {
                        states[u] = .blocked
                        for s in units[u] { summary.outcomes[plan.stages[s].name] = .notRun(blockedBy: plan.stages[bad].name) }
                        progressed = true
                        continue
                    }
                    guard external.allSatisfy({ states[unitOf[$0]] == .done }) else { continue }
                    // Decide: every stage of the chain in order; a chain runs as a whole.
                    var keys: [Int: String] = [:]
                    var digests: [Int: [String: String]] = [:]
                    var reasons: [String] = []
                    var stale: [Int] = []
                    for s in units[u] {
                        let (key, inputDigests, pendingReason) = try cacheKey(s, keys: keys, changed: changed)
                        keys[s] = key
                        digests[s] = inputDigests
                        if let reason = pendingReason ?? staleness(s, key: key, inputDigests: inputDigests) {
                            reasons.append(units[u].count > 1 ? "\(plan.stages[s].name): \(reason)" : reason)
                            stale.append(s)
                        }
                    }
                    let hits = reasons.isEmpty ? [:] : try restoreFromResultCache(u, stale: stale, keys: keys, summary: &summary)
                    if !hits.isEmpty { reasons = [] }
                    if reasons.isEmpty {
                        states[u] = .done
                        for s in units[u] {
                            summary.outcomes[plan.stages[s].name] = .cached
                            if hits[s] != nil {
                                say("\(label(s))  cached (result \(keys[s]!.prefix(12)) from the result cache\(options.dryRun ? ", would be restored" : ", restored"))")
                            } else {
                                say("\(label(s))  cached")
                            }
                        }
                        progressed = true
                        continue
                    }
                    if options.dryRun {
                        states[u] = .done
                        for s in units[u] {
                            changed.insert(s)
                            let why = reasons.joined(separator: "; ")
                            summary.outcomes[plan.stages[s].name] = .wouldRun(reason: why)
                            say("\(label(s))  would run: \(why)\n\(String(repeating: " ", count: (plan.stages.map(\.name.count).max() ?? 8) + 8))$ \(shellLine(plan.stages[s].commandLine))")
                        }
                        progressed = true
                        continue
                    }
                    if runningProcesses > 0 && runningProcesses + units[u].count > options.jobs { continue }
                    for s in units[u] { try prepareStageFolder(s, key: keys[s]!) }
                    try launch(u, label: label, events: events)
                    states[u] = .running
                    running[u] = (units[u].count, Date(), keys, digests)
                    runningProcesses += units[u].count
                    progressed = true
                }
            }
            if running.isEmpty { break }
            guard let event = events.next(timeout: onProgress == nil ? nil : 0.5) else {
                reportProgress(running: running.keys.sorted(), label: label)
                continue
            }
            let u = unitOf[event.stage]
            let stage = plan.stages[event.stage]
            runningProcesses -= 1
            running[u]!.remaining -= 1
            if event.status == 0 {
                summary.outcomes[stage.name] = .ran(seconds: event.seconds)
            } else {
                summary.outcomes[stage.name] = .failed(status: event.status, log: plan.logPath(stage))
                failureOrder[event.stage] = failureOrder.count
            }
            guard running[u]!.remaining == 0 else { continue }
            let record = running.removeValue(forKey: u)!
            let failedStages = units[u].filter { failureOrder[$0] != nil }
            if !failedStages.isEmpty {
                states[u] = .failed
                // In a streamed chain one failure brings down its neighbours (a closed pipe, a
                // stream that ends early): the stage that failed first is the cause, unless it
                // was only killed by SIGPIPE.
                let cause = failedStages.min { a, b in
                    let (pa, pb) = (Self.isBrokenPipe(summary.outcomes[plan.stages[a].name]!), Self.isBrokenPipe(summary.outcomes[plan.stages[b].name]!))
                    return pa != pb ? !pa : failureOrder[a]! < failureOrder[b]!
                }!
                for s in failedStages where s != cause { summary.failureCauses[plan.stages[s].name] = plan.stages[cause].name }
                report(cause, summary.outcomes[plan.stages[cause].name]!, label: label)
                for s in units[u] where s != cause { report(s, summary.outcomes[plan.stages[s].name]!, label: label, causedBy: failedStages.contains(s) ? cause : nil) }
                for s in units[u] { giveBackPreviousResult(s) }
                try? folderState?.save()
                try? lock.write(to: plan.lockPath)
                continue
            }
            // Success: every declared output must exist; record it in the lock.
            var missing: String?
            for s in units[u] {
                var outputs: [String: (path: String, digest: String)] = [:]
                for (name, path) in plan.stages[s].outputs where path != "-" {
                    guard let digest = try digester.digest(of: path) else { missing = "\(plan.stages[s].name) did not write its output '\(name)' (\(path))"; break }
                    outputs[name] = (path, digest)
                }
                if missing != nil {
                    summary.outcomes[plan.stages[s].name] = .failed(status: 0, log: plan.logPath(plan.stages[s]))
                    break
                }
                let entry = LockEntry(
                    key: record.keys[s]!, operatorName: plan.stages[s].spec.operatorName, tool: plan.stages[s].description.toolDigest,
                    params: plan.stages[s].params, inputs: record.inputDigests[s]!, outputs: outputs, args: plan.stages[s].spec.args)
                lock.stages[plan.stages[s].name] = entry
                try cache.register(entry, stage: plan.stages[s].name, folder: stageFolder(s))
                folderState?.attempts[plan.stages[s].name] = nil
                report(s, summary.outcomes[plan.stages[s].name]!, label: label)
            }
            if let missing {
                states[u] = .failed
                say("error: \(missing); see \(plan.logPath(plan.stages[units[u][0]]))")
                try? folderState?.save()
                continue
            }
            states[u] = .done
            try lock.write(to: plan.lockPath)
            try folderState?.save()
            digester.save()
        }
        if !options.dryRun { digester.save() }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// `[2/5] train   `: a stage's position in the run order and its padded name.
    func stageLabel(_ i: Int) -> String {
        let width = plan.stages.map(\.name.count).max() ?? 8
        let position = (plan.order.firstIndex(of: i) ?? 0) + 1
        return "[\(position)/\(plan.stages.count)] \(plan.stages[i].name.padding(toLength: width, withPad: " ", startingAt: 0))"
    }

    /// The result cache: when every stale stage of unit `u` has a stored result for its key, they
    /// are restored (dry run: only recorded in the in-memory lock) instead of run. Returns the
    /// hits, empty when the unit must run (or is forced).
    func restoreFromResultCache(_ u: Int, stale: [Int], keys: [Int: String], summary: inout RunSummary) throws -> [Int: (record: ResultCache.Record, location: String)] {
        guard !units[u].contains(where: { options.force.contains(plan.stages[$0].name) }) else { return [:] }
        var hits: [Int: (record: ResultCache.Record, location: String)] = [:]
        for s in stale { if let hit = cache.lookup(stage: plan.stages[s].name, key: keys[s]!) { hits[s] = hit } }
        guard hits.count == stale.count else { return [:] }
        for s in stale {
            let name = plan.stages[s].name
            if options.dryRun {
                lock.stages[name] = hits[s]!.record.entry.withOutputs(in: stageFolder(s))
            } else {
                try clearStageFolder(s)
                lock.stages[name] = try cache.restore(hits[s]!, stage: name, into: stageFolder(s))
                folderState?.created.insert(name)
            }
            summary.restored.append(name)
        }
        if !options.dryRun {
            try lock.write(to: plan.lockPath)
            try folderState?.save()
            digester.save()
        }
        return hits
    }

    private static func isBrokenPipe(_ outcome: RunSummary.Outcome) -> Bool {
        if case .failed(let status, _) = outcome { return status == 128 + SIGPIPE }
        return false
    }

    private var launchedAt: [Int: Date] = [:]

    private func reportProgress(running: [Int], label: (Int) -> String) {
        guard let onProgress else { return }
        let now = Date()
        let lines = running.flatMap { units[$0] }.compactMap { s -> StageProgress? in
            guard let started = launchedAt[s] else { return nil }
            let text = (FileManager.default.contents(atPath: progressPath(s)).map { String(decoding: $0, as: UTF8.self) } ?? "")
                .split(separator: "\n").last.map(String.init) ?? ""
            return StageProgress(label: label(s), elapsed: now.timeIntervalSince(started), progress: text)
        }
        onProgress(lines)
    }

    private func progressPath(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).progress" }

    func report(_ s: Int, _ outcome: RunSummary.Outcome, label: (Int) -> String, causedBy cause: Int? = nil) {
        let stage = plan.stages[s]
        switch outcome {
        case .ran(let seconds):
            let outputs = stage.outputs.sorted { $0.key < $1.key }.filter { $0.value != "-" }.map { $0.value }
            say("\(label(s))  done in \(String(format: "%.1f", seconds)) s → \(outputs.isEmpty ? "(stream)" : outputs.joined(separator: ", "))  log: \(plan.logPath(stage))")
            // A stage that finished with warnings (a collapsed AE, copied samples) says so here,
            // not only in its log: a run that "succeeded" can still have failed scientifically.
            for warning in StageWarnings.read(logPath: plan.logPath(stage)) { say("      \(warning)") }
        case .failed(let status, let log):
            if let cause {
                say("\(label(s))  also stopped (exit \(status)) because '\(plan.stages[cause].name)' failed first (the stream between them broke); its log: \(log)")
                return
            }
            say("\(label(s))  FAILED (exit \(status)); its log: \(log)")
            for line in tail(of: log, lines: 8) { say("    | \(line)") }
        default: break
        }
    }

    /// The stage's cache key and input digests. The third value is set when an input is not known
    /// yet (dry run: the stage producing it would run first).
    func cacheKey(_ s: Int, keys: [Int: String], changed: Set<Int>) throws -> (String, [String: String], String?) {
        let stage = plan.stages[s]
        var digests: [String: String] = [:]
        var pending: String?
        for (name, input) in stage.inputs.sorted(by: { $0.key < $1.key }) {
            switch input {
            case .file(let path):
                guard let digest = try digester.digest(of: path) else {
                    throw SpecError(file: path, path: "", message: "input '\(name)' of stage '\(stage.name)' disappeared")
                }
                digests[name] = digest
            case .stage(let producer, let output, let path):
                if path == "-" {
                    digests[name] = "stream:" + (keys[producer] ?? "")
                } else if changed.contains(producer) {
                    pending = pending ?? "input '\(name)' will be rebuilt by stage '\(plan.stages[producer].name)'"
                    digests[name] = "pending"
                } else {
                    digests[name] = lock.stages[plan.stages[producer].name]?.outputs[output]?.digest ?? "missing"
                }
            }
        }
        let key = LockEntry.key(operatorName: stage.spec.operatorName, tool: stage.description.toolDigest, params: stage.params,
                                inputs: digests, outputNames: stage.spec.outputs, args: stage.spec.args)
        return (key, digests, pending)
    }

    /// Why a stage must run, or nil when its lock entry and outputs are current.
    func staleness(_ s: Int, key: String, inputDigests: [String: String]) -> String? {
        let stage = plan.stages[s]
        if options.force.contains(stage.name) { return "forced with --force" }
        guard let entry = lock.stages[stage.name] else { return "no previous run in \(plan.lockPath)" }
        if entry.key != key {
            var why: [String] = []
            if entry.tool != stage.description.toolDigest { why.append("the options of \(stage.description.executable.split(separator: "/").last ?? "") changed") }
            let keys = Set(entry.params.keys).union(stage.params.keys).sorted()
            for k in keys where entry.params[k] != stage.params[k] {
                why.append("param \(k) \(entry.params[k]?.canonical ?? "unset") → \(stage.params[k]?.canonical ?? "unset")")
            }
            for k in Set(entry.inputs.keys).union(inputDigests.keys).sorted() where entry.inputs[k] != inputDigests[k] {
                why.append("input '\(k)' changed")
            }
            if entry.args != stage.spec.args { why.append("args changed") }
            return why.isEmpty ? "its definition changed" : why.joined(separator: ", ")
        }
        for (name, path) in stage.outputs.sorted(by: { $0.key < $1.key }) where path != "-" {
            guard let recorded = entry.outputs[name] else { return "output '\(name)' not recorded" }
            guard let current = (try? digester.digest(of: path)) ?? nil else { return "output '\(name)' is missing (\(path))" }
            if current != recorded.digest { return "output '\(name)' was modified since it was made" }
        }
        return nil
    }

    /// Starts every process of unit `u`: stdout into the next stage's stdin through a pipe, or
    /// into the stage's log with stderr.
    /// The stage's command, plus `--resume` when the stage folder holds an interrupted attempt of
    /// this same command (prepareStageFolder brought it back: an `<output>.partial`) and the tool
    /// resumes only when asked (hz-train refuses a partial without --resume). The cache key stays
    /// that of the plain command: resuming continues the same run bit for bit.
    static func resumingIfInterrupted(_ stage: PlannedStage) -> [String] {
        var line = stage.commandLine
        guard stage.description.options["resume"]?.kind == .flag, !line.contains("--resume"), !line.contains("--force") else { return line }
        let interrupted = stage.outputs.values.contains { $0 != "-" && FileManager.default.fileExists(atPath: $0 + ".partial") }
        if interrupted { line.append("--resume") }
        return line
    }

    private func launch(_ u: Int, label: (Int) -> String, events: FinishedQueue) throws {
        try writeFileAtomically(plan.spec.document.pretty, to: plan.run.folder + "/" + PipelinePlan.specFileName)
        var previousRead: Int32 = -1
        var environment = ProcessInfo.processInfo.environment
        environment["HYPERZOO_RUN_FOLDER"] = plan.run.folder
        for (position, s) in units[u].enumerated() {
            let stage = plan.stages[s]
            try FileManager.default.createDirectory(atPath: plan.run.folder + "/" + stage.name, withIntermediateDirectories: true)
            for path in stage.outputs.values where path != "-" {
                // Stale outputs go first, so a stage that fails cannot leave an old file looking new.
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            let upstreamNames = Set(plan.ancestors(of: s).map { plan.stages[$0].name })
            var upstream = LockFile(pipeline: lock.pipeline, run: lock.run)
            upstream.stages = lock.stages.filter { upstreamNames.contains($0.key) }
            try upstream.write(to: PipelinePlan.upstreamLockPath(run: plan.run, stage: stage.name))
            let commandLine = Self.resumingIfInterrupted(stage)
            let log = try openForWriting(plan.logPath(stage))
            let header = "$ \(shellLine(commandLine))\n"
            _ = header.withCString { write(log, $0, strlen($0)) }
            var stdout = log
            var nextRead: Int32 = -1
            if position < units[u].count - 1 {
                let (r, w) = try makePipe()
                stdout = w
                nextRead = r
            }
            environment["HYPERZOO_STAGE"] = stage.name
            if options.reportsProgress {
                try? FileManager.default.removeItem(atPath: progressPath(s))
                environment["HYPERZOO_PROGRESS_FILE"] = progressPath(s)
            }
            say("\(label(s))  running\(previousRead >= 0 ? " (reading the stream of \(plan.stages[units[u][position - 1]].name))" : ""): \(shellLine(commandLine))")
            let started = Date()
            let process: StageProcess
            do {
                process = try StageProcess.spawn(commandLine, stdin: previousRead, stdout: stdout, stderr: log, environment: environment)
            } catch {
                close(log)
                if stdout != log { close(stdout) }
                if previousRead >= 0 { close(previousRead) }
                if nextRead >= 0 { close(nextRead) }
                throw error
            }
            launchedAt[s] = started
            folderState?.attempts[stage.name]?.pid = process.pid
            try? folderState?.save()
            // The child holds its own copies; the runner keeps none, so EOF and SIGPIPE propagate.
            close(log)
            if stdout != log { close(stdout) }
            if previousRead >= 0 { close(previousRead) }
            previousRead = nextRead
            let logPath = plan.logPath(stage)
            Thread.detachNewThread {
                let status = process.wait()
                let seconds = Date().timeIntervalSince(started)
                if let handle = FileHandle(forWritingAtPath: logPath) {
                    handle.seekToEndOfFile()
                    handle.write(Data("# exit status \(status) after \(String(format: "%.2f", seconds)) s\n".utf8))
                    try? handle.close()
                }
                events.push(Finished(stage: s, status: status, seconds: seconds))
            }
        }
    }
}

/// Completion events from the waiting threads to the scheduler.
private final class FinishedQueue: @unchecked Sendable {
    private var items: [Finished] = []
    private let lock = NSLock()
    private let semaphore = DispatchSemaphore(value: 0)
    func push(_ item: Finished) {
        lock.lock(); items.append(item); lock.unlock()
        semaphore.signal()
    }
    /// The next event; nil when `timeout` seconds passed without one.
    func next(timeout: Double?) -> Finished? {
        if let timeout {
            guard semaphore.wait(timeout: .now() + timeout) == .success else { return nil }
        } else {
            semaphore.wait()
        }
        lock.lock(); defer { lock.unlock() }
        return items.removeFirst()
    }
}

/// A stage process that ended.
private struct Finished: Sendable { var stage: Int; var status: Int32; var seconds: Double }

/// A command line as one could paste it into a shell.
public func shellLine(_ arguments: [String]) -> String {
    arguments.map { argument in
        if !argument.isEmpty && argument.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

/// The last `lines` lines of a text file (for failure messages).
func tail(of path: String, lines: Int) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    let text = String(decoding: data.suffix(8192), as: UTF8.self)
    return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }.suffix(lines))
}
