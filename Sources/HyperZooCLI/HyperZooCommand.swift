// The umbrella command: `hyperzoo <stage> ...` runs the same command types as the `hz-<stage>`
// executables, so both spellings behave identically.
import ArgumentParser
import Foundation

/// `hyperzoo`: every stage of the hyper-representation workflow as a subcommand.
public struct HyperZooCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hyperzoo",
        abstract: "Learn hyper-representations from model zoos: store, convert, train, sample, evaluate, archive.",
        discussion: """
        The workflow, one stage per command (each also installed as hz-<stage>):

          convert   bring zoos in (Model Zoos folders, .pt, .safetensors, .npz) and take them out
          zoo       train a population of networks on real data (Fashion-MNIST, ...)
          tokenize  turn weights into token sequences
          augment   permutation, noise and erasing views for contrastive training
          train     train the hyper-representation autoencoder
          sample    draw new weights from the latent space
          eval      fine-tune and compare populations; report.json and report.html
          archive   pack a population for PyTorch users
          pipeline  run a declarative JSON pipeline spec, cached by content hash

        Start with `tools/quickstart` (7 min 20 s of pipeline on 2 cores, measured: zoo, autoencoder, samples,
        report, archive), or step by step:

          hyperzoo pipeline graph fixtures/pipelines/quickstart.json     # what runs, in which order
          hyperzoo pipeline run fixtures/pipelines/quickstart.json --dry-run
          hyperzoo pipeline run fixtures/pipelines/quickstart.json --set train.epochs=100
          hyperzoo archive verify runs/quickstart/archive/population.tar.zst

        Stages chain by hand too (views.rs: a record-stream file, schemas/record-stream.md):

          hz-tokenize zoo.h5 | hz-augment - -o views.rs

        Every command has --help with examples. Shell completion: `tools/install-completions bash`
        (or zsh, fish), or `hyperzoo --generate-completion-script bash`. Docs: docs/PIPELINE.md.
        """,
        version: HyperZooVersion.string,
        subcommands: StageRegistry.commands
    )

    public init() {}
}

/// The version of the tool, part of every cache key.
public enum HyperZooVersion {
    public static let string = "0.1.0"
}

/// The stage commands known to the umbrella command, in workflow order.
public enum StageRegistry {
    /// The name a stage's usage lines show: `hz-convert` when running as that executable, so its
    /// help teaches a command that exists, and `convert` under `hyperzoo` (where it is matched).
    public static func commandName(_ stage: String) -> String {
        let invoked = CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? ""
        return invoked == "hz-\(stage)" ? invoked : stage
    }

    public static var commands: [ParsableCommand.Type] {
        [
            ConvertCommand.self,
            ZooCommand.self,
            MergeCommand.self,
            TokenizeCommand.self,
            AugmentCommand.self,
            TrainCommand.self,
            SampleCommand.self,
            EvalCommand.self,
            MergeEvalCommand.self,
            ArchiveCommand.self,
            PipelineCommand.self,
        ]
    }
}
