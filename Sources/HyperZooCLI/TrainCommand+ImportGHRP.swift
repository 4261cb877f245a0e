// `hz-train import-ghrp`: the paper's official AE checkpoint (config_ae.json + checkpoint_ae.pt,
// read by Formats' restricted unpickler) into a hyperzoo.ae file.
import ArgumentParser
import FileIO
import Formats
import Foundation
import HyperRep

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
}
