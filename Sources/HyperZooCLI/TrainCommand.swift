// `hz-train` / `hyperzoo train`: learn a hyper-representation (the paper's transformer
// autoencoder) from a zoo, import an official checkpoint, and move latents in and out as .npy.
import ArgumentParser
import Foundation
import HyperRep
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

    /// Writes a report through <output>.partial (removed on failure), renamed into place when complete.
    static func writeReport(_ data: Data, to output: String, force: Bool) throws {
        let file = try AtomicOutput(path: output, overwrite: force)
        do {
            try data.write(to: URL(fileURLWithPath: file.partialPath))
            try file.commit()
        } catch {
            file.discard()
            throw error
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
