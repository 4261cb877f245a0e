// What a run is asked to do (RunOptions) and what it did (RunSummary, StageProgress): the
// types the command line reads and prints; the local and the Slurm executor both fill them.
import Foundation

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
