// pipeline.lock.json: what produced each stage's outputs (DVC's dvc.lock idea). Written by the
// runner after every successful stage, with sorted keys and no timestamps, so the same pipeline on
// the same inputs gives the same lock, and a failed run resumes from the last finished stage.
import Archive
import Foundation
import ZooStore

/// One stage's record in the lock.
public struct LockEntry: Equatable, Sendable {
    /// SHA-256 over operator, tool digest, params, input digests, output names and extra args.
    public var key: String
    public var operatorName: String
    public var tool: String
    public var params: [String: JSONValue]
    /// Input name → digest ("stream:<producer key>" for a piped input).
    public var inputs: [String: String]
    /// Output name → (path, digest); streamed outputs have no entry.
    public var outputs: [String: (path: String, digest: String)]
    public var args: [String]

    public static func == (a: LockEntry, b: LockEntry) -> Bool {
        a.json == b.json
    }

    /// The cache key of a stage given its resolved inputs' digests.
    public static func key(operatorName: String, tool: String, params: [String: JSONValue], inputs: [String: String],
                           outputNames: [String: String], args: [String]) -> String {
        let material = JSONValue.object([
            "operator": .string(operatorName), "tool": .string(tool), "params": .object(params),
            "inputs": .object(inputs.mapValues { .string($0) }),
            "outputs": .object(outputNames.mapValues { .string($0) }),
            "args": .array(args.map { .string($0) }),
        ])
        return SHA256.hex(of: Array(material.canonical.utf8))
    }

    /// The entry with its outputs' paths (relative to a stage folder) placed inside `folder`.
    func withOutputs(in folder: String) -> LockEntry {
        var entry = self
        entry.outputs = outputs.mapValues { (folder + "/" + $0.path, $0.digest) }
        return entry
    }

    var json: JSONValue {
        .object([
            "key": .string(key), "operator": .string(operatorName), "tool": .string(tool),
            "params": .object(params),
            "inputs": .object(inputs.mapValues { .string($0) }),
            "outputs": .object(outputs.mapValues { .object(["path": .string($0.path), "sha256": .string($0.digest)]) }),
            "args": .array(args.map { .string($0) }),
        ])
    }

    init(key: String, operatorName: String, tool: String, params: [String: JSONValue], inputs: [String: String],
         outputs: [String: (path: String, digest: String)], args: [String]) {
        self.key = key
        self.operatorName = operatorName
        self.tool = tool
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.args = args
    }

    init?(json: JSONValue) {
        guard let key = json["key"]?.stringValue else { return nil }
        self.key = key
        operatorName = json["operator"]?.stringValue ?? ""
        tool = json["tool"]?.stringValue ?? ""
        params = json["params"]?.objectValue ?? [:]
        inputs = (json["inputs"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        outputs = (json["outputs"]?.objectValue ?? [:]).compactMapValues { node in
            guard let path = node["path"]?.stringValue, let digest = node["sha256"]?.stringValue else { return nil }
            return (path, digest)
        }
        args = (json["args"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}

/// The lock file of one run folder.
public struct LockFile: Sendable {
    public static let format = "hyperzoo.pipeline-lock"
    public var pipeline: String
    public var run: String
    public var stages: [String: LockEntry]

    public init(pipeline: String, run: String, stages: [String: LockEntry] = [:]) {
        self.pipeline = pipeline
        self.run = run
        self.stages = stages
    }

    /// Reads `path`; a missing file is an empty lock, an unreadable one is an error.
    public static func read(path: String, pipeline: String, run: String) throws -> LockFile {
        guard FileManager.default.fileExists(atPath: path) else { return LockFile(pipeline: pipeline, run: run) }
        let node = try JSONValue.read(path: path)
        guard node["format"]?.stringValue == format else {
            throw SpecError(file: path, path: "format", message: "expected \"\(format)\"; delete the file to start the run afresh")
        }
        var stages: [String: LockEntry] = [:]
        for (name, entry) in node["stages"]?.objectValue ?? [:] { stages[name] = LockEntry(json: entry) }
        return LockFile(pipeline: pipeline, run: run, stages: stages)
    }

    public var json: JSONValue {
        .object([
            "format": .string(Self.format), "format_version": 2,
            "pipeline": .string(pipeline), "run": .string(run),
            "stages": .object(stages.mapValues(\.json)),
        ])
    }

    /// Writes the lock atomically.
    public func write(to path: String) throws {
        try writeFileAtomically(json.pretty, to: path)
    }
}
