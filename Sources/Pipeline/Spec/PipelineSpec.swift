// The pipeline spec (schemas/pipeline.schema.json): loaded, overridden with --set, checked against
// the schema, and expanded into runs (one per combination of the matrix variables).
import Foundation
import ZooStore

/// Where a stage input comes from.
public enum StageInput: Equatable, Sendable {
    /// Another stage's output: `"zoo.output"`.
    case stageOutput(stage: String, output: String)
    /// A file or folder outside the pipeline (relative paths are relative to the spec's folder).
    case file(String)
}

/// One stage as written in the spec (variables not yet substituted).
public struct StageSpec: Equatable, Sendable {
    public var index: Int
    public var name: String
    public var operatorName: String
    public var params: [String: JSONValue]
    public var inputs: [String: JSONValue]
    public var outputs: [String: String]
    public var args: [String]
    /// `"paths_outside_run_folder": true`: params and args may name paths anywhere (default: every
    /// path in them must lie inside the run folder).
    public var pathsOutsideRunFolder: Bool = false

    /// `stages[3]`: the JSON path used in messages.
    public var jsonPath: String { "stages[\(index)]" }
}

/// A parsed, schema-valid pipeline spec.
public struct PipelineSpec: Sendable {
    /// The file it came from (for messages and for resolving relative input files).
    public var file: String
    /// The document after `--set` overrides (recorded in archives).
    public var document: JSONValue
    public var name: String
    public var vars: [String: JSONValue]
    /// Matrix variables in name order, with their values.
    public var matrix: [(name: String, values: [JSONValue])]
    public var output: String?
    /// Results to print at the end: name → "stage.output[/file]", sorted by name.
    public var results: [(name: String, reference: String)]
    public var stages: [StageSpec]

    /// Loads `path`, applies `overrides` (`stage.param=value`, `vars.name=value`) and checks the schema.
    public static func load(path: String, overrides: [String] = []) throws -> PipelineSpec {
        var document = try JSONValue.read(path: path)
        for override in overrides { document = try apply(override: override, to: document, file: path) }
        return try PipelineSpec(document: document, file: path)
    }

    /// Checks `document` against the pipeline schema and reads it.
    public init(document: JSONValue, file: String) throws {
        try PipelineSpec.validator().require(document, file: file)
        self.file = file
        self.document = document
        name = document["pipeline"]?.stringValue ?? ""
        vars = document["vars"]?.objectValue ?? [:]
        matrix = (document["matrix"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value.arrayValue ?? []) }
        output = document["output"]?.stringValue
        results = (document["results"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value.stringValue ?? "") }
        // Count the sweep's points before anything is expanded: a few short lists multiply to more
        // runs than anyone can mean (and than memory holds).
        var points = 1
        for (variable, values) in matrix {
            let (product, overflow) = points.multipliedReportingOverflow(by: values.count)
            guard !overflow, product <= Self.maximumRuns else {
                throw SpecError(file: file, path: "matrix", message: "expands to \(overflow ? "more than \(Int.max)" : "\(product)")\(overflow ? "" : " or more") runs (at '\(variable)'), more than the limit of \(Self.maximumRuns); sweep fewer values, or split the sweep into several specs")
            }
            points = product
        }
        stages = (document["stages"]?.arrayValue ?? []).enumerated().map { index, stage in
            StageSpec(index: index, name: stage["name"]?.stringValue ?? "",
                      operatorName: stage["operator"]?.stringValue ?? "",
                      params: stage["params"]?.objectValue ?? [:],
                      inputs: stage["inputs"]?.objectValue ?? [:],
                      outputs: (stage["outputs"]?.objectValue ?? [:]).mapValues { $0.stringValue ?? "" },
                      args: (stage["args"]?.arrayValue ?? []).compactMap(\.stringValue),
                      pathsOutsideRunFolder: stage["paths_outside_run_folder"]?.boolValue ?? false)
        }
    }

    /// The most runs a matrix may expand to.
    public static let maximumRuns = 1000

    /// The compiled pipeline schema.
    public static func validator() throws -> JSONSchemaValidator {
        try JSONSchemaValidator(text: EmbeddedSchemas.pipeline, name: "pipeline.schema.json")
    }

    /// Applies one `stage.param=value` (or `vars.name=value`) override. The value is read as JSON
    /// when it parses (numbers, booleans, arrays), else as a string.
    static func apply(override: String, to document: JSONValue, file: String) throws -> JSONValue {
        guard let equals = override.firstIndex(of: "="), let dot = override[..<equals].firstIndex(of: ".") else {
            throw SpecError(file: file, path: "", message: "--set '\(override)': expected stage.param=value or vars.name=value")
        }
        let target = String(override[..<dot])
        let key = String(override[override.index(after: dot)..<equals])
        let text = String(override[override.index(after: equals)...])
        let value = (try? JSONValue.parse(Data(text.utf8), source: "--set")) ?? .string(text)
        guard case .object(var root) = document else { return document }
        if target == "vars" {
            var vars = root["vars"]?.objectValue ?? [:]
            if case .object(var matrix) = root["matrix"] ?? .null, matrix[key] != nil {
                // A swept variable set on the command line: that one point of the sweep (in its
                // usual run folder, so it shares the sweep's cached results).
                guard value.arrayValue == nil else {
                    throw SpecError(file: file, path: "", message: "--set '\(override)': the matrix variable '\(key)' takes one value here (edit the spec's matrix to sweep other values)")
                }
                matrix[key] = .array([value])
                root["matrix"] = .object(matrix)
                return .object(root)
            }
            guard vars[key] != nil else {
                let known = (Array(vars.keys) + ((root["matrix"]?.objectValue).map { Array($0.keys) } ?? [])).sorted()
                throw SpecError(file: file, path: "", message: "--set '\(override)': the spec has no variable '\(key)' (vars and matrix: \(known.isEmpty ? "none" : known.joined(separator: ", "))); a new variable would be used by nothing")
            }
            vars[key] = value
            root["vars"] = .object(vars)
            return .object(root)
        }
        guard var stages = root["stages"]?.arrayValue,
              let index = stages.firstIndex(where: { $0["name"]?.stringValue == target }),
              case .object(var stage) = stages[index] else {
            let names = (root["stages"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            throw SpecError(file: file, path: "", message: "--set '\(override)': no stage named '\(target)' (stages: \(names.joined(separator: ", ")))")
        }
        var params = stage["params"]?.objectValue ?? [:]
        params[key] = value
        stage["params"] = .object(params)
        stages[index] = .object(stage)
        root["stages"] = .array(stages)
        return .object(root)
    }

    /// One run per matrix combination (a single run without a matrix), with its variables and folder.
    public func runs(outputOverride: String? = nil) -> [PipelineRun] {
        let base = outputOverride ?? output.map { substituteText($0, vars: vars.merging(["pipeline": .string(name)]) { a, _ in a }) }
            ?? "runs/\(name)"
        var combinations: [[(String, JSONValue)]] = [[]]
        for (variable, values) in matrix {
            combinations = combinations.flatMap { prefix in values.map { prefix + [(variable, $0)] } }
        }
        return combinations.map { combination in
            var runVars = vars
            for (k, v) in combination { runVars[k] = v }
            let id = combination.map { "\($0.0)=\($0.1.commandLineText)" }.joined(separator: ",")
            let folder = id.isEmpty ? base : base + "/" + id.replacingOccurrences(of: "/", with: "_")
            return PipelineRun(id: id.isEmpty ? name : id, folder: folder, vars: runVars, base: base)
        }
    }
}

/// One expansion of the matrix: its id, run folder and variable values.
public struct PipelineRun: Sendable {
    public var id: String
    public var folder: String
    public var vars: [String: JSONValue]
    /// The folder shared by every run of the spec (the matrix's parent folder; the run folder
    /// itself without a matrix): the result cache and the digest cache live there.
    public var base: String

    public init(id: String, folder: String, vars: [String: JSONValue], base: String? = nil) {
        self.id = id
        self.folder = folder
        self.vars = vars
        self.base = base ?? folder
    }
}

/// Replaces `${name}` in `text`; unknown names are left as they are (the planner reports them).
func substituteText(_ text: String, vars: [String: JSONValue]) -> String {
    guard text.contains("${") else { return text }
    var out = ""
    var rest = Substring(text)
    while let start = rest.range(of: "${") {
        out += rest[..<start.lowerBound]
        guard let end = rest[start.upperBound...].firstIndex(of: "}") else { out += rest[start.lowerBound...]; return out }
        let name = String(rest[start.upperBound..<end])
        out += vars[name]?.commandLineText ?? "${\(name)}"
        rest = rest[rest.index(after: end)...]
    }
    return out + rest
}

/// Substitutes variables in a value: a string that is exactly `${name}` takes the variable's value
/// (and type); other strings get textual substitution; arrays recurse.
func substitute(_ value: JSONValue, vars: [String: JSONValue]) -> JSONValue {
    switch value {
    case .string(let s):
        if s.hasPrefix("${"), s.hasSuffix("}"), s.dropFirst(2).dropLast().allSatisfy({ $0 != "$" && $0 != "{" && $0 != "}" }),
           let whole = vars[String(s.dropFirst(2).dropLast())] {
            return whole
        }
        return .string(substituteText(s, vars: vars))
    case .array(let items): return .array(items.map { substitute($0, vars: vars) })
    default: return value
    }
}

/// Variable names a value still mentions after substitution (i.e. undefined ones).
func unresolvedVariables(_ value: JSONValue) -> [String] {
    switch value {
    case .string(let s):
        var names: [String] = []
        var rest = Substring(s)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    case .array(let items): return items.flatMap(unresolvedVariables)
    default: return []
    }
}
