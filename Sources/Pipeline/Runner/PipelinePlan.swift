// From a spec and one run to a checked DAG of commands: variables substituted, every param,
// input and output checked against the stage executable's own arguments, references resolved,
// cycles found. All problems are reported together, each with its JSON path, before anything runs.
import Foundation
import ZooStore

/// A resolved input of a planned stage.
public enum PlannedInput: Equatable, Sendable {
    /// The output `output` of stage number `stage`, at `path` ("-" when streamed through a pipe).
    case stage(stage: Int, output: String, path: String)
    /// A file or folder outside the pipeline.
    case file(path: String)

    public var path: String {
        switch self {
        case .stage(_, _, let path), .file(let path): return path
        }
    }
}

/// A stage ready to run.
public struct PlannedStage: Sendable {
    public var spec: StageSpec
    public var description: OperatorDescription
    /// Params after variable substitution.
    public var params: [String: JSONValue]
    public var inputs: [String: PlannedInput]
    /// Output name → path (relative to the working directory), "-" for a streamed output.
    public var outputs: [String: String]
    /// Stages whose outputs this stage reads, by index, sorted.
    public var dependencies: [Int]
    /// The executable and its arguments.
    public var commandLine: [String]
    /// The stage that reads this stage's streamed stdout, if any.
    public var streamsTo: Int?
    /// The stage whose stdout this stage reads, if any.
    public var streamsFrom: Int?

    public var name: String { spec.name }
}

/// A run's stages in a valid execution order.
public struct PipelinePlan: Sendable {
    public var spec: PipelineSpec
    public var run: PipelineRun
    /// In spec order (indexes match `StageSpec.index`).
    public var stages: [PlannedStage]
    /// A topological order of stage indexes (spec order among independent stages).
    public var order: [Int]
    /// The spec's `results` resolved to paths, in name order.
    public var resultPaths: [(name: String, path: String)] = []

    public var lockPath: String { run.folder + "/pipeline.lock.json" }
    public var logFolder: String { run.folder + "/logs" }
    public func logPath(_ stage: PlannedStage) -> String { logFolder + "/\(stage.name).log" }

    /// Builds and checks the plan; throws `SpecErrors` listing every problem.
    public init(spec: PipelineSpec, run: PipelineRun, catalog: OperatorCatalog) throws {
        self.spec = spec
        self.run = run
        var errors: [SpecError] = []
        func fail(_ path: String, _ message: String) { errors.append(SpecError(file: spec.file, path: path, message: message)) }

        let indexByName = Self.indexStageNames(spec, fail: fail)
        var planned: [PlannedStage] = []
        for stage in spec.stages {
            switch catalog.describe(stage.operatorName) {
            case .failure(let error):
                fail("\(stage.jsonPath).operator", error.message)
            case .success(let description):
                let (plannedStage, problems) = StagePlanner.plan(stage, description: description, spec: spec, run: run, indexByName: indexByName)
                for problem in problems { fail(problem.path, problem.message) }
                planned.append(plannedStage)
            }
        }
        if !errors.isEmpty { throw SpecErrors(errors) }

        Self.linkStreams(&planned, fail: fail)
        resultPaths = Self.resolveResults(spec.results, planned: planned, indexByName: indexByName, fail: fail)
        let order = Self.topologicalOrder(planned)
        if order.count < planned.count {
            let stuck = Set(planned.indices).subtracting(order)
            fail("stages", "the inputs form a cycle: \(Self.describeCycle(planned, among: stuck))")
        }
        errors += CrossStageChecks.problems(planned, file: spec.file)
        if !errors.isEmpty { throw SpecErrors(errors) }
        for i in planned.indices { planned[i].commandLine = Self.commandLine(planned[i]) }
        stages = planned
        self.order = order
    }

    /// Stage name → index; a name given twice is reported at its second stage.
    static func indexStageNames(_ spec: PipelineSpec, fail: (String, String) -> Void) -> [String: Int] {
        var indexByName: [String: Int] = [:]
        for stage in spec.stages {
            if let first = indexByName[stage.name] {
                fail("\(stage.jsonPath).name", "duplicate stage name '\(stage.name)' (also stages[\(first)])")
            } else {
                indexByName[stage.name] = stage.index
            }
        }
        return indexByName
    }

    /// Streams: a "-" output must have exactly one reader, and a stage streams to one stage and
    /// reads one stream; the pairs are linked through `streamsTo` / `streamsFrom`.
    static func linkStreams(_ planned: inout [PlannedStage], fail: (String, String) -> Void) {
        for i in planned.indices {
            for (key, path) in planned[i].outputs.sorted(by: { $0.key < $1.key }) where path == "-" {
                let readers = planned.indices.filter { j in planned[j].inputs.values.contains { $0 == .stage(stage: i, output: key, path: "-") } }
                if readers.count != 1 {
                    fail(JSONPath.member("\(planned[i].spec.jsonPath).outputs", key), "a streamed output (\"-\") needs exactly one reading stage, found \(readers.count)")
                } else if planned[i].streamsTo != nil || planned[readers[0]].streamsFrom != nil {
                    fail(JSONPath.member("\(planned[i].spec.jsonPath).outputs", key), "a stage can stream to one stage and read one stream")
                } else {
                    planned[i].streamsTo = readers[0]
                    planned[readers[0]].streamsFrom = i
                }
            }
        }
    }

    /// The spec's `results` (`stage.output` or `stage.output/inner`) as paths, in name order.
    static func resolveResults(_ results: [(name: String, reference: String)], planned: [PlannedStage], indexByName: [String: Int],
                               fail: (String, String) -> Void) -> [(name: String, path: String)] {
        var resultPaths: [(name: String, path: String)] = []
        for (name, reference) in results {
            let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
            let key = parts.count == 2 ? String(parts[1].prefix { $0 != "/" }) : ""
            guard parts.count == 2, let source = indexByName[parts[0]], let outputPath = planned.first(where: { $0.spec.index == source })?.outputs[key], outputPath != "-" else {
                fail(JSONPath.member("results", name), "'\(reference)' is not a file output of a stage")
                continue
            }
            let inner = String(parts[1].dropFirst(key.count))
            resultPaths.append((name, (outputPath.hasSuffix("/") ? String(outputPath.dropLast()) : outputPath) + inner))
        }
        return resultPaths
    }

    /// The spec as run (after --set overrides), written into the run folder: `${spec_file}`.
    public static let specFileName = "spec.json"

    /// `${upstream_lock}`: the lock entries of the stages a stage depends on (transitively), written
    /// just before it starts, so an archive stage can record the digests that produced its inputs.
    public static func upstreamLockPath(run: PipelineRun, stage: String) -> String {
        run.folder + "/" + stage + "/upstream.lock.json"
    }

    /// Every stage `stage` depends on, directly or not.
    public func ancestors(of stage: Int) -> Set<Int> {
        var seen = Set<Int>()
        var stack = stages[stage].dependencies
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += stages[next].dependencies }
        }
        return seen
    }

    /// Kahn's algorithm; ties broken by spec order.
    static func topologicalOrder(_ stages: [PlannedStage]) -> [Int] {
        var remaining = stages.map { Set($0.dependencies) }
        var done: [Int] = []
        var ready = stages.indices.filter { remaining[$0].isEmpty }
        while let next = ready.first {
            ready.removeFirst()
            done.append(next)
            for j in stages.indices where remaining[j].remove(next) != nil && remaining[j].isEmpty { ready.append(j); ready.sort() }
        }
        return done
    }

    static func describeCycle(_ stages: [PlannedStage], among stuck: Set<Int>) -> String {
        // Walk dependencies inside the stuck set until a stage repeats.
        var path: [Int] = [stuck.min()!]
        while true {
            guard let next = stages[path.last!].dependencies.first(where: stuck.contains) else { break }
            if let start = path.firstIndex(of: next) {
                return (path[start...] + [next]).reversed().map { stages[$0].name }.joined(separator: " → ")
            }
            path.append(next)
        }
        return stuck.sorted().map { stages[$0].name }.joined(separator: ", ")
    }
}
