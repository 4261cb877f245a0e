// `hz-pipeline` / `hyperzoo pipeline`: run a JSON pipeline spec as a DAG of hz-* processes, cached
// by content hash; validate a spec; print its graph.
import ArgumentParser
import Foundation
import Pipeline

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
        subcommands: [Run.self, Validate.self, Graph.self, Schema.self]
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
            run resumes from there.

              hz-pipeline run fixtures/pipelines/quickstart.json --jobs 2
              hz-pipeline run spec.json --force train --set train.lr=0.0005
            """)

        @OptionGroup public var specOptions: SpecOptions

        @Option(help: ArgumentHelp("Processes to run at once (a streamed chain needs one per stage).", valueName: "n"))
        public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: ArgumentHelp("Run this stage even if cached; repeatable.", valueName: "stage"))
        public var force: [String] = []

        @Flag(help: "Print what would run and why, and run nothing.")
        public var dryRun = false

        @Flag(help: "Print a JSON summary (stage → ran/cached/failed) on stdout at the end.")
        public var json = false

        public init() {}

        public func validate() throws {
            if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        }

        public func run() throws {
            let plans = try specOptions.plans()
            var failedAny = false
            var summaries: [JSONNode] = []
            for plan in plans {
                let say: (String) -> Void = json ? { printError($0) } : { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
                say("\(options(dry: dryRun)) \(plan.spec.name) (run '\(plan.run.id)') in \(plan.run.folder)")
                let runner = try PipelineRunner(plan: plan, options: RunOptions(jobs: jobs, force: Set(force), dryRun: dryRun), say: say)
                let summary = try runner.run()
                summaries.append(summaryJSON(plan, summary))
                if dryRun { continue }
                if !summary.failed.isEmpty || !summary.succeeded {
                    failedAny = true
                    for name in summary.failed {
                        if case .failed(let status, let log) = summary.outcomes[name]! {
                            printError("error: stage '\(name)' failed\(status == 0 ? " (missing output)" : " with exit status \(status)"); see its log: \(log)")
                        }
                    }
                    let blocked = summary.outcomes.compactMap { name, outcome -> String? in
                        if case .notRun(let by) = outcome { return "\(name) (needs \(by))" }
                        return nil
                    }.sorted()
                    if !blocked.isEmpty { printError("not run: \(blocked.joined(separator: ", ")); fix the failure and run again to resume") }
                    continue
                }
                say("done in \(String(format: "%.1f", summary.seconds)) s: \(summary.ran.count) ran, \(summary.cached.count) cached; lock: \(summary.lockPath)")
                if plan.resultPaths.isEmpty {
                    for (stage, name, path) in finalOutputs(plan) { say("  \(stage).\(name): \(path)") }
                } else {
                    for (name, path) in plan.resultPaths { say("  \(name): \(path)") }
                }
            }
            if json { print(JSONNode.array(summaries).pretty, terminator: "") }
            if failedAny { throw ExitCode.failure }
        }

        private func options(dry: Bool) -> String { dry ? "dry run of" : "running" }

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

        private func summaryJSON(_ plan: PipelinePlan, _ summary: RunSummary) -> JSONNode {
            var stages: [String: JSONNode] = [:]
            for (name, outcome) in summary.outcomes {
                switch outcome {
                case .ran(let seconds): stages[name] = .object(["status": "ran", "seconds": .number((seconds * 1000).rounded() / 1000)])
                case .cached: stages[name] = .object(["status": "cached"])
                case .wouldRun(let reason): stages[name] = .object(["status": "would-run", "reason": .string(reason)])
                case .failed(let status, let log): stages[name] = .object(["status": "failed", "exit": .number(Double(status)), "log": .string(log)])
                case .notRun(let by): stages[name] = .object(["status": "not-run", "blocked_by": .string(by)])
                }
            }
            return .object(["run": .string(plan.run.id), "folder": .string(plan.run.folder), "lock": .string(summary.lockPath), "stages": .object(stages)])
        }
    }

    /// `hz-pipeline validate`.
    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check a spec (schema, operators, params, references, cycles) without running it.",
            discussion: "Prints every problem with its JSON path, e.g. `stages[3].params.lr: expected a number, found a string`.\n\n  hz-pipeline validate spec.json")

        @OptionGroup public var specOptions: SpecOptions

        public init() {}

        public func run() throws {
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

        public func run() throws {
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
