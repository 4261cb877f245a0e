// A reliability sweep over every stage executable, run as real subprocesses:
// - `--help` teaches (an overview and an example), for the stage and each of its subcommands;
// - `hyperzoo --help` lists every stage, and `hyperzoo <stage> ...--help` is `hz-<stage> ...--help`
//   apart from the command name;
// - the failure contract of COMMON.md: a missing input, a garbage input and an existing output each
//   give a non-zero exit, ONE line on stderr naming the file, and no output written or touched.
// Every stage must be built: a missing one fails the sweep instead of passing it untested.
import Foundation
import Testing
import TestSupport

/// The stages and how to tell a landed one from its placeholder.
enum Sweep {
    static let stages = ["convert", "zoo", "tokenize", "augment", "train", "sample", "eval", "archive", "pipeline"]

    /// Records an issue (and returns false) when `hz-<stage>` is not built.
    static func requireBuilt(_ stage: String) -> Bool {
        let built = ToolRunner.isBuilt("hz-\(stage)")
        #expect(built, "hz-\(stage) is not built (swift build builds every stage)")
        return built
    }

    /// The subcommand names listed under SUBCOMMANDS: in a help text (first word, two-space indent).
    static func subcommands(inHelp help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { !$0.isEmpty }
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// `hz-<stage> ...` help with the command name spelled as under the umbrella command.
    static func asUmbrella(_ help: String, stage: String) -> String {
        help.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("USAGE: ") { return line.replacingOccurrences(of: "hz-\(stage)", with: "hyperzoo \(stage)") }
            if line.hasPrefix("  See '") { return line.replacingOccurrences(of: "'hz-\(stage) help", with: "'hyperzoo help \(stage)") }
            return String(line)
        }.joined(separator: "\n")
    }
}

@Suite struct CLIHelpSweepTests {
    @Test(arguments: Sweep.stages)
    func helpTeachesAndMatchesTheUmbrellaCommand(stage: String) throws {
        guard Sweep.requireBuilt(stage) else { return }
        let top = try ToolRunner.run("hz-\(stage)", ["--help"])
        for path in [[]] + Sweep.subcommands(inHelp: top.stdout).map({ [$0] }) {
            let shown = (["hz-\(stage)"] + path).joined(separator: " ")
            let own = try ToolRunner.run("hz-\(stage)", path + ["--help"])
            #expect(own.status == 0, "\(shown) --help exited \(own.status): \(own.stderr)")
            #expect(own.stdout.hasPrefix("OVERVIEW: "), "\(shown) --help has no abstract")
            #expect(own.stdout.contains("USAGE: \(shown)"), "\(shown) --help does not show its own name in USAGE")
            let examples = own.stdout.split(separator: "\n").filter {
                $0.hasPrefix("  ") && $0.drop { $0 == " " }.hasPrefix("hz-") && $0.contains("hz-\(stage)")
            }
            #expect(!examples.isEmpty, "\(shown) --help shows no example command line")
            let umbrella = try ToolRunner.run("hyperzoo", [stage] + path + ["--help"])
            #expect(umbrella.status == 0, "hyperzoo \(stage) \(path.joined()) --help: \(umbrella.stderr)")
            #expect(umbrella.stdout == Sweep.asUmbrella(own.stdout, stage: stage),
                    "hyperzoo \(stage) \(path.joined()) --help differs from \(shown) --help beyond the command name")
        }
    }

    @Test func umbrellaHelpListsEveryStage() throws {
        let help = try ToolRunner.run("hyperzoo", ["--help"])
        #expect(help.status == 0 && help.stdout.hasPrefix("OVERVIEW: "))
        #expect(help.stdout.contains("hyperzoo pipeline run"), "hyperzoo --help shows no example")
        let listed = Set(Sweep.subcommands(inHelp: help.stdout))
        for stage in Sweep.stages {
            #expect(listed.contains(stage), "hyperzoo --help does not list the stage '\(stage)'")
        }
    }
}

/// The files the failure probes read: a tiny zoo and autoencoder, an archive, garbage.
struct SweepInputs: Sendable {
    let folder: TemporaryDirectory
    let zoo: String, ae: String
    let modelZoos = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
    let ghrp = Fixtures.project.appendingPathComponent("ghrp/small-bounded-repeat")

    init() throws {
        folder = TemporaryDirectory("sweep-inputs")
        (zoo, ae) = try writeTinyZooAndAutoencoder(in: folder)
    }

    /// A valid archive of the zoo, made by hz-archive.
    func archive() throws -> String {
        let path = folder.path("zoo.tar")
        let packed = try ToolRunner.run("hz-archive", ["create", zoo, "-o", path])
        try #require(packed.status == 0, "hz-archive create: \(packed.stderr)")
        return path
    }

    /// A file of random-looking bytes named `name` (never a valid HDF5, zip, pickle, JSON or tar).
    func garbage(_ name: String) throws -> String {
        var state: UInt64 = 0x9A4B
        let bytes = (0..<4096).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: folder.path(name)))
        return folder.path(name)
    }
}

/// How one command reads an input and writes an output, for the failure probes.
struct FailureProbe: CustomStringConvertible, Sendable {
    let command: [String]
    /// The extension of the input files (the name of the missing and of the garbage input).
    let inputExtension: String
    /// The output's name, or nil for commands that only read.
    let outputName: String?
    /// The arguments reading `input` and writing `output` ("" when `outputName` is nil).
    let arguments: @Sendable (_ input: String, _ output: String, _ files: SweepInputs) -> [String]
    /// A valid input for the existing-output check (nil: not checked, see the report of the sweep).
    let validInput: (@Sendable (SweepInputs) throws -> String)?

    var description: String { command.joined(separator: " ") }

    static let all: [FailureProbe] = [
        FailureProbe(command: ["hz-convert"], inputExtension: "pt", outputName: "zoo.h5",
                     arguments: { i, o, _ in [i, "-o", o] }, validInput: { $0.modelZoos }),
        FailureProbe(command: ["hz-zoo"], inputExtension: "json", outputName: "zoo.h5",
                     arguments: { i, o, _ in [i, "-o", o, "--models", "1", "--epochs", "0", "--train-size", "10", "--threads", "1", "--quiet"] },
                     validInput: { _ in Fixtures.project.appendingPathComponent("zoo/fmnist-cnn-s.json").path }),
        FailureProbe(command: ["hz-tokenize"], inputExtension: "h5", outputName: "tokens.h5",
                     arguments: { i, o, _ in [i, "-o", o] }, validInput: { $0.zoo }),
        FailureProbe(command: ["hz-augment"], inputExtension: "h5", outputName: "views.stream",
                     arguments: { i, o, _ in [i, "--permute", "-o", o] }, validInput: { $0.zoo }),
        FailureProbe(command: ["hz-train"], inputExtension: "h5", outputName: "ae.h5",
                     arguments: { i, o, _ in [i, "-o", o, "--epochs", "1", "--width", "8", "--ff-width", "16", "--latent", "4",
                                             "--head", "1,8,4", "--batch-size", "4"] },
                     validInput: { $0.zoo }),
        FailureProbe(command: ["hz-train", "import-ghrp"], inputExtension: "json", outputName: "ae.h5",
                     arguments: { i, o, f in ["import-ghrp", i, f.ghrp.appendingPathComponent("checkpoint_ae.pt").path, "-o", o] },
                     validInput: { $0.ghrp.appendingPathComponent("config_ae.json").path }),
        // encode and decode refuse an existing output without --force; their existing-output probe is not wired yet.
        FailureProbe(command: ["hz-train", "encode"], inputExtension: "h5", outputName: "z.npy",
                     arguments: { i, o, f in ["encode", f.ae, i, "-o", o] }, validInput: nil),
        FailureProbe(command: ["hz-train", "decode"], inputExtension: "npy", outputName: "w.npy",
                     arguments: { i, o, f in ["decode", f.ae, i, "-o", o] }, validInput: nil),
        FailureProbe(command: ["hz-sample"], inputExtension: "h5", outputName: "population.h5",
                     arguments: { i, o, f in [i, f.zoo, "--count", "4", "-o", o] }, validInput: { $0.ae }),
        FailureProbe(command: ["hz-archive", "create"], inputExtension: "h5", outputName: "population.tar",
                     arguments: { i, o, _ in ["create", "--population", i, "-o", o] }, validInput: { $0.zoo }),
        FailureProbe(command: ["hz-archive", "extract"], inputExtension: "tar", outputName: "extracted",
                     arguments: { i, o, _ in ["extract", i, "-o", o] }, validInput: { try $0.archive() }),
        FailureProbe(command: ["hz-archive", "verify"], inputExtension: "tar", outputName: nil,
                     arguments: { i, _, _ in ["verify", i] }, validInput: nil),
        FailureProbe(command: ["hz-pipeline", "run"], inputExtension: "json", outputName: "run",
                     arguments: { i, o, _ in ["run", i, "--output", o] }, validInput: nil),
    ]
}

@Suite struct CLIFailureSweepTests {
    /// Runs `probe` on `input` into a fresh folder; checks the exit, the one-line error naming
    /// `named`, and that the folder holds nothing afterwards but the `existing` output, unchanged.
    func expectRefusal(_ probe: FailureProbe, input: String, named: String, files: SweepInputs,
                       existing: Data? = nil, _ situation: String) throws {
        let outFolder = TemporaryDirectory("sweep-out")
        let output = probe.outputName.map { outFolder.path($0) } ?? ""
        if let existing { try existing.write(to: URL(fileURLWithPath: output)) }
        let result = try ToolRunner.run(probe.command[0], probe.arguments(input, output, files))
        let lines = result.stderr.split(separator: "\n")
        #expect(result.status != 0, "\(probe) with \(situation): exit 0")
        #expect(lines.count == 1, "\(probe) with \(situation): expected one line on stderr, got \(lines.count):\n\(result.stderr)")
        #expect(result.stderr.contains(named), "\(probe) with \(situation): stderr does not name \(named): \(result.stderr)")
        #expect((lines.first?.count ?? 0) <= 400, "\(probe) with \(situation): error line of \(lines.first?.count ?? 0) characters")
        let left = try FileManager.default.contentsOfDirectory(atPath: outFolder.url.path)
        #expect(left == (existing == nil ? [] : [probe.outputName!]), "\(probe) with \(situation): left \(left) in the output folder")
        if let existing {
            #expect(FileManager.default.contents(atPath: output) == existing, "\(probe) with \(situation): the existing output changed")
        }
    }

    @Test(arguments: FailureProbe.all)
    func missingGarbageAndExistingOutputsAreRefused(probe: FailureProbe) throws {
        guard Sweep.requireBuilt(String(probe.command[0].dropFirst(3))) else { return }
        let files = try SweepInputs()
        let missing = files.folder.path("absent.\(probe.inputExtension)")
        try expectRefusal(probe, input: missing, named: "absent.\(probe.inputExtension)", files: files, "a missing input")
        let garbage = try files.garbage("garbage.\(probe.inputExtension)")
        try expectRefusal(probe, input: garbage, named: "garbage.\(probe.inputExtension)", files: files, "a garbage input")
        if let valid = probe.validInput {
            let kept = Data("an earlier result, not to be touched\n".utf8)
            try expectRefusal(probe, input: valid(files), named: probe.outputName!, files: files, existing: kept, "an existing output")
        }
    }
}
