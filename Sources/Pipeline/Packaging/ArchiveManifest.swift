// manifest.json: the first entry of every hyperzoo archive (schemas/manifest.schema.json).
// It lists every other entry with size and SHA-256, the models' safetensors files, the pipeline
// spec and lock that produced the contents, and the evaluation summary. No timestamps.
import Archive
import Foundation
import ZooStore

/// The manifest of a hyperzoo archive.
public struct ArchiveManifest: Equatable, Sendable {
    /// One archived file.
    public struct FileRecord: Equatable, Sendable {
        public var path: String
        public var size: Int64
        public var sha256: String
        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// One model exported as safetensors.
    public struct ModelFile: Equatable, Sendable {
        public var id: String
        public var file: String
        public var source: String?
        public var epoch: Int?
        public init(id: String, file: String, source: String? = nil, epoch: Int? = nil) {
            self.id = id
            self.file = file
            self.source = source
            self.epoch = epoch
        }
    }

    public static let entryName = "manifest.json"
    public static let format = "hyperzoo.archive"

    public var createdBy: String
    public var name: String?
    public var files: [FileRecord]
    public var models: [ModelFile]
    public var pipelineSpec: JSONValue?
    public var pipelineLock: JSONValue?
    public var evaluation: JSONValue?

    public init(createdBy: String, name: String? = nil, files: [FileRecord], models: [ModelFile] = [],
                pipelineSpec: JSONValue? = nil, pipelineLock: JSONValue? = nil, evaluation: JSONValue? = nil) {
        self.createdBy = createdBy
        self.name = name
        self.files = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.models = models.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        self.pipelineSpec = pipelineSpec
        self.pipelineLock = pipelineLock
        self.evaluation = evaluation
    }

    /// The manifest as JSON.
    public var json: JSONValue {
        var root: [String: JSONValue] = [
            "format": .string(Self.format),
            "format_version": 1,
            "created_by": .string(createdBy),
            "files": .array(files.map { .object(["path": .string($0.path), "size": .number(Double($0.size)), "sha256": .string($0.sha256)]) }),
        ]
        if let name { root["name"] = .string(name) }
        if !models.isEmpty {
            root["models"] = .array(models.map { model in
                var m: [String: JSONValue] = ["id": .string(model.id), "file": .string(model.file)]
                if let source = model.source { m["source"] = .string(source) }
                if let epoch = model.epoch { m["epoch"] = .number(Double(epoch)) }
                return .object(m)
            })
        }
        if pipelineSpec != nil || pipelineLock != nil {
            var p: [String: JSONValue] = [:]
            if let pipelineSpec { p["spec"] = pipelineSpec }
            if let pipelineLock { p["lock"] = pipelineLock }
            root["pipeline"] = .object(p)
        }
        if let evaluation { root["evaluation"] = evaluation }
        return .object(root)
    }

    /// The bytes written to the archive (indented, sorted keys, final newline).
    public var bytes: [UInt8] { Array(json.pretty.utf8) }

    /// Validates `json` against the manifest schema and decodes it; errors name `source`.
    public init(json: JSONValue, source: String) throws {
        try ArchiveManifest.validator().require(json, file: source)
        func string(_ node: JSONValue?) -> String? { node?.stringValue }
        createdBy = json["created_by"]?.stringValue ?? ""
        name = json["name"]?.stringValue
        files = (json["files"]?.arrayValue ?? []).map {
            FileRecord(path: $0["path"]?.stringValue ?? "", size: Int64($0["size"]?.intValue ?? 0), sha256: $0["sha256"]?.stringValue ?? "")
        }
        models = (json["models"]?.arrayValue ?? []).map {
            ModelFile(id: $0["id"]?.stringValue ?? "", file: $0["file"]?.stringValue ?? "",
                      source: $0["source"]?.stringValue, epoch: $0["epoch"]?.intValue)
        }
        pipelineSpec = json["pipeline"]?["spec"]
        pipelineLock = json["pipeline"]?["lock"]
        evaluation = json["evaluation"]
        var seen = Set<String>()
        for (i, file) in files.enumerated() {
            if !EntryPath.isSafe(file.path) || file.path == Self.entryName || !seen.insert(file.path).inserted {
                throw SpecError(file: source, path: "files[\(i)].path", message: "'\(file.path)' is unsafe, duplicated or the manifest itself")
            }
        }
    }

    /// The compiled manifest schema.
    public static func validator() throws -> JSONSchemaValidator {
        try JSONSchemaValidator(text: EmbeddedSchemas.manifest, name: "manifest.schema.json")
    }

    /// Reads the manifest of `archive` (the first entry), or nil when its first entry is not one.
    public static func read(archive: String) throws -> ArchiveManifest? {
        let reader = try ArchiveReader(path: archive)
        guard let first = try reader.nextEntry(), first.path == entryName, first.kind == .file else { return nil }
        let bytes = try reader.readAll(limit: 64 << 20)
        return try ArchiveManifest(json: JSONValue.parse(Data(bytes), source: "\(archive):\(entryName)"), source: "\(archive):\(entryName)")
    }
}
