// `hz-archive` / `hyperzoo archive`: pack a population (or any stage output) into one deterministic
// archive with a checksummed manifest, list it, verify it, extract it safely.
import Archive
import ArgumentParser
import FileIO
import Foundation
import Pipeline
import ZooStore

/// The archive stage.
public struct ArchiveCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("archive"),
        abstract: "Pack populations and stage outputs into deterministic, checksummed archives.",
        discussion: """
        An archive holds manifest.json first (every file's size and SHA-256, the pipeline spec and lock
        that produced it, the evaluation summary), then the files in path order. Metadata is fixed
        (mtime 0, uid/gid 0, mode 0644), so the same inputs give a byte-identical archive.

          hz-archive create -o pop.tar.zst --population population.h5 --report report.json
          hz-archive verify pop.tar.zst
          hz-archive extract pop.tar.zst -o pop/
        """,
        version: HyperZooVersion.string,
        subcommands: [Create.self, List.self, Verify.self, Extract.self]
    )

    public init() {}
}

extension ArchiveCommand {
    /// `hz-archive create`.
    public struct Create: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create an archive from files and folders, with manifest.json first.",
            discussion: """
            Folders are added recursively under their own name. The format follows the output's
            extension (.tar.zst, .tar.gz, .zip, .tar) unless --format says otherwise.

              hz-archive create -o runs/q/population.tar.zst runs/q/sample/population.h5 \\
                  --spec fixtures/pipelines/quickstart.json --lock runs/q/pipeline.lock.json --report runs/q/eval/report.json
            """)

        @Argument(help: ArgumentHelp("Files or folders to archive.", valueName: "input"))
        public var inputs: [String] = []

        @OptionGroup var outputOptions: OutputOptions<OutputHelp>

        enum OutputHelp: OutputOptionsHelp {
            static var output: ArgumentHelp { ArgumentHelp("The archive to write (replaced atomically).", valueName: "archive") }
            static var force: ArgumentHelp { "Replace an existing archive." }
            static var json: ArgumentHelp { "Print the manifest as JSON on stdout." }
        }

        var output: String { outputOptions.output }
        var force: Bool { outputOptions.force }
        var json: Bool { outputOptions.json }

        @Option(help: ArgumentHelp("Archive format. Default: from the output's extension, else tar.zst.", valueName: "format"))
        public var format: ArchiveFormat?

        @Option(help: ArgumentHelp("A population or zoo file (HDF5): archived as is, plus models/<id>.safetensors with each model's latest weights for PyTorch.", valueName: "population.h5"))
        public var population: String?

        @Option(help: ArgumentHelp("A name recorded in the manifest.", valueName: "name"))
        public var name: String?

        @Option(help: ArgumentHelp("Pipeline spec to record in the manifest.", valueName: "spec.json"))
        public var spec: String?

        @Option(help: ArgumentHelp("Pipeline lock file (stage digests) to record in the manifest.", valueName: "lock.json"))
        public var lock: String?

        @Option(help: ArgumentHelp("Evaluation report (hz-eval's report.json): its summary goes into the manifest and the file into the archive.", valueName: "report.json"))
        public var report: String?

        @Option(help: ArgumentHelp("Compression level (zstd 1-19, default 3; gzip/zip 0-9, default 6).", valueName: "n"))
        public var level: Int?

        @OptionGroup var threadOptions: ThreadOptions<ThreadsHelpText>

        enum ThreadsHelpText: ThreadsHelp {
            static var threads: ArgumentHelp { ArgumentHelp("Threads for hashing and zstd compression (output identical for any count). Default: all cores.", valueName: "n") }
        }

        public init() {}

        public func validate() throws {
            if inputs.isEmpty && report == nil && population == nil {
                throw ValidationError("nothing to archive: give --population, --report, or at least one file or folder")
            }
        }

        public func run() throws { try StageFailure.reporting(as: "hz-archive") { try create() } }

        private func create() throws {
            if !force && FileManager.default.fileExists(atPath: output) {
                throw ArchiveError(path: output, message: "already exists; pass --force to replace it")
            }
            let chosen = format ?? ArchiveFormat.infer(fromPath: output) ?? .tarZstd
            var archiveInputs = try inputs.flatMap { try ArchiveInput.expand($0) }
            var evaluation: JSONValue?
            if let report {
                let parsed = try JSONValue.read(path: report)
                evaluation = parsed["summary"].flatMap { $0.objectValue != nil ? $0 : Optional.none } ?? (parsed.objectValue != nil ? parsed : nil)
                if !archiveInputs.contains(where: { URL(fileURLWithPath: $0.sourcePath).standardizedFileURL == URL(fileURLWithPath: report).standardizedFileURL }) {
                    archiveInputs += try ArchiveInput.expand(report)
                }
            }
            var models: [ArchiveManifest.ModelFile] = []
            let outputFolder = URL(fileURLWithPath: output).deletingLastPathComponent().path
            let stagingPrefix = ".\(URL(fileURLWithPath: output).lastPathComponent).models-"
            removeStaleTemporaries(in: outputFolder, prefix: stagingPrefix)
            let staging = outputFolder + "/" + stagingPrefix + "\(ProcessInfo.processInfo.processIdentifier)"
            defer { try? FileManager.default.removeItem(atPath: staging) }
            if let population {
                archiveInputs += try ArchiveInput.expand(population)
                let exported = try PopulationExport.exportModels(population: population, into: staging)
                archiveInputs += exported.inputs
                models = exported.models
            }
            let specJSON = try spec.map { try JSONValue.read(path: $0) }
            let lockJSON = try lock.map { try JSONValue.read(path: $0) }
            let bar = ProgressBar(label: "archiving (hash, then compress)", unit: "steps")
            let manifest = try PopulationArchiver.create(
                archive: output, format: chosen, inputs: archiveInputs,
                manifest: { files in
                    ArchiveManifest(createdBy: "hyperzoo \(HyperZooVersion.string)", name: name, files: files, models: models,
                                    pipelineSpec: specJSON, pipelineLock: lockJSON, evaluation: evaluation)
                },
                compressionLevel: level, threads: threadOptions.count,
                progress: { done, total in bar.update(done, of: total) })
            bar.finish()
            if json {
                print(manifest.json.pretty, terminator: "")
            } else {
                let total = manifest.files.reduce(Int64(0)) { $0 + $1.size }
                print("wrote \(output) (\(chosen.rawValue)): \(manifest.files.count) files, \(ByteCountText.format(total)) before compression")
            }
        }
    }

    /// `hz-archive list`.
    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List an archive's entries (and its manifest's summary).",
            discussion: "  hz-archive list pop.tar.zst --json")

        @Argument(help: ArgumentHelp("The archive.", valueName: "archive"))
        public var archive: String

        @Flag(help: "Print entries as JSON (path, kind, size).")
        public var json = false

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-archive") { try list() } }

        private func list() throws {
            let entries = try ArchiveReader.list(path: archive)
            if json {
                let items: [JSONValue] = entries.map { entry in
                    var item: [String: JSONValue] = ["path": .string(entry.path), "kind": .string(entry.kind.name)]
                    if let size = entry.declaredSize { item["size"] = .number(Double(size)) }
                    return .object(item)
                }
                print(JSONValue.object(["archive": .string(archive), "entries": .array(items)]).pretty, terminator: "")
                return
            }
            if let manifest = try? ArchiveManifest.read(archive: archive) {
                print("\(archive): hyperzoo archive by \(manifest.createdBy)\(manifest.name.map { ", '\($0)'" } ?? ""); \(manifest.files.count) files, \(manifest.models.count) models")
            }
            for entry in entries {
                let size = entry.declaredSize.map { ByteCountText.format($0) } ?? "?"
                print("\(size.padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.path)\(entry.kind.suffix)")
            }
        }
    }

    /// `hz-archive verify`.
    public struct Verify: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check the manifest against its schema and every file against its size and SHA-256.",
            discussion: "Exits with status 1 and lists every problem when anything differs.\n\n  hz-archive verify pop.tar.zst")

        @Argument(help: ArgumentHelp("The archive.", valueName: "archive"))
        public var archive: String

        @Flag(help: "Print the result as JSON ({valid, files, problems}).")
        public var json = false

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-archive") { try verify() } }

        private func verify() throws {
            let bar = ProgressBar(label: "verifying", unit: "files")
            let result = try PopulationArchiver.verify(archive: archive) { done, total in bar.update(done, of: total) }
            bar.finish()
            if json {
                print(JSONValue.object([
                    "archive": .string(archive), "valid": .bool(result.isValid),
                    "files": .number(Double(result.manifest.files.count)),
                    "problems": .array(result.problems.map { .string($0) }),
                ]).pretty, terminator: "")
            } else if result.isValid {
                print("\(archive): OK, \(result.manifest.files.count) files match the manifest")
            } else {
                for problem in result.problems { printError("\(archive):\(problem)") }
            }
            if !result.isValid { throw ExitCode.failure }
        }
    }

    /// `hz-archive extract`.
    public struct Extract: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Extract safely into a new folder, checking every file against the manifest.",
            discussion: """
            Refuses absolute paths, '..', links leaving the folder, writes through links, special files,
            entries larger than declared and archives expanding beyond --max-size. Extraction goes to a
            hidden folder beside the destination that is renamed into place only when every check passed.

              hz-archive extract pop.tar.zst -o pop/
            """)

        @Argument(help: ArgumentHelp("The archive.", valueName: "archive"))
        public var archive: String

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The folder to create (must not exist).", valueName: "dir"))
        public var output: String

        @Option(help: ArgumentHelp("Refuse archives expanding beyond this many bytes (suffixes K, M, G).", valueName: "size"))
        public var maxSize: String = "64G"

        @Flag(help: "Extract an archive without manifest.json (only the safety checks apply).")
        public var noManifest = false

        public init() {}

        public func validate() throws {
            if ByteCountText.parse(maxSize) == nil { throw ValidationError("--max-size: expected a size such as 500M or 64G (at most 8 EiB), got '\(maxSize)'") }
        }

        public func run() throws { try StageFailure.reporting(as: "hz-archive") { try extract() } }

        private func extract() throws {
            let limits = ExtractionLimits(maxTotalBytes: ByteCountText.parse(maxSize)!)
            let bar = ProgressBar(label: "extracting", unit: "files")
            let (manifest, files) = try PopulationArchiver.extract(archive: archive, to: output, limits: limits, requireManifest: !noManifest) {
                bar.update($0, of: $1)
            }
            bar.finish()
            let verified = manifest == nil ? "" : ", all matching the manifest"
            print("extracted \(files.count) files into \(output)\(verified)")
        }
    }
}

extension ArchiveEntryKind {
    var name: String {
        switch self {
        case .file: return "file"
        case .directory: return "directory"
        case .symlink: return "symlink"
        case .hardlink: return "hardlink"
        case .other: return "other"
        }
    }
    var suffix: String {
        switch self {
        case .directory: return "/"
        case .symlink(let target): return " -> \(target)"
        case .hardlink(let target): return " => \(target)"
        default: return ""
        }
    }
}

/// Byte counts for people: "12.3 MB"; and sizes from people: "500M", "64G".
enum ByteCountText {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A size typed by a person, or nil when it is not a non-negative count that fits in 64 bits
    /// (`9999999999G` is nil, not an overflow trap).
    static func parse(_ text: String) -> Int64? {
        let multipliers: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        guard let last = text.uppercased().last else { return nil }
        let multiplier = multipliers[last] ?? 1
        guard let count = Int64(multipliers[last] == nil ? Substring(text) : text.dropLast()), count >= 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}

/// One line on stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
