// `hz-pipeline run`: run every plan of a spec (locally, or submitted to Slurm), show the running
// stages, and report the outcome: one line per failure, the final outputs, the report's summary.
import ArgumentParser
import Foundation
import Pipeline
import ZooStore

extension PipelineCommand {
    /// `hz-pipeline run`.
    public struct Run: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Run a pipeline: each stage as its own process, skipping stages whose inputs and params did not change.",
            discussion: """
            Logs go to <run folder>/logs/<stage>.log (the command line first, the exit status last).
            A failing stage stops the stages that need its outputs; the others finish, and the next
            run resumes from there. Results are cached by content across runs and sweep points
            (<output>/.hyperzoo-cache): a stage whose command, inputs and tool did not change never
            runs again. hz-pipeline only moves or removes what it created: an existing folder it
            did not make is refused (see --adopt, --force). Stopping hz-pipeline stops its stages.
            On a terminal it shows each running stage's own progress and ETA.

              hz-pipeline run fixtures/pipelines/quickstart.json --jobs 2
              hz-pipeline run spec.json --force train --set train.lr=0.0005

            --executor slurm submits the stages that are not cached to Slurm instead (sbatch, one job per stage, chained with --dependency=afterok; a streamed chain is one job); --shards zoo=8 makes the hz-zoo stage a job array of 8 shards plus a merge job. The jobs are recorded in <run folder>/.hyperzoo-slurm.json; hz-pipeline status shows them and, once they ended, records the finished stages and reports failures. A second submission is refused while any job is queued or running.

              hz-pipeline run spec.json --executor slurm --partition cpu --time 4:00:00 --cpus-per-task 8 --shards zoo=8
              hz-pipeline status spec.json
            """)

        @OptionGroup public var specOptions: SpecOptions

        @Option(help: ArgumentHelp("Processes to run at once (a streamed chain needs one per stage).", valueName: "n"))
        public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: ArgumentHelp("Run this stage even if cached; repeatable.", valueName: "stage"))
        public var force: [String] = []

        @Flag(help: "Print what would run and why, and run nothing.")
        public var dryRun = false

        @Flag(help: "Run into an existing folder that hz-pipeline did not make; whatever is in the way of its files is moved to <run folder>/.hyperzoo-displaced/, never deleted.")
        public var adopt = false

        @Flag(help: "Print a JSON summary (stage → ran/cached/failed) on stdout at the end.")
        public var json = false

        @OptionGroup public var slurm: SlurmOptions

        public init() {}

        public func validate() throws {
            if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            try slurm.check()
        }

        public func run() throws { try StageFailure.reporting(as: "hz-pipeline") { try runPipeline() } }

        private func runPipeline() throws {
            let plans = try specOptions.plans()
            var failedAny = false
            var summaries: [JSONValue] = []
            if !dryRun { StageSignals.forwardToStages() }
            // Progress goes where the lines go: stdout, or stderr with --json; only to a terminal.
            let display = StatusLine(descriptor: json ? 2 : 1)
            for plan in plans {
                let say: (String) -> Void = { display.print($0) }
                say("\(options(dry: dryRun)) \(plan.spec.name) (run '\(plan.run.id)') in \(plan.run.folder)")
                let runner = try PipelineRunner(plan: plan, options: RunOptions(jobs: jobs, force: Set(force), dryRun: dryRun, adopt: adopt,
                                                                                reportsProgress: display.isTerminal), say: say)
                if display.isTerminal { runner.onProgress = { display.show($0) } }
                let summary: RunSummary
                if slurm.executor == .slurm && !dryRun {
                    guard let client = SlurmClient.find() else {
                        throw ValidationError("--executor slurm: sbatch, squeue and scancel are not on PATH (install Slurm's client tools, e.g. Debian's slurm-client, or run on a login node)")
                    }
                    summary = try runner.submit(to: client, options: slurm.submitOptions)
                } else {
                    summary = try runner.run()
                }
                display.clear()
                summaries.append(summary.json(plan: plan))
                if dryRun { continue }
                let queued = summary.outcomes.values.filter { if case .submitted = $0 { return true }; return false }.count
                if queued > 0 {
                    say("submitted: \(queued) stage\(queued == 1 ? "" : "s") queued in Slurm, \(summary.cached.count) cached; `hz-pipeline status \(specOptions.spec)` shows their jobs and, once they ended, records them and reports failures")
                    continue
                }
                if !summary.failed.isEmpty || !summary.succeeded {
                    failedAny = true
                    Self.reportFailures(summary)
                    continue
                }
                say("done in \(String(format: "%.1f", summary.seconds)) s: \(summary.ran.count) ran, \(summary.cached.count) cached; lock: \(summary.lockPath)")
                if plan.resultPaths.isEmpty {
                    for (stage, name, path) in plan.finalOutputs { say("  \(stage).\(name): \(path)") }
                } else {
                    for (name, path) in plan.resultPaths { say("  \(name): \(path)") }
                }
                // The report's own first lines (hz-eval's plain-language summary): the outcome in
                // words at the end of the run, where a person looks.
                for line in ReportSummary.lines(resultPaths: plan.resultPaths.map(\.path)) { say("  \(line)") }
            }
            if json { print(JSONValue.array(summaries).pretty, terminator: "") }
            if failedAny { throw ExitCode.failure }
        }

        private func options(dry: Bool) -> String { dry ? "dry run of" : "running" }

        /// One error line per failed stage, then the stages not run because of them.
        static func reportFailures(_ summary: RunSummary) {
            // The stage that failed first is the cause; the others of its chain follow from it.
            for name in summary.failedFirst + summary.failed.filter({ summary.failureCauses[$0] != nil }) {
                if case .failed(let status, let log) = summary.outcomes[name]! {
                    if let cause = summary.failureCauses[name] {
                        printError("  (stage '\(name)' stopped too, exit status \(status), because '\(cause)' failed; its log: \(log))")
                    } else {
                        printError(failureLine(name, status: status, log: log, slurmState: summary.slurmStates[name]))
                    }
                }
            }
            let blocked = summary.outcomes.compactMap { name, outcome -> String? in
                if case .notRun(let by) = outcome { return "\(name) (needs \(by))" }
                return nil
            }.sorted()
            if !blocked.isEmpty { printError("not run: \(blocked.joined(separator: ", ")); fix the failure and run again to resume") }
        }

        /// The one error line of a failed stage.
        static func failureLine(_ name: String, status: Int32, log: String, slurmState: String?) -> String {
            if let slurmState { return "error: stage '\(name)' failed: its Slurm job ended as \(slurmState) before the stage finished; see \(log)" }
            return "error: stage '\(name)' failed\(status == 0 ? " (missing output)" : " with exit status \(status)"); see its log: \(log)"
        }
    }
}
