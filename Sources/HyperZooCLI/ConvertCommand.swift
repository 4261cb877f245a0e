// `hz-convert` / `hyperzoo convert`: bring zoos in from what researchers have (Model Zoos folders,
// torch .pt/.pth checkpoints, safetensors, .npz) and take them out again as safetensors.
import ArgumentParser
import Formats
import Foundation
import ZooStore

/// The convert stage.
public struct ConvertCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("convert"),
        abstract: "Convert Model Zoos folders, .pt/.pth, .safetensors or .npz files into a zoo file, or a zoo back to safetensors.",
        discussion: """
        Sources are read without Python: torch.save checkpoints (zip and legacy formats) are parsed by a restricted unpickler that imports nothing and refuses any global outside tensors, storages and plain containers. The kind of each source is detected:

          Model Zoos folder  trial folders: params.json, result.json, checkpoint_<N>/
          trial folder       one such trial
          export folder      <model>/epoch_<N>.safetensors (written by --to)
          files              .pt .pth .ckpt .bin .safetensors .npz, one model each
          GHRP dataset.pt    the published hyper-representation datasets (pickled SimCLRDataset
                             objects: trainset/valset/testset), on its own; its sets give the
                             splits, its samples the checkpoints (allow-list: SimCLRDataset,
                             PosixPath and torch's tensors; nothing else is unpickled)

        The architecture is inferred from the first checkpoint's state_dict. Models whose state_dict keys differ but whose shapes match (a Model Zoos "Hyp" folder mixing dropout 0 and 0.5, where Dropout modules shift CNN-s's module_list indices) go to a second architecture group of the same file, e.g. cnn and cnn_dropout (format_version 2, see schemas/zoo-layout.md); each model keeps its own names. Models of other shapes, unreadable checkpoints and missing result.json lines are reported, and the rest is converted. Checkpoints holding NaN/Inf are kept and flagged. An interrupted conversion resumes when run again (finished models are skipped); --force starts over.

        Examples:
          hz-convert zoos/tune_zoo_fmnist_uniform -o zoo.h5 --epochs 0,25,50
          hz-convert model_a.pt model_b.pt -o small.h5 --json
          hz-convert zoo.h5 --to safetensors -o weights/

        Exit status: 0 when something usable was converted (problems are listed), 1 when nothing was, or on any problem with --strict.
        """,
        version: HyperZooVersion.string
    )

    @Argument(help: ArgumentHelp("Sources: a Model Zoos folder, trial or export folders, or checkpoint files. With --to: one zoo file.", valueName: "source"))
    public var sources: [String] = []

    @OptionGroup var outputOptions: OutputOptions<OutputHelp>

    enum OutputHelp: OutputOptionsHelp {
        static var output: ArgumentHelp { ArgumentHelp("The zoo file to write (written as <output>.partial, renamed when done); with --to, the folder to write.", valueName: "path") }
        static var force: ArgumentHelp { "Replace an existing output, or discard an interrupted one instead of resuming it." }
        static var json: ArgumentHelp { "Print the summary as JSON on stdout (for scripts)." }
    }


    @Option(help: ArgumentHelp("Export instead of import: the format to write.", valueName: "format"))
    var to: ExportFormat?

    @Option(help: ArgumentHelp("Epochs to keep, e.g. '0,10,20' or '0-5,50'. Default: all.", valueName: "list"),
            transform: EpochSelection.parser("--epochs"))
    var epochs: EpochSelection?

    @Option(help: ArgumentHelp("Convert at most this many models (in sorted source order).", valueName: "n"))
    public var maxModels: Int?

    @OptionGroup var threadOptions: ThreadOptions<ThreadsHelpText>

    enum ThreadsHelpText: ThreadsHelp {
        static var threads: ArgumentHelp { ArgumentHelp("Threads reading checkpoints. Default: all cores.", valueName: "n") }
    }

    @Option(help: ArgumentHelp("Architecture name stored in the zoo (further state_dict layouts get a suffix such as _dropout). Default: params.json 'model::type' lowercased, else 'model'.", valueName: "name"))
    public var architecture: String?

    @Option(help: ArgumentHelp("Seed of the deterministic 70/15/15 train/val/test split of models.", valueName: "seed"))
    public var splitSeed: UInt64 = 0

    @Flag(help: "Fail (exit 1) on the first problem instead of reporting it and converting the rest.")
    public var strict = false

    public init() {}

    public func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source (a folder or checkpoint files)") }
        if let maxModels, maxModels < 1 { throw ValidationError("--max-models must be at least 1") }
        if to != nil {
            guard sources.count == 1 else { throw ValidationError("--to exports one zoo file; got \(sources.count) sources") }
        }
    }

    public func run() throws {
        let selected = epochs?.epochs
        try StageFailure.reporting(as: "hz-convert") {
            if to != nil {
                try export(epochs: selected)
            } else {
                try convert(epochs: selected)
            }
        }
    }

    private func convert(epochs: Set<Int>?) throws {
        var options = ImportOptions()
        options.epochs = epochs
        options.maxModels = maxModels
        options.threads = threadOptions.count
        options.strict = strict
        options.overwrite = outputOptions.force
        options.architecture = architecture
        options.splitSeed = splitSeed
        if let ghrp = sources.first(where: { GHRPDataset.looksLikeOne(path: $0) }) {
            guard sources.count == 1 else {
                throw FormatError(file: ghrp, "a GHRP dataset.pt is converted on its own (it holds a whole zoo); got \(sources.count) sources")
            }
            report(try GHRPDatasetImporter.run(source: ghrp, output: outputOptions.output, options: options))
            return
        }
        let bar = ProgressBar(label: "converting", unit: "checkpoints")
        let summary: ImportSummary
        do {
            summary = try ModelZoosImporter(sources: sources, output: outputOptions.output, options: options)
                .run { done, total in bar.update(done, of: total) }
            bar.finish()
        } catch let error as ZooStoreError where error.kind == .exists {
            bar.finish()
            throw FormatError(file: outputOptions.output, "already exists; pass --force to replace it")
        }
        report(summary)
    }

    private func report(_ summary: ImportSummary) {
        if outputOptions.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            encoder.nonConformingFloatEncodingStrategy = NonFiniteJSON.encoding
            FileHandle.standardOutput.write(((try? encoder.encode(summary)) ?? Data()) + Data("\n".utf8))
        } else {
            print(summary)
        }
    }

    private func export(epochs: Set<Int>?) throws {
        let bar = ProgressBar(label: "exporting", unit: "files")
        let start = Date()
        let written = try ZooExporter.exportSafetensors(zoo: sources[0], to: outputOptions.output, epochs: epochs, overwrite: outputOptions.force) { done, total in
            bar.update(done, of: total)
        }
        bar.finish()
        let seconds = Date().timeIntervalSince(start)
        if outputOptions.json {
            print("{\"files\":\(written),\"output\":\(JSONText.quote(outputOptions.output)),\"seconds\":\(String(format: "%.3f", seconds))}")
        } else {
            print("\(outputOptions.output): \(written) safetensors files (<model>/epoch_<N>.safetensors) in \(String(format: "%.2f", seconds)) s")
        }
    }
}
