// `hz-train encode` and `hz-train decode`: weight rows to latents and back through an AE (eval mode).
import ArgumentParser
import Formats
import Foundation
import HyperRep
import ZooStore

extension TrainCommand {
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
        public var split: Split?
        @Option(help: ArgumentHelp("Zoo input: only these checkpoint epochs, e.g. '25' or '21-25'.", valueName: "list"),
                transform: EpochSelection.parser("--epochs"))
        var epochs: EpochSelection?
        @OptionGroup public var pass: AutoencoderPassOptions

        public init() {}

        public func run() throws {
            try TrainCommand.reporting("encode") {
                try TrainCommand.refuseExistingOutput(output, force: pass.force)
                let (model, _) = try AutoencoderCheckpoint.load(path: ae)
                let (rows, count, indices) = try TrainCommand.readRows(input, parameterCount: model.parameterCount,
                                                                       split: split, epochs: epochs?.epochs)
                let z = model.encode(rows: rows, count: count, batchSize: pass.batchSize)
                try NumpyArray.writeFloat32(z, shape: [count, model.latentSize], to: output)
                if let indices {
                    try writeFileAtomically(Array(try JSONSerialization.data(withJSONObject: indices)), to: output + ".rows.json")
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
    static func readRows(_ path: String, parameterCount width: Int, split: Split?, epochs: Set<Int>?)
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
        let indices = reader.select(split: split, epochs: epochs)
        return (try reader.readRows(indices: indices), indices.count, indices)
    }
}
