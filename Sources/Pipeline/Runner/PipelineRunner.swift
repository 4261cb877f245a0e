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

/// Executes a plan.
public final class PipelineRunner {
    public let plan: PipelinePlan
    public let options: RunOptions
    // Internal, not private: the Slurm executor (Slurm/PipelineRunner+Slurm*.swift) shares them.
    let say: (String) -> Void
    let digester: ContentDigester
    let cache: ResultCache
    var lock: LockFile
    var folderState: RunFolderState?
    var folderLock: RunFolderLock?
    /// Stage index → streamed chain (unit) index.
    let unitOf: [Int]
    /// Maximal chains of stages linked by streams, in the order of their first stage.
    let units: [[Int]]
    /// When each running stage was launched (for the progress report).
    var launchedAt: [Int: Date] = [:]
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
        let chains = Self.streamedChains(plan)
        units = chains.chains
        unitOf = chains.chainOf
        for name in options.force where !plan.stages.contains(where: { $0.name == name }) {
            throw SpecError(file: plan.spec.file, path: "", message: "--force \(name): no such stage (stages: \(plan.stages.map(\.name).joined(separator: ", ")))")
        }
    }

    func stageFolder(_ s: Int) -> String { plan.run.folder + "/" + plan.stages[s].name }

    /// Runs (or, with `dryRun`, describes) the plan.
    public func run() throws -> RunSummary {
        let start = Date()
        var summary = RunSummary(lockPath: plan.lockPath)
        defer { folderLock = nil }  // the run folder is free again when run() returns
        if !options.dryRun {
            try takeRunFolder()
            try FileManager.default.createDirectory(atPath: plan.logFolder, withIntermediateDirectories: true)
            // Stages an earlier --executor slurm submission queued: refused while they are queued
            // or running, recorded in the lock once they ended.
            try settleSlurmJobs(SlurmClient.find(), into: &summary)
        }
        summary = try RunScheduler(runner: self, summary: summary).run()
        if !options.dryRun { digester.save() }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Maximal chains of stages linked by streams (each runs as a whole), in the order of their
    /// first stage, and each stage's chain.
    static func streamedChains(_ plan: PipelinePlan) -> (chains: [[Int]], chainOf: [Int]) {
        var chains: [[Int]] = []
        var chainOf = Array(repeating: -1, count: plan.stages.count)
        for i in plan.order where chainOf[i] < 0 {
            var chainStart = i
            while let from = plan.stages[chainStart].streamsFrom { chainStart = from }
            var chain = [chainStart]
            while let to = plan.stages[chain.last!].streamsTo { chain.append(to) }
            for s in chain { chainOf[s] = chains.count }
            chains.append(chain)
        }
        return (chains, chainOf)
    }

    /// `[2/5] train   `: a stage's position in the run order and its padded name.
    func stageLabel(_ i: Int) -> String {
        let width = plan.stages.map(\.name.count).max() ?? 8
        let position = (plan.order.firstIndex(of: i) ?? 0) + 1
        return "[\(position)/\(plan.stages.count)] \(plan.stages[i].name.padding(toLength: width, withPad: " ", startingAt: 0))"
    }

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
}
