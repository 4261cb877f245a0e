// `hz-tokenize` / `hyperzoo tokenize`: checkpoints of a zoo → neuron or uniform tokens.
import ArgumentParser
import Foundation
import Pipeline

/// The tokenize stage.
public struct TokenizeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("tokenize"),
        abstract: "Turn the checkpoints of a zoo into token sequences (exactly invertible).",
        discussion: """
        Neuron tokens (the paper's): one token per output neuron or conv kernel holding its fan-in weights and bias, padded to the widest layer (CNN-s: 48 tokens, widths 26/201/25/37/21). Uniform tokens (SANE's): every neuron row cut into chunks of --token-size values. Each sample becomes a `tokens` record [T, W]; a `layout`, `positions` [T, 3] and `mask` [T, W] record come first (schemas/record-stream.md). Writes a record stream to stdout for the next stage, or HDF5 with -o FILE.h5.

          hz-tokenize zoo.h5 - --split train --checkpoint-epochs 21-25 | hz-augment - --views 2 --permute -o views.h5
          hz-tokenize zoo.h5 --tokenizer uniform --token-size 64 -o tokens.h5
        """,
        version: HyperZooVersion.string)

    @Argument(help: ArgumentHelp("The zoo (.h5), or - / a file holding a row stream.", valueName: "zoo"))
    public var input: String

    @Argument(help: ArgumentHelp("Output, as -o: - for stdout (default), FILE.h5 or a stream file.", valueName: "out"))
    public var outputPath: String?

    @Option(help: ArgumentHelp("Tokenizer: neuron (one token per neuron, default) or uniform (SANE-style fixed size).", valueName: "kind"))
    public var tokenizer: TokenizerChoice.Kind = .neuron

    @Option(help: ArgumentHelp("Uniform tokens: values per token; 0 = the widest neuron row.", valueName: "n"))
    public var tokenSize: Int = 0

    @OptionGroup public var selection: CheckpointSelectionOptions
    @OptionGroup public var outputOptions: StreamOutputOptions

    /// The output options with the positional output folded in.
    var output: StreamOutputOptions {
        var o = outputOptions
        if let outputPath { o.output = outputPath }
        return o
    }

    public init() {}

    public func validate() throws {
        guard tokenSize >= 0 else { throw ValidationError("--token-size must be ≥ 0 (0 picks the widest neuron row)") }
        _ = try selection.selection()
        if let outputPath, outputOptions.output != "-", outputOptions.output != outputPath {
            throw ValidationError("two outputs given ('\(outputPath)' and -o '\(outputOptions.output)'); pass one")
        }
    }

    public func run() throws { try StageFailure.reporting(as: "hz-tokenize") { try tokenize() } }

    private func tokenize() throws {
        let choice = TokenizerChoice(kind: tokenizer, tokenSize: tokenSize)
        let chosen = try selection.selection()
        let (source, total, fromZoo) = try TokenStageEndpoints.openInput(input, selection: chosen)
        let op = try TokenizeOperator(parameters: .init(tokenizer: choice, selection: fromZoo || chosen.isEmpty ? nil : chosen))
        let counted = ProgressCountingSource(source, total: total, countedKinds: ["checkpoint"], label: "tokenizing")
        let sink = try TokenStageIO.openOutput(output)
        try op.run(input: counted, output: sink, seed: 0)
        try sink.finish()
        TokenStageIO.report(["samples": "\(counted.count)", "tokenizer": "\"\(tokenizer.rawValue)\"", "output": "\"\(output.output)\""],
                            sentence: "tokenized \(counted.count) checkpoints (\(tokenizer.rawValue) tokens) → \(output.output == "-" ? "stdout" : output.output)",
                            options: output)
    }
}
