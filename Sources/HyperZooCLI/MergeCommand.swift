// `hyperzoo merge`: joins the shard files of `hz-zoo --shard I/N` into the zoo one process
// writes. A command of its own rather than an hz-zoo subcommand: hz-zoo's first argument is a
// config path, so `hz-zoo merge` would be ambiguous with a config file called merge.
import ArgumentParser
import Foundation
import ZooStore

/// The shard merge.
public struct MergeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shard files of hz-zoo --shard I/N into one zoo, equal to a single-process run.",
        discussion: """
        The shards must come from one run: the same spec (the `shard` attribute's spec_digest and the config), the same N, each index 0..<N exactly once. Otherwise nothing is written and one line names every missing shard index, duplicate and foreign file. The merged zoo holds the models in file order and the rows epoch by epoch, as hz-zoo writes them, without the shard bookkeeping; it is written as <file>.partial and renamed.

        Example (two shards of a 20-model zoo, then the merge):

          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-0.h5 --models 20 --epochs 5 --shard 0/2
          hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-1.h5 --models 20 --epochs 5 --shard 1/2
          hyperzoo merge shard-0.h5 shard-1.h5 -o fmnist.h5
        """,
        version: HyperZooVersion.string)

    @Argument(help: ArgumentHelp("The shard files (any order).", valueName: "SHARD.h5"))
    public var shards: [String]

    @OptionGroup var outputOptions: OutputOptions<OutputHelp>

    enum OutputHelp: OutputOptionsHelp {
        static var output: ArgumentHelp { ArgumentHelp("The merged zoo file.", valueName: "ZOO.h5") }
        static var force: ArgumentHelp { "Replace an existing output." }
        static var json: ArgumentHelp { "Print a JSON summary on stdout." }
    }

    public init() {}

    public func validate() throws {
        if shards.isEmpty { throw ValidationError("give the shard files to merge") }
    }

    public func run() throws {
        let summary = try StageFailure.reporting(as: "hyperzoo merge") {
            try ZooShardMerge.merge(shards: shards, output: outputOptions.output, force: outputOptions.force)
        }
        if outputOptions.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            FileHandle.standardError.write(Data("hyperzoo merge: wrote \(summary.output): \(summary.shards) shards, \(summary.models) models, \(summary.checkpoints) checkpoints\n".utf8))
        }
    }
}
