// hz-bench-ae-step (was `hz-train bench`): seconds per training step on random CNN-s-shaped
// rows, the same workload as ../shared/peers/ghrp_ae_step.py (two views of B rows, NT-Xent with a 4-layer projection head +
// layer-normalised reconstruction, AdamW). Driven by tools/bench/bench-ae beside the peer.
import ArgumentParser
import BenchmarkCeiling
import Foundation
import HyperRep
import Tensor
import ZooStore

struct AEStepBench: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "hz-bench-ae-step",
            abstract: "Time AE training steps on random rows of the CNN-s shape (prints JSON; see tools/bench/bench-ae).",
            discussion: """
            Example:
              hz-bench-ae-step --batch 100 --width 256 --latent 128 --ff-width 512 --heads 4 --blocks 2 --steps 5
            Also measures the machine's sgemm rate (n = 1024) with the same BLAS, for the fraction of the ceiling.
            """)

        @Option(help: ArgumentHelp("Models per batch B (two views each).", valueName: "n")) public var batch: Int = 100
        @Option(help: ArgumentHelp("d_model.", valueName: "n")) public var width: Int = 256
        @Option(help: ArgumentHelp("Latent size.", valueName: "n")) public var latent: Int = 128
        @Option(help: ArgumentHelp("Feed-forward width.", valueName: "n")) public var ffWidth: Int = 512
        @Option(help: ArgumentHelp("Attention heads.", valueName: "n")) public var heads: Int = 4
        @Option(help: ArgumentHelp("Blocks per encoder/decoder.", valueName: "n")) public var blocks: Int = 2
        @Option(help: ArgumentHelp("Timed steps (after one warm-up step).", valueName: "n")) public var steps: Int = 5
        @Option(help: ArgumentHelp("BLAS threads.", valueName: "n")) public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        init() {}

        public func run() throws {
            try reporting {
                setBLASThreads(threads)
                let index: [String: Any] = [
                    "layer": [[0, "conv2d"], [3, "conv2d"], [6, "conv2d"], [9, "fc"], [11, "fc"]],
                    "idx_start": [0, 208, 1414, 1514, 2254], "idx_length": [208, 1206, 100, 740, 210],
                    "kernel_no": [8, 6, 4, 20, 10], "kernel_size": [25, 25, 4, 9, 1], "channels_in": [1, 8, 6, 4, 20]]
                let table = try ParameterTable(ghrpIndexDict: index)
                let config = AutoencoderConfig(table: table, modelWidth: width, heads: heads, blocks: blocks,
                                               feedForwardWidth: ffWidth, latentSize: latent, dropout: 0.1,
                                               projectionLayers: 4, projectionHidden: 400, projectionOutput: 50)
                let model = try Autoencoder(config: config, seed: 0)
                let P = model.parameterCount
                var r = RandomStream(seed: 0, purpose: "bench")
                let views = (0..<(2 * batch * P)).map { _ in r.nextNormal() * 0.1 }
                var recon = ReconstructionLoss(table: table)
                views.withUnsafeBufferPointer { recon.normalize(by: $0, count: 2 * batch, parameters: P) }
                let objective = AutoencoderObjective(gamma: 0.1, temperature: 0.1, reconstruction: recon)
                let optimizer = Optimizer(.adamW(learningRate: 1e-4, weightDecay: 1e-9), count: model.parameters.count)
                var stream = RandomStream(seed: 1, purpose: "bench.dropout")
                func step() {
                    _ = views.withUnsafeBufferPointer {
                        model.lossAndGradients(views: $0.baseAddress!, batch: batch, objective: objective, stream: &stream)
                    }
                    optimizer.step(model.parameters)
                }
                step()
                let start = Date()
                for _ in 0..<steps { step() }
                let seconds = Date().timeIntervalSince(start) / Double(max(steps, 1))
                let flops = Self.stepFLOPs(config: config, layout: model.layout, batch: batch)
                let ceiling = sgemmGFLOPPerSecond(n: 1024, threads: threads, repeats: 5).median
                try printJSON([
                    "tool": "hz-train", "batch": batch, "d_model": width, "params": model.parameters.count,
                    "threads": threads, "s_per_step": (seconds * 10_000).rounded() / 10_000,
                    "models_per_s": (Double(batch) / seconds * 10).rounded() / 10,
                    "gflop_per_step": (flops / 1e9 * 100).rounded() / 100,
                    "gflops": (flops / seconds / 1e9 * 10).rounded() / 10,
                    "sgemm_gflops_n1024": (ceiling * 10).rounded() / 10,
                    "fraction_of_sgemm": (flops / seconds / 1e9 / ceiling * 1000).rounded() / 1000,
                    "activation_mb": Double(model.activationFloats * 4) / 1e6,
                ])
            }
        }

        /// Matrix-product FLOPs of one training step (forward ×3 for forward + backward):
        /// embedders, q/k/v/out, attention scores and mixing, FF, bottleneck, decompression, debedders, head.
        static func stepFLOPs(config c: AutoencoderConfig, layout: TokenLayout, batch B: Int) -> Double {
            let N = Double(2 * B), D = Double(c.modelWidth), F = Double(c.feedForwardWidth), L = Double(c.latentSize)
            let T = Double(layout.tokenCount), S = T + 1
            func block(_ seq: Double) -> Double {
                let rows = N * seq
                return 2 * rows * D * D * 4 + 2 * rows * D * F * 2 + 2 * 2 * N * seq * seq * D
            }
            var f = Double(c.blocks) * (block(S) + block(T))
            let tokens = layout.layers.reduce(0.0) { $0 + 2 * N * Double($1.tokenCount * $1.width) * D }
            f += 2 * tokens
            f += 2 * N * D * L + 2 * N * L * (c.decompression == .linear ? T * D : D)
            let H = Double(c.projectionHidden)
            f += 2 * N * (L * H + Double(c.projectionLayers - 1) * H * H + H * Double(c.projectionOutput))
            return 3 * f
        }
    }

/// One error line and exit 1, as the stages do.
func reporting(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ValidationError { throw error } catch let code as ExitCode { throw code } catch {
        FileHandle.standardError.write(Data("hz-bench-ae-step: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// The result as one sorted JSON line.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

AEStepBench.main()
