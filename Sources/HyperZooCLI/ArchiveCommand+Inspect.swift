// `hz-archive list` and `hz-archive verify`: read an archive's entries, or check it against its manifest.
import Archive
import ArgumentParser
import Pipeline
import ZooStore

extension ArchiveCommand {
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
}
