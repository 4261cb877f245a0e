// `hz-pipeline` / `hyperzoo pipeline`: run a JSON pipeline spec as a DAG of hz-* processes, cached
// by content hash; validate a spec; print its graph.
import ArgumentParser
import Foundation
import Pipeline
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// The pipeline command.
public struct PipelineCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("pipeline"),
        abstract: "Run declarative JSON pipelines of hyperzoo stages, cached by content hash.",
        discussion: """
        A spec lists stages; each names an operator (hz-<operator>), its params (the executable's own
        options), inputs taken from other stages' outputs ("zoo.output") and outputs. The DAG follows
        from the inputs. Each stage runs as its own process; unchanged stages are skipped using
        <run folder>/pipeline.lock.json, so re-running after a failure resumes where it stopped.

          hz-pipeline run fixtures/pipelines/quickstart.json
          hz-pipeline run spec.json --set train.epochs=5 --dry-run
          hz-pipeline graph spec.json
        The spec format: schemas/pipeline.schema.json (`hz-pipeline schema` prints it).
        """,
        version: HyperZooVersion.string,
        subcommands: [Run.self, Status.self, Validate.self, Graph.self, Schema.self, SlurmUpstreamLock.self]
    )

    public init() {}
}

/// Options shared by the subcommands that read a spec.
public struct SpecOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The pipeline spec (JSON).", valueName: "spec.json"))
    public var spec: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a param: stage.param=value (or vars.name=value); repeatable. Values parse as JSON when they can.", valueName: "stage.param=value"))
    public var overrides: [String] = []

    @Option(help: ArgumentHelp("The run folder (default: the spec's \"output\", else runs/<pipeline>).", valueName: "dir"))
    public var output: String?

    public init() {}

    /// Loads the spec and builds one checked plan per run.
    func plans() throws -> [PipelinePlan] {
        let loaded = try PipelineSpec.load(path: spec, overrides: overrides)
        let catalog = OperatorCatalog(searchPaths: OperatorCatalog.defaultSearchPaths())
        return try loaded.runs(outputOverride: output).map { try PipelinePlan(spec: loaded, run: $0, catalog: catalog) }
    }
}

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
                summaries.append(Self.summaryJSON(plan, summary))
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
                    for (stage, name, path) in finalOutputs(plan) { say("  \(stage).\(name): \(path)") }
                } else {
                    for (name, path) in plan.resultPaths { say("  \(name): \(path)") }
                }
                // The report's own first lines (hz-eval's plain-language summary): the outcome in
                // words at the end of the run, where a person looks.
                for line in Self.reportSummary(plan.resultPaths.map(\.path)) { say("  \(line)") }
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

        /// The `summary` sentences of the first report.json among the results (a report.html's
        /// neighbour, or a report folder's), prefixed "outcome:"; empty when there is none.
        static func reportSummary(_ paths: [String]) -> [String] {
            for path in paths {
                let folder = path.hasSuffix(".html") || path.hasSuffix(".json") ? (path as NSString).deletingLastPathComponent : path
                let json = folder + "/report.json"
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: json),
                      (attributes[.type] as? FileAttributeType) == .typeRegular,
                      let size = attributes[.size] as? Int, size < 64 << 20,
                      let data = FileManager.default.contents(atPath: json),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let summary = object["summary"] as? [String], !summary.isEmpty else { continue }
                return ["outcome (\(json)):"] + summary.map { "  " + $0 }
            }
            return []
        }

        /// Outputs no other stage reads: what the user came for (report, archive, ...).
        private func finalOutputs(_ plan: PipelinePlan) -> [(String, String, String)] {
            var read = Set<String>()
            for stage in plan.stages {
                for input in stage.inputs.values { if case .stage(let s, let o, _) = input { read.insert("\(s).\(o)") } }
            }
            return plan.stages.flatMap { stage in
                stage.outputs.sorted { $0.key < $1.key }.filter { $0.value != "-" && !read.contains("\(stage.spec.index).\($0.key)") }
                    .map { (stage.name, $0.key, $0.value) }
            }
        }

        static func summaryJSON(_ plan: PipelinePlan, _ summary: RunSummary) -> JSONValue {
            var stages: [String: JSONValue] = [:]
            for (name, outcome) in summary.outcomes {
                switch outcome {
                case .ran(let seconds): stages[name] = .object(["status": "ran", "seconds": .number((seconds * 1000).rounded() / 1000)])
                case .cached: stages[name] = .object(["status": "cached"])
                case .wouldRun(let reason): stages[name] = .object(["status": "would-run", "reason": .string(reason)])
                case .failed(let status, let log): stages[name] = .object(["status": "failed", "exit": .number(Double(status)), "log": .string(log)])
                case .notRun(let by): stages[name] = .object(["status": "not-run", "blocked_by": .string(by)])
                case .submitted(let job): stages[name] = .object(["status": "submitted", "slurm_job": .string(job)])
                }
            }
            return .object(["run": .string(plan.run.id), "folder": .string(plan.run.folder), "lock": .string(summary.lockPath), "stages": .object(stages)])
        }
    }

    /// The runner's lines, and below them one line per running stage with its elapsed time and its
    /// own progress (redrawn in place), when the output is a terminal; plain lines otherwise.
    final class StatusLine: @unchecked Sendable {
        let descriptor: Int32
        let isTerminal: Bool
        private var shown = 0
        private let lock = NSLock()

        init(descriptor: Int32) {
            self.descriptor = descriptor
            isTerminal = isatty(descriptor) == 1
        }

        private func write(_ text: String) {
            _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        }

        private func erase() {
            // Up and erase each status line drawn last time.
            if shown > 0 { write("\r\u{1B}[2K" + String(repeating: "\u{1B}[1A\u{1B}[2K", count: shown - 1)) }
            shown = 0
        }

        func print(_ line: String) {
            lock.lock(); defer { lock.unlock() }
            if isTerminal { erase() }
            write(line + "\n")
        }

        func show(_ stages: [StageProgress]) {
            lock.lock(); defer { lock.unlock() }
            guard isTerminal else { return }
            erase()
            let columns = Self.columns(descriptor)
            let lines = stages.map { stage -> String in
                let text = "\(stage.label)  \(ProgressBar.clock(stage.elapsed))  \(stage.progress.isEmpty ? "running" : stage.progress)"
                return String(text.prefix(max(20, columns - 1)))
            }
            write(lines.joined(separator: "\n"))
            shown = lines.count
        }

        func clear() {
            lock.lock(); defer { lock.unlock() }
            if isTerminal { erase() }
        }

        static func columns(_ descriptor: Int32) -> Int {
            var size = winsize()
            return ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100
        }
    }

    /// `hz-pipeline validate`.
    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check a spec (schema, operators, params, references, cycles) without running it.",
            discussion: "Prints every problem with its JSON path, e.g. `stages[3].params.lr: expected a number, found a string`.\n\n  hz-pipeline validate spec.json")

        @OptionGroup public var specOptions: SpecOptions

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-pipeline") { try validateSpec() } }

        private func validateSpec() throws {
            let plans = try specOptions.plans()
            let stages = plans.first?.stages.count ?? 0
            print("\(specOptions.spec): valid; \(stages) stages, \(plans.count) run\(plans.count == 1 ? "" : "s")")
        }
    }

    /// `hz-pipeline graph`.
    public struct Graph: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print a spec's DAG: stages in execution order with what each reads.",
            discussion: "  hz-pipeline graph spec.json\n  hz-pipeline graph spec.json --dot | dot -Tsvg > dag.svg")

        @OptionGroup public var specOptions: SpecOptions

        @Flag(help: "Print Graphviz dot instead of text.")
        public var dot = false

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-pipeline") { try printGraph() } }

        private func printGraph() throws {
            guard let plan = try specOptions.plans().first else { return }
            print(dot ? PipelineGraph.dot(plan) : PipelineGraph.text(plan), terminator: "")
        }
    }

    /// `hz-pipeline schema`.
    public struct Schema: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print the pipeline spec's JSON Schema (draft 2020-12), e.g. for an editor.",
            discussion: "  hz-pipeline schema > pipeline.schema.json")

        @Flag(help: "Print the archive manifest's schema instead.")
        public var manifest = false

        public init() {}

        public func run() throws {
            print(manifest ? EmbeddedSchemas.manifest : EmbeddedSchemas.pipeline)
        }
    }
}
