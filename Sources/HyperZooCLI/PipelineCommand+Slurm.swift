// `hz-pipeline run --executor slurm` options and `hz-pipeline status`. The sbatch settings come
// from the command line, not the spec: a spec says what to compute, the flags say where (the
// schema forbids extra stage properties, so one spec runs unchanged on a laptop and a cluster).
import ArgumentParser
import Foundation
import Pipeline
import ZooStore

/// Where `hz-pipeline run` runs the stages.
public enum PipelineExecutor: String, ExpressibleByArgument, CaseIterable, Sendable {
    case local, slurm
}

/// The executor choice and the sbatch settings of `hz-pipeline run`.
public struct SlurmOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run the stages here (local) or submit them to Slurm with sbatch (slurm).", valueName: "local|slurm"))
    public var executor: PipelineExecutor = .local

    @Option(help: ArgumentHelp("--executor slurm: the partition (sbatch --partition).", valueName: "name"))
    public var partition: String?

    @Option(help: ArgumentHelp("--executor slurm: each job's time limit (sbatch --time, e.g. 4:00:00).", valueName: "time"))
    public var time: String?

    @Option(name: .customLong("cpus-per-task"), help: ArgumentHelp("--executor slurm: CPUs per job (sbatch --cpus-per-task).", valueName: "n"))
    public var cpusPerTask: Int?

    @Option(name: .customLong("sbatch-arg"), help: ArgumentHelp("--executor slurm: one more sbatch argument for every job, as is (e.g. --sbatch-arg=--mem=8G); repeatable.", valueName: "arg"))
    public var sbatchArguments: [String] = []

    @Option(help: ArgumentHelp("--executor slurm: split stage STAGE (an operator with --shard, e.g. hz-zoo) into a job array of N shards and a merge job; N alone applies to every such stage; repeatable.", valueName: "STAGE=N|N"))
    public var shards: [String] = []

    @Flag(help: "--executor slurm: stay until every job ended, then record and report like a local run.")
    public var wait = false

    public init() {}

    func check() throws {
        guard executor == .slurm else {
            if partition != nil || time != nil || cpusPerTask != nil || !sbatchArguments.isEmpty || !shards.isEmpty || wait {
                throw ValidationError("--partition, --time, --cpus-per-task, --sbatch-arg, --shards and --wait need --executor slurm")
            }
            return
        }
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        _ = try shardCounts()
    }

    func shardCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for text in shards {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            let (stage, number) = parts.count == 2 ? (parts[0], parts[1]) : ("*", parts[0])
            guard let n = Int(number), n >= 1, n <= 10_000, !stage.isEmpty else {
                throw ValidationError("--shards \(text): expected STAGE=N or N, with N in 1...10000")
            }
            counts[stage] = n
        }
        return counts
    }

    var submitOptions: SlurmSubmitOptions {
        SlurmSubmitOptions(partition: partition, time: time, cpusPerTask: cpusPerTask, extraArguments: sbatchArguments,
                           shards: (try? shardCounts()) ?? [:], wait: wait, upstreamLockCommand: Self.upstreamLockCommand)
    }

    /// `hz-pipeline slurm-upstream-lock` by this executable's path (hz-pipeline, or the hz-pipeline
    /// beside hyperzoo), which the jobs of the submission run.
    static var upstreamLockCommand: [String]? {
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let url = URL(fileURLWithPath: me)
        if url.lastPathComponent == "hz-pipeline" { return [me, "slurm-upstream-lock"] }
        let sibling = url.deletingLastPathComponent().appendingPathComponent("hz-pipeline").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return [sibling, "slurm-upstream-lock"] }
        return [me, "pipeline", "slurm-upstream-lock"]
    }
}

extension PipelineCommand {
    /// `hz-pipeline slurm-upstream-lock`: run by a Slurm job before its stage (not by people).
    public struct SlurmUpstreamLock: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "slurm-upstream-lock",
            abstract: "Write a stage's ${upstream_lock} from the recipe --executor slurm left (run by the stage's job).",
            shouldDisplay: false)

        @Argument(help: ArgumentHelp("The recipe (<run>/logs/<stage>.upstream.json).", valueName: "recipe.json"))
        public var recipe: String

        @Argument(help: ArgumentHelp("The upstream lock to write.", valueName: "lock.json"))
        public var lock: String

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-pipeline") { try writeUpstreamLock() } }

        private func writeUpstreamLock() throws {
            try PipelineRunner.writeUpstreamLock(recipe: recipe, to: lock)
        }
    }
}

extension PipelineCommand {
    /// `hz-pipeline status`.
    public struct Status: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show a run's stages: the Slurm jobs of the last --executor slurm submission, or what the lock records.",
            discussion: """
            While jobs are queued or running it lists each stage's job and state (from squeue, or the exit status its job wrote). Once they all ended it records the finished stages in the lock (as a local run does when a stage finishes), reports the failed and cancelled ones, and exits 1 if any failed. Without a submission it says which stages the lock records as done.

              hz-pipeline status spec.json
            """)

        @OptionGroup public var specOptions: SpecOptions

        @Flag(help: "Print a JSON summary on stdout (as hz-pipeline run --json).")
        public var json = false

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-pipeline") { try reportStatus() } }

        private func reportStatus() throws {
            let client = SlurmClient.find()
            var failed = false
            var summaries: [JSONValue] = []
            let say: (String) -> Void = { line in
                if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            }
            for plan in try specOptions.plans() {
                let runner = try PipelineRunner(plan: plan, options: RunOptions(), say: say)
                say("\(plan.spec.name) (run '\(plan.run.id)') in \(plan.run.folder)")
                guard let jobs = try runner.slurmJobStates(client) else {
                    let lock = try LockFile.read(path: plan.lockPath, pipeline: plan.spec.name, run: plan.run.id)
                    for s in plan.order {
                        let name = plan.stages[s].name
                        say("  \(name): \(lock.stages[name] != nil ? "done (recorded in \(plan.lockPath))" : "not run yet")")
                    }
                    continue
                }
                if jobs.contains(where: { SlurmClient.activeStates.contains($0.state) }) {
                    for job in jobs { say("  \(job.stage): Slurm job \(job.jobs): \(job.state)") }
                    summaries.append(.object(["run": .string(plan.run.id), "folder": .string(plan.run.folder),
                                              "slurm": .object(Dictionary(uniqueKeysWithValues: jobs.map { ($0.stage, JSONValue.object(["jobs": .string($0.jobs), "state": .string($0.state)])) }))]))
                    continue
                }
                let summary = try runner.recordEndedSlurmJobs(client)
                summaries.append(summary.json(plan: plan))
                if !summary.succeeded {
                    failed = true
                    Run.reportFailures(summary)
                }
            }
            if json { print(JSONValue.array(summaries).pretty, terminator: "") }
            if failed { throw ExitCode.failure }
        }
    }
}
