// Plans one stage of a spec against its executable's own arguments, one section at a time:
// params (variables substituted, types checked), outputs (plain names inside the stage folder),
// inputs (files, other stages' outputs, lists for repeating arguments), paths that would leave
// the run folder, and the arguments the executable requires. Each section reports its problems
// with their JSON paths; PipelinePlan collects them over all stages.
import Foundation
import ZooStore

/// The planning of one stage; `problems` lists what is wrong, in the order found.
struct StagePlanner {
    let stage: StageSpec
    let description: OperatorDescription
    let run: PipelineRun
    /// The spec's variables plus the built-in ones of this stage.
    let vars: [String: JSONValue]
    /// `hz-train` or `hz-archive create`, for messages.
    let executableName: String
    private(set) var problems: [(path: String, message: String)] = []
    /// Spec keys already given in params, inputs or outputs (each may appear once).
    private var used = Set<String>()

    init(stage: StageSpec, description: OperatorDescription, run: PipelineRun) {
        self.stage = stage
        self.description = description
        self.run = run
        executableName = ([URL(fileURLWithPath: description.executable).lastPathComponent] + description.subcommands).joined(separator: " ")
        // Built-in variables: the run folder, the resolved spec and this stage's upstream lock.
        var vars = run.vars
        vars["run_folder"] = .string(run.folder)
        vars["spec_file"] = .string(run.folder + "/" + PipelinePlan.specFileName)
        vars["upstream_lock"] = .string(PipelinePlan.upstreamLockPath(run: run, stage: stage.name))
        self.vars = vars
    }

    private mutating func fail(_ path: String, _ message: String) { problems.append((path, message)) }

    /// The executable's argument for spec key `key` in `section`, or nil (reported) when it has none.
    private mutating func known(_ section: String, _ key: String) -> OperatorArgument? {
        let path = JSONPath.member("\(stage.jsonPath).\(section)", key)
        guard let argument = description.argument(named: key) else {
            fail(path, "\(executableName) has no option --\(key) (it has: \(description.knownNames.joined(separator: ", ")))")
            return nil
        }
        if !used.insert(key).inserted { fail(path, "'\(key)' is given in more than one of params, inputs and outputs") }
        return argument
    }

    /// `params`: substituted, each an argument of the executable with a value of its type.
    mutating func planParams() -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        for (key, raw) in stage.params.sorted(by: { $0.key < $1.key }) {
            let value = substitute(raw, vars: vars)
            let path = JSONPath.member("\(stage.jsonPath).params", key)
            for name in unresolvedVariables(value) { fail(path, "undefined variable ${\(name)} (define it in vars or matrix)") }
            guard let argument = known("params", key) else { continue }
            if let problem = PipelinePlan.typeProblem(value, argument) {
                // A choice names its stage and option too: the allowed values are the stage's
                // (from its --experimental-dump-help), not the spec's.
                if case .choice = argument.valueType {
                    fail(path, "stage '\(stage.name)': \(executableName) \(argument.kind == .positional ? key : "--" + key): \(problem)")
                } else {
                    fail(path, problem)
                }
            }
            params[key] = value
        }
        return params
    }

    /// `outputs`: output name → path inside the stage folder, "-" for a streamed output.
    mutating func planOutputs() -> [String: String] {
        var outputs: [String: String] = [:]
        for (key, raw) in stage.outputs.sorted(by: { $0.key < $1.key }) {
            let name = substituteText(raw, vars: vars)
            guard known("outputs", key) != nil else { continue }
            if name != "-" && (name.contains("/") && !name.hasSuffix("/") || name.hasPrefix(".") || name.contains("${")) {
                fail(JSONPath.member("\(stage.jsonPath).outputs", key), "output name '\(name)' must be a plain file or folder name inside the stage folder")
            }
            outputs[key] = name == "-" ? "-" : "\(run.folder)/\(stage.name)/\(name)"
        }
        return outputs
    }

    /// `inputs`: each a file (`{"file": ...}`, relative to the spec's folder) or `stage.output`
    /// (with `/inner/path` for a file inside a folder output), and the stages read from.
    mutating func planInputs(spec: PipelineSpec, indexByName: [String: Int]) -> (inputs: [String: PlannedInput], dependencies: Set<Int>) {
        var inputs: [String: PlannedInput] = [:]
        var dependencies = Set<Int>()
        for (key, raw, path) in references() {
            if let file = raw["file"]?.stringValue {
                inputs[key] = fileInput(file, path: path, specFile: spec.file)
                continue
            }
            guard let (source, output, outputPath) = stageOutput(raw, path: path, spec: spec, indexByName: indexByName) else { continue }
            inputs[key] = .stage(stage: source, output: output, path: outputPath)
            dependencies.insert(source)
        }
        return (inputs, dependencies)
    }

    /// Every input reference with its key and JSON path. A repeating argument (hz-eval's
    /// populations) takes a list; each element is planned as its own input under the key
    /// "name[000]", "name[001]", ...
    private mutating func references() -> [(key: String, raw: JSONValue, path: String)] {
        var references: [(key: String, raw: JSONValue, path: String)] = []
        for (key, raw) in stage.inputs.sorted(by: { $0.key < $1.key }) {
            let path = JSONPath.member("\(stage.jsonPath).inputs", key)
            guard let argument = known("inputs", key) else { continue }
            guard let list = raw.arrayValue else { references.append((key, raw, path)); continue }
            guard argument.isRepeating else {
                fail(path, "\(executableName) takes one \(key), so a list is not allowed here"); continue
            }
            guard !list.isEmpty, list.count <= PipelinePlan.maximumListInputs else {
                fail(path, "a list of inputs needs 1 to \(PipelinePlan.maximumListInputs) references, found \(list.count)"); continue
            }
            for (i, element) in list.enumerated() {
                references.append((PipelinePlan.listInputKey(key, i), element, path + "[\(i)]"))
            }
        }
        return references
    }

    private mutating func fileInput(_ file: String, path: String, specFile: String) -> PlannedInput {
        let resolved = substituteText(file, vars: vars)
        let specFolder = URL(fileURLWithPath: specFile).deletingLastPathComponent()
        let absolute = resolved.hasPrefix("/") ? resolved : specFolder.appendingPathComponent(resolved).standardizedFileURL.path
        if !FileManager.default.fileExists(atPath: absolute) {
            fail(path, "file '\(resolved)' not found (looked at \(absolute))")
        }
        return .file(path: absolute)
    }

    /// `stage.output` or `stage.output/inner/file`: (producing stage, output name, path), or nil (reported).
    private mutating func stageOutput(_ raw: JSONValue, path: String, spec: PipelineSpec, indexByName: [String: Int]) -> (Int, String, String)? {
        let reference = substituteText(raw.stringValue ?? "", vars: vars)
        var parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        var inner = ""
        if parts.count == 2, let slash = parts[1].firstIndex(of: "/") {
            inner = String(parts[1][slash...])
            parts[1] = String(parts[1][..<slash])
            if inner.split(separator: "/").contains("..") { fail(path, "'..' is not allowed in '\(reference)'"); return nil }
        }
        guard parts.count == 2, let source = indexByName[parts[0]] else {
            fail(path, "refers to stage '\(parts.first ?? reference)', which does not exist (stages: \(spec.stages.map(\.name).joined(separator: ", ")))")
            return nil
        }
        let sourceStage = spec.stages[source]
        guard let outputName = sourceStage.outputs[parts[1]] else {
            fail(path, "stage '\(parts[0])' has no output '\(parts[1])' (its outputs: \(sourceStage.outputs.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        if outputName == "-" && !inner.isEmpty { fail(path, "a streamed output has no files inside it"); return nil }
        let folderName = substituteText(outputName, vars: vars)
        let outputPath = outputName == "-" ? "-" : "\(run.folder)/\(sourceStage.name)/\(folderName.hasSuffix("/") ? String(folderName.dropLast()) : folderName)\(inner)"
        return (source, parts[1], outputPath)
    }

    /// Param and arg values that are paths must stay inside the run folder, unless the stage
    /// says `paths_outside_run_folder`.
    mutating func checkPathsStayInRunFolder(params: [String: JSONValue]) {
        guard !stage.pathsOutsideRunFolder else { return }
        for (key, value) in params.sorted(by: { $0.key < $1.key }) {
            for text in (value.arrayValue ?? [value]).compactMap(\.stringValue) {
                if let problem = PipelinePlan.escape(text, runFolder: run.folder) { fail(JSONPath.member("\(stage.jsonPath).params", key), problem) }
            }
        }
        for (i, text) in stage.args.enumerated() {
            let value = substituteText(text, vars: vars)
            let path = value.hasPrefix("-") && value.contains("=") ? String(value[value.index(after: value.firstIndex(of: "=")!)...]) : value
            if let problem = PipelinePlan.escape(path, runFolder: run.folder) { fail(JSONPath.index("\(stage.jsonPath).args", i), problem) }
        }
    }

    /// Every option and positional the executable requires is given somewhere.
    mutating func checkRequiredArguments() {
        for (name, argument) in description.options.sorted(by: { $0.key < $1.key })
        where !argument.isOptional && argument.kind == .option && !used.contains(name) {
            fail(stage.jsonPath, "\(executableName) needs --\(name): add it to params, inputs or outputs")
        }
        for argument in description.positionals where !argument.isOptional && !used.contains(argument.name) {
            fail(stage.jsonPath, "\(executableName) needs its '\(argument.name)' argument: add it to params, inputs or outputs")
        }
    }

    /// All sections, in the order their problems are reported.
    static func plan(_ stage: StageSpec, description: OperatorDescription, spec: PipelineSpec, run: PipelineRun,
                     indexByName: [String: Int]) -> (stage: PlannedStage, problems: [(path: String, message: String)]) {
        var planner = StagePlanner(stage: stage, description: description, run: run)
        let params = planner.planParams()
        let outputs = planner.planOutputs()
        let (inputs, dependencies) = planner.planInputs(spec: spec, indexByName: indexByName)
        planner.checkPathsStayInRunFolder(params: params)
        planner.checkRequiredArguments()
        let planned = PlannedStage(spec: stage, description: description, params: params, inputs: inputs, outputs: outputs,
                                   dependencies: dependencies.sorted(), commandLine: [], streamsTo: nil, streamsFrom: nil)
        return (planned, planner.problems)
    }
}
