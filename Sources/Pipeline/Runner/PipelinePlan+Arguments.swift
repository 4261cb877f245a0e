// How a stage's spec values become its command line: the type each argument accepts, the keys
// of list inputs, paths that must stay in the run folder, and the command in sorted key order.
import Foundation
import ZooStore

extension PipelinePlan {
    /// Why a param or arg value would let a stage write outside the run folder, or nil. A value
    /// with a `/` (or `..`) is taken as a path (relative to the working folder, as the stage sees
    /// it) and must lie inside the run folder; files to read come in through `inputs` instead.
    static func escape(_ value: String, runFolder: String) -> String? {
        guard value.contains("/") || value == ".." else { return nil }
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String {
            URL(fileURLWithPath: path.hasPrefix("/") ? path : cwd + "/" + path).standardizedFileURL.path
        }
        let folder = absolute(runFolder)
        let resolved = absolute(value)
        if resolved == folder || resolved.hasPrefix(folder + "/") { return nil }
        return "'\(value)' is a path outside the run folder \(runFolder); stage outputs stay inside it. Give files to read as inputs ({\"file\": ...}), or set \"paths_outside_run_folder\": true on the stage to allow it"
    }

    /// Why `value` does not fit `argument` (a flag takes a boolean, a choice one of its values, ...), or nil.
    static func typeProblem(_ value: JSONValue, _ argument: OperatorArgument) -> String? {
        if case .array(let items) = value {
            guard argument.isRepeating else { return "expected a single value (the option does not repeat), found an array" }
            for item in items { if let problem = typeProblem(item, OperatorArgument(name: argument.name, kind: argument.kind, valueType: argument.valueType, isOptional: true, isRepeating: false)) { return problem } }
            return nil
        }
        switch argument.valueType {
        case .boolean:
            return value.boolValue == nil ? "expected a boolean (it is a flag), found \(value.typeDescription)" : nil
        case .integer:
            return value.intValue == nil ? "expected an integer, found \(value.typeDescription == "a number" ? value.canonical : value.typeDescription)" : nil
        case .number:
            return value.doubleValue == nil ? "expected a number, found \(value.typeDescription)" : nil
        case .choice(let allowed):
            return allowed.contains(value.commandLineText) ? nil : "expected one of \(allowed.joined(separator: ", ")), found \(value.canonical)"
        case .text:
            switch value { case .string, .number: return nil
            default: return "expected a string or number, found \(value.typeDescription)" }
        }
    }

    /// Most references one list input may hold (a bound on what a spec can make the runner plan).
    static let maximumListInputs = 256

    /// The key of element `index` of a list input: sorts in list order, and names its argument.
    static func listInputKey(_ argument: String, _ index: Int) -> String {
        argument + "[" + String(repeating: "0", count: max(0, 3 - String(index).count)) + String(index) + "]"
    }

    /// The argument an input key feeds: "population.h5[002]" → "population.h5".
    static func argumentName(ofInputKey key: String) -> String {
        guard key.hasSuffix("]"), let open = key.lastIndex(of: "[") else { return key }
        return String(key[..<open])
    }

    /// `hz-op sub --param value ... --input path --output path positional...`, in sorted key order.
    static func commandLine(_ stage: PlannedStage) -> [String] {
        var options: [String] = []
        var positional: [String: [String]] = [:]
        func add(_ key: String, _ values: [String]) {
            guard let argument = stage.description.argument(named: key) else { return }
            if argument.kind == .positional { positional[key, default: []] += values; return }
            for value in values { options += ["--\(key)", value] }
        }
        for (key, value) in stage.params.sorted(by: { $0.key < $1.key }) {
            let argument = stage.description.argument(named: key)
            if argument?.kind == .flag {
                if value.boolValue == true { options.append("--\(key)") }
                else if let inversion = argument?.inversion { options.append("--\(inversion)") }
                continue
            }
            add(key, (value.arrayValue ?? [value]).map(\.commandLineText))
        }
        for (key, input) in stage.inputs.sorted(by: { $0.key < $1.key }) { add(argumentName(ofInputKey: key), [input.path]) }
        for (key, output) in stage.outputs.sorted(by: { $0.key < $1.key }) { add(key, [output]) }
        var line = [stage.description.executable] + stage.description.subcommands + options
        for argument in stage.description.positionals { line += positional[argument.name] ?? [] }
        return line + stage.spec.args
    }
}
