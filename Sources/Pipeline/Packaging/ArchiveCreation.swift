// One `hz-archive create` as a library call: the inputs expanded, an evaluation report's summary
// taken into the manifest (and the report into the archive), a population's models exported as
// safetensors through a staging folder beside the archive (removed afterwards, and any a killed
// run left behind), the pipeline spec and lock recorded, and the archive written.
import Archive
import FileIO
import Foundation
import ZooStore

/// What one archive is made of (hz-archive create's options as typed values).
public struct ArchiveRequest: Sendable {
    /// The archive to write (replaced atomically).
    public var output: String
    public var format: ArchiveFormat
    /// Files or folders archived under their own names.
    public var inputs: [String] = []
    /// A population or zoo file: archived as is, plus models/<id>.safetensors.
    public var population: String?
    /// hz-eval's report.json: its summary goes into the manifest, the file into the archive.
    public var report: String?
    public var name: String?
    public var spec: String?
    public var lock: String?
    public var compressionLevel: Int?
    public var threads = 1
    public var force = false
    /// The manifest's `created_by`.
    public var createdBy = "hyperzoo"

    public init(output: String, format: ArchiveFormat) { self.output = output; self.format = format }
}

extension PopulationArchiver {
    /// Writes the archive `request` describes and returns its manifest.
    /// - Throws: ``ArchiveError`` for an existing output without `force` or a missing input, the
    ///   JSON readers' errors for a spec, lock or report that is not JSON, and the writers' errors.
    public static func create(_ request: ArchiveRequest,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ArchiveManifest {
        let r = request
        if !r.force && FileManager.default.fileExists(atPath: r.output) {
            throw ArchiveError(path: r.output, message: "already exists; pass --force to replace it")
        }
        var archiveInputs = try r.inputs.flatMap { try ArchiveInput.expand($0) }
        var evaluation: JSONValue?
        if let report = r.report {
            let parsed = try JSONValue.read(path: report)
            evaluation = parsed["summary"].flatMap { $0.objectValue != nil ? $0 : Optional.none } ?? (parsed.objectValue != nil ? parsed : nil)
            if !archiveInputs.contains(where: { URL(fileURLWithPath: $0.sourcePath).standardizedFileURL == URL(fileURLWithPath: report).standardizedFileURL }) {
                archiveInputs += try ArchiveInput.expand(report)
            }
        }
        var models: [ArchiveManifest.ModelFile] = []
        let staging = claimTemporaryPath(besides: r.output, marker: "models")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        if let population = r.population {
            archiveInputs += try ArchiveInput.expand(population)
            let exported = try PopulationExport.exportModels(population: population, into: staging)
            archiveInputs += exported.inputs
            models = exported.models
        }
        let specJSON = try r.spec.map { try JSONValue.read(path: $0) }
        let lockJSON = try r.lock.map { try JSONValue.read(path: $0) }
        return try create(
            archive: r.output, format: r.format, inputs: archiveInputs,
            manifest: { files in
                ArchiveManifest(createdBy: r.createdBy, name: r.name, files: files, models: models,
                                pipelineSpec: specJSON, pipelineLock: lockJSON, evaluation: evaluation)
            },
            compressionLevel: r.compressionLevel, threads: r.threads, progress: progress)
    }
}
