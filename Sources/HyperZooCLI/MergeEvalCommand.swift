// `hyperzoo merge-eval`: joins the part files of `hz-eval --shard I/N` into the report one hz-eval
// process writes. A command of its own, like `hyperzoo merge` for zoo shards (hz-eval's arguments
// are population files, so `hz-eval merge` would be ambiguous with a file called merge).
import ArgumentParser
import Foundation
import HyperRep

/// The evaluation-part merge.
public struct MergeEvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge-eval",
        abstract: "Join the part files of hz-eval --shard I/N into report.json and report.html, equal to a single-process run.",
        discussion: """
        The parts must come from one run: the same digest (of the inputs and options), the same N and --models, each index 0..<N exactly once. Otherwise nothing is written and one line names every missing index, duplicate and foreign part. Every population's per-model accuracies and losses are joined in member order (member m from part m mod N), and the statistics, comparisons and summary are computed from them by the code hz-eval uses, so the report equals a single run's (its commands list every shard's command line and this one). Both files are written as <file>.partial and renamed; an existing report is replaced only with --force.

        Example (two shards of an evaluation, then the merge):

          hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 0/2 -o part-0.json
          hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 1/2 -o part-1.json
          hyperzoo merge-eval part-0.json part-1.json -o report
        """,
        version: HyperZooVersion.string)

    @Argument(help: ArgumentHelp("The part files (any order).", valueName: "PART.json"))
    public var parts: [String]

    // Its own -o, not OutputOptions': the output is a folder of two files, not one file.
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Folder for report.json and report.html (created).", valueName: "dir"))
    public var output: String

    @OptionGroup var flags: OutputFlags<FlagsHelp>

    enum FlagsHelp: OutputFlagsHelp {
        static var force: ArgumentHelp { "Replace an existing report.json/report.html in the output folder." }
        static var json: ArgumentHelp { "Print report.json's summary (per population and epoch: mean accuracy) on stdout as JSON." }
    }

    public init() {}

    public func validate() throws {
        if parts.isEmpty { throw ValidationError("give the part files to merge") }
    }

    public func run() throws {
        let report = try StageFailure.reporting(as: "hyperzoo merge-eval") {
            try EvaluationMerge.run(parts: parts, output: output, force: flags.force, commandLine: CommandLine.arguments.joined(separator: " "),
                                    generator: "hyperzoo \(HyperZooVersion.string)")
        }
        EvalPrinting.printReport(report, folder: output, json: flags.json, tool: "hyperzoo merge-eval")
    }
}
