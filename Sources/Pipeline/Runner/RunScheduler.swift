// The local executor's scheduling loop. Streamed chains (PipelineRunner.units, one or more stages
// joined by pipes, which run as a whole) wait until the chains they read from have finished; a
// ready chain is then decided: cached, restored from the result cache, described (dry run), or
// launched when --jobs leaves room. When the last process of a running chain ends, the chain is
// settled: its outputs are checked and recorded in the lock, or, if a stage failed, the failure's
// cause is named and the previous results are given back. A failed chain cancels every chain that
// depends on it, directly or not.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of the local executor over a plan's streamed chains.
final class RunScheduler {
    /// Where a streamed chain is.
    enum ChainState: Equatable {
        /// Waiting for the chains it reads from.
        case waiting
        case running
        /// Ran, cached, restored, or (dry run) decided: its readers may go.
        case finished
        case failed
        /// Not run because a chain it depends on failed or was cancelled.
        case cancelled
    }

    /// A chain whose processes were launched.
    struct RunningChain {
        /// Processes of the chain that have not ended yet.
        var remaining: Int
        var keys: [Int: String]
        var inputDigests: [Int: [String: String]]
    }

    /// What the cache says about a ready chain.
    struct Decision {
        var keys: [Int: String] = [:]
        var inputDigests: [Int: [String: String]] = [:]
        /// Why the chain must run (one per stale stage); empty when it is current or restored.
        var reasons: [String] = []
        /// Stale stages whose result the result cache gave back.
        var restored: [Int: (record: ResultCache.Record, location: String)] = [:]
    }

    private let runner: PipelineRunner
    private var plan: PipelinePlan { runner.plan }
    private var chains: [[Int]] { runner.units }
    private var summary: RunSummary
    private var states: [ChainState]
    private var running: [Int: RunningChain] = [:]
    /// Processes running now, against `--jobs`.
    private var runningProcesses = 0
    /// Failed stage → its position among the failures, in the order they ended.
    private var failureOrder: [Int: Int] = [:]
    /// Dry run: stages that would produce new outputs (their readers' inputs are pending).
    private var wouldChange = Set<Int>()
    private let events = FinishedQueue()

    init(runner: PipelineRunner, summary: RunSummary) {
        self.runner = runner
        self.summary = summary
        states = Array(repeating: .waiting, count: runner.units.count)
    }

    /// Runs every chain that can run; returns when none is running and none can start.
    func run() throws -> RunSummary {
        while true {
            try startReadyChains()
            if running.isEmpty { return summary }
            guard let event = events.next(timeout: runner.onProgress == nil ? nil : 0.5) else {
                runner.reportProgress(running: running.keys.sorted(), label: runner.stageLabel)
                continue
            }
            try stageEnded(event)
        }
    }

    // MARK: Starting

    /// Passes over the waiting chains in order until a pass moves none of them.
    private func startReadyChains() throws {
        var moved = true
        while moved {
            moved = false
            for u in chains.indices where states[u] == .waiting {
                if try advance(u) { moved = true }
            }
        }
    }

    /// Moves waiting chain `u` on (cancelled, cached, described or launched) if it can.
    /// - Returns: false when it must keep waiting (an input or a free process slot).
    private func advance(_ u: Int) throws -> Bool {
        let upstream = dependencies(of: u)
        if let failed = upstream.first(where: { [.failed, .cancelled].contains(state(ofStage: $0)) }) {
            cancel(u, because: failed)
            return true
        }
        guard upstream.allSatisfy({ state(ofStage: $0) == .finished }) else { return false }
        let decision = try decide(u)
        if decision.reasons.isEmpty {
            markCached(u, decision)
        } else if runner.options.dryRun {
            describeWouldRun(u, decision)
        } else {
            guard hasRoom(for: u) else { return false }
            try launch(u, decision)
        }
        return true
    }

    /// Stages outside chain `u` that it reads from, sorted.
    private func dependencies(of u: Int) -> [Int] {
        Set(chains[u].flatMap { plan.stages[$0].dependencies }).subtracting(chains[u]).sorted()
    }

    private func state(ofStage s: Int) -> ChainState { states[runner.unitOf[s]] }

    private func cancel(_ u: Int, because failed: Int) {
        states[u] = .cancelled
        for s in chains[u] { summary.outcomes[plan.stages[s].name] = .notRun(blockedBy: plan.stages[failed].name) }
    }

    /// Every stage of the chain in order; the chain must run if one of them is stale and the
    /// result cache does not hold them all.
    private func decide(_ u: Int) throws -> Decision {
        var decision = Decision()
        var stale: [Int] = []
        for s in chains[u] {
            let (key, inputDigests, pendingReason) = try runner.cacheKey(s, keys: decision.keys, changed: wouldChange)
            decision.keys[s] = key
            decision.inputDigests[s] = inputDigests
            if let reason = pendingReason ?? runner.staleness(s, key: key, inputDigests: inputDigests) {
                decision.reasons.append(chains[u].count > 1 ? "\(plan.stages[s].name): \(reason)" : reason)
                stale.append(s)
            }
        }
        guard !decision.reasons.isEmpty else { return decision }
        decision.restored = try runner.restoreFromResultCache(u, stale: stale, keys: decision.keys, summary: &summary)
        if !decision.restored.isEmpty { decision.reasons = [] }
        return decision
    }

    private func markCached(_ u: Int, _ decision: Decision) {
        states[u] = .finished
        for s in chains[u] {
            summary.outcomes[plan.stages[s].name] = .cached
            if decision.restored[s] != nil {
                runner.say("\(runner.stageLabel(s))  cached (result \(decision.keys[s]!.prefix(12)) from the result cache\(runner.options.dryRun ? ", would be restored" : ", restored"))")
            } else {
                runner.say("\(runner.stageLabel(s))  cached")
            }
        }
    }

    /// Dry run: the chain counts as finished, with outputs that would change.
    private func describeWouldRun(_ u: Int, _ decision: Decision) {
        states[u] = .finished
        let indent = String(repeating: " ", count: (plan.stages.map(\.name.count).max() ?? 8) + 8)
        for s in chains[u] {
            wouldChange.insert(s)
            let why = decision.reasons.joined(separator: "; ")
            summary.outcomes[plan.stages[s].name] = .wouldRun(reason: why)
            runner.say("\(runner.stageLabel(s))  would run: \(why)\n\(indent)$ \(shellLine(plan.stages[s].commandLine))")
        }
    }

    /// A chain may start alone even when it has more stages than --jobs allows.
    private func hasRoom(for u: Int) -> Bool {
        runningProcesses == 0 || runningProcesses + chains[u].count <= runner.options.jobs
    }

    private func launch(_ u: Int, _ decision: Decision) throws {
        for s in chains[u] { try runner.prepareStageFolder(s, key: decision.keys[s]!) }
        try runner.launch(u, label: runner.stageLabel, events: events)
        states[u] = .running
        running[u] = RunningChain(remaining: chains[u].count, keys: decision.keys, inputDigests: decision.inputDigests)
        runningProcesses += chains[u].count
    }

    // MARK: Settling

    /// Records the end of one process; settles its chain when it was the chain's last.
    private func stageEnded(_ event: Finished) throws {
        let u = runner.unitOf[event.stage]
        let stage = plan.stages[event.stage]
        runningProcesses -= 1
        running[u]!.remaining -= 1
        if event.status == 0 {
            summary.outcomes[stage.name] = .ran(seconds: event.seconds)
        } else {
            summary.outcomes[stage.name] = .failed(status: event.status, log: plan.logPath(stage))
            failureOrder[event.stage] = failureOrder.count
        }
        guard running[u]!.remaining == 0 else { return }
        let chain = running.removeValue(forKey: u)!
        let failedStages = chains[u].filter { failureOrder[$0] != nil }
        if failedStages.isEmpty {
            try chainSucceeded(u, chain)
        } else {
            chainFailed(u, failedStages: failedStages)
        }
    }

    /// In a streamed chain one failure brings down its neighbours (a closed pipe, a stream that
    /// ends early): the stage that failed first is the cause, unless it was only killed by
    /// SIGPIPE. Every stage of the chain gets its previous result back.
    private func chainFailed(_ u: Int, failedStages: [Int]) {
        states[u] = .failed
        let cause = failedStages.min { a, b in
            let (pa, pb) = (diedOfBrokenPipe(a), diedOfBrokenPipe(b))
            return pa != pb ? !pa : failureOrder[a]! < failureOrder[b]!
        }!
        for s in failedStages where s != cause { summary.failureCauses[plan.stages[s].name] = plan.stages[cause].name }
        runner.report(cause, outcome(cause), label: runner.stageLabel)
        for s in chains[u] where s != cause {
            runner.report(s, outcome(s), label: runner.stageLabel, causedBy: failedStages.contains(s) ? cause : nil)
        }
        for s in chains[u] { runner.giveBackPreviousResult(s) }
        try? runner.folderState?.save()
        try? runner.lock.write(to: plan.lockPath)
    }

    /// Every declared output must exist; each stage is recorded in the lock and the result cache.
    /// A missing output fails the chain from that stage on (the stages before it stay recorded).
    private func chainSucceeded(_ u: Int, _ chain: RunningChain) throws {
        for s in chains[u] {
            let stage = plan.stages[s]
            var outputs: [String: (path: String, digest: String)] = [:]
            for (name, path) in stage.outputs where path != "-" {
                guard let digest = try runner.digester.digest(of: path) else {
                    summary.outcomes[stage.name] = .failed(status: 0, log: plan.logPath(stage))
                    states[u] = .failed
                    runner.say("error: \(stage.name) did not write its output '\(name)' (\(path)); see \(plan.logPath(plan.stages[chains[u][0]]))")
                    try? runner.folderState?.save()
                    return
                }
                outputs[name] = (path, digest)
            }
            let entry = LockEntry(
                key: chain.keys[s]!, operatorName: stage.spec.operatorName, tool: stage.description.toolDigest,
                params: stage.params, inputs: chain.inputDigests[s]!, outputs: outputs, args: stage.spec.args)
            runner.lock.stages[stage.name] = entry
            try runner.cache.register(entry, stage: stage.name, folder: runner.stageFolder(s))
            runner.folderState?.attempts[stage.name] = nil
            runner.report(s, outcome(s), label: runner.stageLabel)
        }
        states[u] = .finished
        try runner.lock.write(to: plan.lockPath)
        try runner.folderState?.save()
        runner.digester.save()
    }

    private func outcome(_ s: Int) -> RunSummary.Outcome { summary.outcomes[plan.stages[s].name]! }

    private func diedOfBrokenPipe(_ s: Int) -> Bool {
        if case .failed(let status, _) = outcome(s) { return status == 128 + SIGPIPE }
        return false
    }
}
