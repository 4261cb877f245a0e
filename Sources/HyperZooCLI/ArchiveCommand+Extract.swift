// `hz-archive extract`: unpack safely into a new folder, every file checked against the manifest.
import Archive
import ArgumentParser
import Pipeline

extension ArchiveCommand {
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

        @Option(help: ArgumentHelp("Refuse archives expanding beyond this many bytes (suffixes K, M, G). (default: 64G)", valueName: "size"),
                transform: ByteCountLimit.parse)
        var maxSize = ByteCountLimit.extractionDefault

        @Flag(help: "Extract an archive without manifest.json (only the safety checks apply).")
        public var noManifest = false

        public init() {}

        public func run() throws { try StageFailure.reporting(as: "hz-archive") { try extract() } }

        private func extract() throws {
            let limits = ExtractionLimits(maxTotalBytes: maxSize.bytes)
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
