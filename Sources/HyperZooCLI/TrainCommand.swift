// `hz-train` / `hyperzoo train`: learn a hyper-representation (the paper's transformer
// autoencoder) from a zoo, import an official checkpoint, and move latents in and out as .npy.
import ArgumentParser
import FileIO
import Formats
import Foundation
import HyperRep
import Tensor
import ZooStore

/// The train stage: `train` (default), `import-ghrp`, `encode`, `decode`.
public struct TrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("train"),
        abstract: "Train the hyper-representation autoencoder on a zoo; import official checkpoints; encode and decode.",
        discussion: """
        The autoencoder is the one of the paper's official code (AE_attn): one token per neuron (its fan-in weights and bias), a linear embedder per layer, a compression token, learned positions, pre-norm transformer blocks, a linear bottleneck, and the mirror-image decoder. It is trained on two augmented views of every training model with γ·NT-Xent + (1−γ)·layer-wise normalised reconstruction.

        Examples:
          hz-train zoo.h5 -o ae.h5 --epochs 50 --batch-size 64
          hz-train zoo.h5 -o ae.h5 --resume --epochs 100
          hz-train import-ghrp config_ae.json checkpoint_ae.pt -o ae.h5
          hz-train encode ae.h5 zoo.h5 -o z.npy --split test
          hz-train decode ae.h5 z.npy -o w.npy
          hz-train reconstruct ae.h5 zoo.h5 --split test --json
          hz-train probe ae.h5 zoo.h5 -o probe.json
        """,
        version: HyperZooVersion.string,
        subcommands: [Fit.self, ImportGHRP.self, Encode.self, Decode.self, Reconstruct.self, Probe.self],
        defaultSubcommand: Fit.self
    )

    public init() {}

    /// Runs `body`, turning any error into one line on stderr and exit status 1.
    static func reporting(_ command: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as ValidationError { throw error } catch let code as ExitCode { throw code } catch {
            FileHandle.standardError.write(Data("hz-train \(command): \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// An existing output is never overwritten unless the user asked with --force.
    static func refuseExistingOutput(_ path: String, force: Bool) throws {
        if !force && FileManager.default.fileExists(atPath: path) {
            throw OutputExistsError(path: path)
        }
    }

    struct OutputExistsError: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path): output exists; pass --force to replace it" }
    }

    static func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

extension TrainCommand {
    /// `hz-train import-ghrp`: an official GHRP checkpoint into a hyperzoo.ae file.
    public struct ImportGHRP: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "import-ghrp",
            abstract: "Import an autoencoder trained by the paper's official code (config_ae.json + checkpoint_ae.pt).",
            discussion: """
            Reads the official configuration (keys model::…) and the AE_attn state_dict saved with torch.save (read without Python: a restricted unpickler imports nothing). Supported: neuron encoding, compression token, bottleneck linear or linear_bounded, decompression linear or repeat, any sizes. The projection head is not part of checkpoint_ae.pt and is initialised fresh.

            Example:
              hz-train import-ghrp data/hyper_representations/mnist/config_ae.json data/hyper_representations/mnist/checkpoint_ae.pt -o mnist-ae.h5
            """)

        @Argument(help: ArgumentHelp("The official config_ae.json.", valueName: "config"))
        public var config: String
        @Argument(help: ArgumentHelp("The official checkpoint_ae.pt (AE_attn state_dict).", valueName: "checkpoint"))
        public var checkpoint: String
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The AE file to write (hyperzoo.ae HDF5).", valueName: "path"))
        public var output: String
        @Flag(help: "Replace an existing output.")
        public var force = false
        @Flag(help: "Print a summary as JSON on stdout.")
        public var json = false

        public init() {}

        public func run() throws {
            try TrainCommand.reporting("import-ghrp") {
                let data: Data
                do { data = Data(try readRegularFile(atPath: config, limit: maxConfigFileBytes)) } catch let error as InputFileError {
                    throw AutoencoderError("\(config): cannot read the GHRP config: \(error.reason)")
                }
                let cfg: AutoencoderConfig
                do { cfg = try AutoencoderConfig(ghrpJSON: data) } catch { throw AutoencoderError("\(config): \(error)") }
                let model = try Autoencoder(config: cfg)
                let torch = try TorchCheckpoint.read(path: checkpoint)
                try model.loadStateDict(torch.tensors.map { ($0.name, $0.tensor.shape, $0.tensor.floats()) }, source: checkpoint)
                try AutoencoderCheckpoint.save(model, source: "import-ghrp \(checkpoint)", to: output, overwrite: force)
                let summary: [String: Any] = [
                    "output": output, "parameters": model.parameters.count, "latent": cfg.latentSize,
                    "tokens": model.layout.tokenCount, "model_width": cfg.modelWidth,
                    "bottleneck": cfg.bottleneck.rawValue, "decompression": cfg.decompression.rawValue,
                ]
                if json { try TrainCommand.printJSON(summary) } else {
                    print("imported \(checkpoint) → \(output): \(model.layout.tokenCount) tokens, d_model \(cfg.modelWidth), latent \(cfg.latentSize), \(cfg.bottleneck.rawValue)/\(cfg.decompression.rawValue)")
                }
            }
        }
    }

    /// What `encode` and `decode` share after their inputs: rows per forward pass, replacing the output.
    public struct AutoencoderPassOptions: ParsableArguments {
        @Option(help: ArgumentHelp("Rows per forward pass.", valueName: "n"))
        public var batchSize: Int = 256
        @Flag(help: "Replace an existing output file.")
        public var force = false

        public init() {}
    }

    /// `hz-train encode`: latents of zoo rows or of a .npy matrix.
    public struct Encode: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "encode",
            abstract: "Encode weight rows (a zoo file or a float32 .npy [N, P]) into latents Z [N, L] (.npy, eval mode).",
            discussion: """
            Example:
              hz-train encode ae.h5 zoo.h5 -o z.npy --split test --epochs 25
              hz-train encode ae.h5 vectors.npy -o z.npy
            With a zoo input, the rows' indices in the zoo are written to <output>.rows.json.
            """)

        @Argument(help: ArgumentHelp("The AE file (hyperzoo.ae).", valueName: "ae"))
        public var ae: String
        @Argument(help: ArgumentHelp("A zoo file (.h5) or a float32 .npy matrix [N, P].", valueName: "input"))
        public var input: String
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The .npy to write (float32 [N, L]).", valueName: "path"))
        public var output: String
        @Option(help: ArgumentHelp("Zoo input: only models of this split (train, val, test).", valueName: "split"))
        public var split: String?
        @Option(help: ArgumentHelp("Zoo input: only these checkpoint epochs, e.g. '25' or '21-25'.", valueName: "list"))
        public var epochs: String?
        @OptionGroup public var pass: AutoencoderPassOptions

        public init() {}

        public func run() throws {
            try TrainCommand.reporting("encode") {
                try TrainCommand.refuseExistingOutput(output, force: pass.force)
                let (model, _) = try AutoencoderCheckpoint.load(path: ae)
                let (rows, count, indices) = try TrainCommand.readRows(input, parameterCount: model.parameterCount,
                                                                       split: split, epochs: epochs)
                let z = model.encode(rows: rows, count: count, batchSize: pass.batchSize)
                try NumpyArray.writeFloat32(z, shape: [count, model.latentSize], to: output)
                if let indices {
                    try JSONSerialization.data(withJSONObject: indices).write(to: URL(fileURLWithPath: output + ".rows.json"))
                }
                FileHandle.standardError.write(Data("encoded \(count) rows → \(output) [\(count), \(model.latentSize)]\n".utf8))
            }
        }
    }

    /// `hz-train decode`: weight rows from latents.
    public struct Decode: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "decode",
            abstract: "Decode latents Z [N, L] (.npy) into weight rows W [N, P] (.npy, eval mode).",
            discussion: """
            Example:
              hz-train decode ae.h5 z.npy -o w.npy
            """)

        @Argument(help: ArgumentHelp("The AE file (hyperzoo.ae).", valueName: "ae"))
        public var ae: String
        @Argument(help: ArgumentHelp("Latents: a float32 .npy [N, L].", valueName: "latents"))
        public var latents: String
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The .npy to write (float32 [N, P]).", valueName: "path"))
        public var output: String
        @OptionGroup public var pass: AutoencoderPassOptions

        public init() {}

        public func run() throws {
            try TrainCommand.reporting("decode") {
                try TrainCommand.refuseExistingOutput(output, force: pass.force)
                let (model, _) = try AutoencoderCheckpoint.load(path: ae)
                let (z, count, _) = try TrainCommand.readRows(latents, parameterCount: model.latentSize, split: nil, epochs: nil)
                let w = model.decode(latents: z, count: count, batchSize: pass.batchSize)
                try NumpyArray.writeFloat32(w, shape: [count, model.parameterCount], to: output)
                FileHandle.standardError.write(Data("decoded \(count) latents → \(output) [\(count), \(model.parameterCount)]\n".utf8))
            }
        }
    }

    /// Rows [count, width] from a .npy matrix or (for .h5) a zoo's selected checkpoints.
    static func readRows(_ path: String, parameterCount width: Int, split: String?, epochs: String?)
        throws -> (rows: [Float], count: Int, zooRows: [Int]?) {
        if path.hasSuffix(".npy") {
            let t = try NumpyArray.read(path: path)
            guard t.shape.count == 2, t.shape[1] == width else {
                throw AutoencoderError("\(path): shape \(t.shape), expected [N, \(width)]")
            }
            return (t.floats(), t.shape[0], nil)
        }
        let reader = try ZooReader(path: path)
        defer { reader.close() }
        guard reader.parameterCount == width else {
            throw AutoencoderError("\(path): rows of \(reader.parameterCount) parameters, the AE expects \(width)")
        }
        let selectedSplit = try split.map { s -> Split in
            guard let v = Split(rawValue: s) else { throw ValidationError("--split must be train, val or test, not '\(s)'") }
            return v
        }
        let indices = reader.select(split: selectedSplit, epochs: try epochs.map { try ConvertCommand.parseEpochs($0) })
        return (try reader.readRows(indices: indices), indices.count, indices)
    }
}
