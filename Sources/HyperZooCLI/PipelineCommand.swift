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
