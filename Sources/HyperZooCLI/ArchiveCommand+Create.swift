// `hz-archive create`: files, folders, a population (with safetensors exports) and a report into
// one deterministic archive with manifest.json first (Pipeline's PopulationArchiver does the work).
import Archive
import ArgumentParser
import Pipeline

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
            let output = outputOptions.output
            var request = ArchiveRequest(output: output, format: format ?? ArchiveFormat.infer(fromPath: output) ?? .tarZstd)
            request.inputs = inputs; request.population = population; request.report = report
            request.name = name; request.spec = spec; request.lock = lock
            request.compressionLevel = level; request.threads = threadOptions.count; request.force = outputOptions.force
            request.createdBy = "hyperzoo \(HyperZooVersion.string)"
            let bar = ProgressBar(label: "archiving (hash, then compress)", unit: "steps")
            let manifest = try PopulationArchiver.create(request) { done, total in bar.update(done, of: total) }
            bar.finish()
            if outputOptions.json {
                print(manifest.json.pretty, terminator: "")
            } else {
                let total = manifest.files.reduce(Int64(0)) { $0 + $1.size }
                print("wrote \(output) (\(request.format.rawValue)): \(manifest.files.count) files, \(ByteCountText.format(total)) before compression")
            }
        }
    }
}
