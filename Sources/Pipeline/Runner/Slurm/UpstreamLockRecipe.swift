// `${upstream_lock}` for a stage submitted to Slurm together with its upstream stages. Their lock
// entries exist only once their jobs have ended, so the submitter writes a recipe
// (logs/<stage>.upstream.json): for each ancestor, either its entry (cached) or what its entry is
// computed from (operator, tool digest, params, args, output names, and each input as a known
// digest, another ancestor's output, or a stream of one). The stage's job runs
// `hz-pipeline slurm-upstream-lock RECIPE LOCK` first; by then every ancestor's job has ended
// (afterok), so the digests of their outputs are final and the entries equal those the lock
// records later (the same key computation, LockEntry.key).
import Foundation
import ZooStore

enum UpstreamLockRecipe {
    static let format = "hyperzoo.pipeline-upstream-recipe"

    /// The recipe of stage `s`'s ancestors, in run order. `submitted`: stages whose entries are
    /// computed when the job starts.
    static func make(plan: PipelinePlan, lock: LockFile, stage s: Int, submitted: Set<Int>) -> JSONValue {
        var stages: [JSONValue] = []
        let ancestors = plan.ancestors(of: s)
        for a in plan.order where ancestors.contains(a) {
            let stage = plan.stages[a]
            if !submitted.contains(a), let entry = lock.stages[stage.name] {
                stages.append(.object(["name": .string(stage.name), "entry": entry.json]))
                continue
            }
            var inputs: [String: JSONValue] = [:]
            for (name, input) in stage.inputs {
                switch input {
                case .file(let path):
                    inputs[name] = .object(["file": .string(path)])
                case .stage(let producer, let output, let path):
                    let from = plan.stages[producer].name
                    inputs[name] = path == "-" ? .object(["stream": .string(from)]) : .object(["stage": .string(from), "output": .string(output)])
                }
            }
            stages.append(.object([
                "name": .string(stage.name), "operator": .string(stage.spec.operatorName), "tool": .string(stage.description.toolDigest),
                "params": .object(stage.params), "args": .array(stage.spec.args.map { .string($0) }),
                "output_names": .object(stage.spec.outputs.mapValues { .string($0) }),
                "outputs": .object(stage.outputs.filter { $0.value != "-" }.mapValues { .string($0) }),
                "inputs": .object(inputs),
            ]))
        }
        return .object(["format": .string(format), "pipeline": .string(lock.pipeline), "run": .string(lock.run), "stages": .array(stages)])
    }
}

extension PipelineRunner {
    /// Computes the upstream lock a recipe describes and writes it to `lockPath` (atomically).
    /// Throws naming the stage whose output is missing or whose recipe is malformed.
    public static func writeUpstreamLock(recipe path: String, to lockPath: String) throws {
        let node = try JSONValue.read(path: path)
        guard node["format"]?.stringValue == UpstreamLockRecipe.format, let stages = node["stages"]?.arrayValue else {
            throw SpecError(file: path, path: "format", message: "expected a \"\(UpstreamLockRecipe.format)\" recipe")
        }
        let digester = ContentDigester(statePath: nil)
        var lock = LockFile(pipeline: node["pipeline"]?.stringValue ?? "", run: node["run"]?.stringValue ?? "")
        for (i, stage) in stages.enumerated() {
            func bad(_ message: String) -> SpecError { SpecError(file: path, path: "stages[\(i)]", message: message) }
            guard let name = stage["name"]?.stringValue else { throw bad("no name") }
            if let entryNode = stage["entry"] {
                guard let entry = LockEntry(json: entryNode) else { throw bad("stage '\(name)': unreadable entry") }
                lock.stages[name] = entry
                continue
            }
            var digests: [String: String] = [:]
            for (input, source) in stage["inputs"]?.objectValue ?? [:] {
                if let file = source["file"]?.stringValue {
                    guard let digest = try digester.digest(of: file) else { throw bad("stage '\(name)': input '\(input)' (\(file)) is missing") }
                    digests[input] = digest
                } else if let producer = source["stream"]?.stringValue {
                    digests[input] = "stream:" + (lock.stages[producer]?.key ?? "")
                } else if let producer = source["stage"]?.stringValue, let output = source["output"]?.stringValue,
                          let digest = lock.stages[producer]?.outputs[output]?.digest {
                    digests[input] = digest
                } else {
                    throw bad("stage '\(name)': input '\(input)' names no earlier stage's output")
                }
            }
            let params = stage["params"]?.objectValue ?? [:]
            let args = (stage["args"]?.arrayValue ?? []).compactMap(\.stringValue)
            let outputNames = (stage["output_names"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let operatorName = stage["operator"]?.stringValue ?? "", tool = stage["tool"]?.stringValue ?? ""
            var outputs: [String: (path: String, digest: String)] = [:]
            for (output, file) in (stage["outputs"]?.objectValue ?? [:]).compactMapValues(\.stringValue) {
                guard let digest = try digester.digest(of: file) else { throw bad("stage '\(name)' did not write its output '\(output)' (\(file))") }
                outputs[output] = (file, digest)
            }
            let key = LockEntry.key(operatorName: operatorName, tool: tool, params: params, inputs: digests, outputNames: outputNames, args: args)
            lock.stages[name] = LockEntry(key: key, operatorName: operatorName, tool: tool, params: params, inputs: digests, outputs: outputs, args: args)
        }
        try lock.write(to: lockPath)
    }
}
