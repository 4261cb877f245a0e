// `hz-augment` / `hyperzoo augment`: function-preserving permutations, noise and erasing views.
import ArgumentParser
import Foundation
import HyperRep
import Pipeline

/// The augment stage.
public struct AugmentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("augment"),
        abstract: "Make augmented token views of every sample for contrastive training.",
        discussion: """
        Each view permutes neurons without changing the network's function (rows of a layer and the matching inputs of the next: conv channels, flattened channel blocks, linear features; never the output layer), adds Gaussian noise and erases a block of values, each from its own random stream keyed by (seed, epoch, checkpoint, view): the output is reproducible bit for bit. Reads a zoo .h5, a token file, or a stream from hz-tokenize; writes `views` records [V, T, W] per sample and epoch to stdout, or HDF5 with -o FILE.h5. Views are written epoch by epoch (every sample of epoch 0, then of epoch 1, …), so hz-train can train on them through a pipe; epochs after the first replay the input rows kept in memory.

          hz-tokenize zoo.h5 - | hz-augment - --views 2 --epochs 10 --permute --noise 0.05 --erase 0.5 -o views.h5
          hz-augment zoo.h5 --split train --permute --erase 0.5 --seed 7 -o views.h5
          hz-augment zoo.h5 --split train --epochs 50 --permute --erase 0.5 -o - \\
            | hz-train zoo.h5 --views - -o ae.h5 --epochs 50
        """,
        version: HyperZooVersion.string)

    @Argument(help: ArgumentHelp("The zoo (.h5), a token file, or - for a stream from hz-tokenize.", valueName: "input"))
    public var input: String

    @Option(help: ArgumentHelp("Views per sample and epoch.", valueName: "n"))
    public var views: Int = 2

    @Option(help: ArgumentHelp("Augmentation epochs: fresh views of every sample this many times.", valueName: "n"))
    public var epochs: Int = 1

    @Flag(help: "Permute neurons with a random function-preserving permutation per view.")
    public var permute = false

    @Flag(help: "Map every view to its canonical form (neurons sorted by L1 norm) instead; excludes --permute.")
    public var canonical = false

    @Option(help: ArgumentHelp("Precompute this many permutations and draw from them, as the paper does; 0 draws a fresh one per view.", valueName: "n"))
    public var permutationBank: Int = 0

    @Option(help: ArgumentHelp("Additive Gaussian noise σ: x + σε.", valueName: "sigma"))
    public var noise: Float = 0

    @Option(help: ArgumentHelp("Multiplicative Gaussian noise σ: x·(1 + σε); SANE uses 0.1.", valueName: "sigma"))
    public var multiplicativeNoise: Float = 0

    @Option(help: ArgumentHelp("Random-erasing probability per view; the paper uses 0.5.", valueName: "p"))
    public var erase: Float = 0

    @Option(help: ArgumentHelp("Erased fraction of the row, low-high. (default: 0.02-0.33)", valueName: "range"),
            transform: EraseScale.parse)
    var eraseScale = try! EraseScale.parse("0.02-0.33")

    @Option(help: ArgumentHelp("Erasing mode: block (one contiguous block, default) or scatter.", valueName: "mode"))
    public var eraseMode: EraseMode = .block

    @Option(help: ArgumentHelp("Output tokenizer (default: the input's, neuron for a zoo).", valueName: "kind"))
    public var tokenizer: TokenizerChoice.Kind?

    @Option(help: ArgumentHelp("Uniform tokens: values per token; 0 = the widest neuron row.", valueName: "n"))
    public var tokenSize: Int = 0

    @OptionGroup var seedOptions: SeedOptions<SeedHelpText>

    enum SeedHelpText: SeedHelp {
        static var seed: ArgumentHelp { ArgumentHelp("Seed of every random stream.", valueName: "seed") }
    }


    @OptionGroup public var selection: CheckpointSelectionOptions
    @OptionGroup public var output: StreamOutputOptions

    public init() {}

    func options() throws -> AugmentOptions {
        let options = AugmentOptions(permute: permute, canonical: canonical, noise: noise, multiplicativeNoise: multiplicativeNoise,
                                     eraseProbability: erase, eraseScale: eraseScale.range, eraseMode: eraseMode, permutationBank: permutationBank)
        do { try options.validate() } catch { throw ValidationError("\(error)".replacingOccurrences(of: "augment: ", with: "")) }
        return options
    }

    public func validate() throws {
        guard views >= 1 else { throw ValidationError("--views must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        _ = try options()
        _ = try selection.selection()
    }

    public func run() throws { try StageFailure.reporting(as: "hz-augment") { try augment() } }

    private func augment() throws {
        let chosen = try selection.selection()
        let (source, total, fromZoo) = try TokenStageEndpoints.openInput(input, selection: chosen)
        let choice = tokenizer.map { TokenizerChoice(kind: $0, tokenSize: tokenSize) }
        let op = try AugmentOperator(parameters: .init(options: try options(), views: views, epochs: epochs, tokenizer: choice,
                                                      selection: fromZoo || chosen.isEmpty ? nil : chosen))
        let counted = ProgressCountingSource(source, total: total, countedKinds: ["checkpoint", "tokens"], label: "augmenting")
        let sink = try TokenStageIO.openOutput(output)
        do { try op.run(input: counted, output: sink, seed: seedOptions.seed) } catch where input != "-" && !"\(error)".contains(input) {
            // The operator knows its input only as "augment input"; the user needs the file's name.
            throw OperatorError("\(input): \(error)")
        }
        try sink.finish()
        TokenStageIO.report(["samples": "\(counted.count)", "views": "\(counted.count * views * epochs)", "output": "\"\(output.output)\""],
                            sentence: "augmented \(counted.count) samples × \(epochs) epochs × \(views) views → \(output.output == "-" ? "stdout" : output.output)",
                            options: output)
    }
}
