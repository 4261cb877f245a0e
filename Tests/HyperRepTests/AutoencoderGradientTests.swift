import Testing
import TestSupport
import Tensor
import ZooStore
@testable import HyperRep

/// A tiny zoo architecture for fast AE tests: two linear layers (tokens of width 5 and 4).
func tinyTable() throws -> ParameterTable {
    try ParameterTable(stateDict: [("module_list.0.weight", [3, 4]), ("module_list.0.bias", [3]),
                                   ("module_list.1.weight", [2, 3]), ("module_list.1.bias", [2])])
}

func tinyConfig(bottleneck: BottleneckKind = .linear, decompression: DecompressionKind = .linear,
                decoderBias: Bool = false, dropout: Float = 0.2, blocks: Int = 2) throws -> AutoencoderConfig {
    AutoencoderConfig(table: try tinyTable(), modelWidth: 8, heads: 2, blocks: blocks, feedForwardWidth: 6,
                      latentSize: 4, dropout: dropout, bottleneck: bottleneck, decompression: decompression,
                      decoderBias: decoderBias, projectionLayers: 1, projectionHidden: 6, projectionOutput: 3)
}

func randomRows(_ n: Int, _ P: Int, seed: UInt64) -> [Float] {
    var r = RandomStream(seed: seed, purpose: "rows")
    return (0..<(n * P)).map { _ in r.nextNormal() * 0.5 }
}

// Float32 central differences of the whole training loss against the analytic gradient (errors
// relative to the gradient's scale: components below 1% of the largest are in rounding noise), for
// three coordinates of every tensor (AE and projection head), with dropout on (the masks are the
// same in every evaluation because the RandomStream is restored). The ops themselves have Float64
// checks in TensorTests; this checks that the AE wires them together correctly.
@Suite struct AutoencoderGradientTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var bottleneck: BottleneckKind, decompression: DecompressionKind, decoderBias: Bool, gamma: Float
        var reduction: ReconstructionReduction
        var testDescription: String { "\(bottleneck.rawValue)/\(decompression.rawValue)/bias=\(decoderBias)/γ=\(gamma)/\(reduction.rawValue)" }
    }

    @Test(arguments: [
        Variant(bottleneck: .linear, decompression: .linear, decoderBias: false, gamma: 0.5, reduction: .globalMean),
        Variant(bottleneck: .linearBounded, decompression: .repeat, decoderBias: true, gamma: 0.3, reduction: .layerMean),
        Variant(bottleneck: .linear, decompression: .linear, decoderBias: false, gamma: 1, reduction: .globalMean),
        Variant(bottleneck: .linear, decompression: .repeat, decoderBias: false, gamma: 0, reduction: .globalMean),
    ])
    func everyTensorMatchesFiniteDifferences(_ v: Variant) throws {
        let config = try tinyConfig(bottleneck: v.bottleneck, decompression: v.decompression, decoderBias: v.decoderBias)
        let ae = try Autoencoder(config: config, seed: 3)
        let B = 3, P = ae.parameterCount
        let views = randomRows(2 * B, P, seed: 9)
        var recon = ReconstructionLoss(table: config.table, reduction: v.reduction, layerWeights: [1, 0.5])
        views.withUnsafeBufferPointer { recon.normalize(by: $0, count: 2 * B, parameters: P) }
        let objective = AutoencoderObjective(gamma: v.gamma, temperature: 0.5, reconstruction: recon)
        let start = RandomStream(seed: 5, purpose: "dropout")
        func loss() -> Float {
            var s = start
            return views.withUnsafeBufferPointer { ae.lossAndGradients(views: $0.baseAddress!, batch: B, objective: objective, stream: &s) }.total
        }
        _ = loss()
        let analytic = Array(UnsafeBufferPointer(start: ae.parameters.gradients, count: ae.parameters.count))
        // Scale of the gradient, for an absolute floor where Float32 noise dominates.
        let scale = analytic.map { Double(abs($0)) }.max() ?? 1
        func numeric(_ k: Int, _ h: Float) -> Double {
            let saved = ae.parameters.values[k]
            ae.parameters.values[k] = saved + h; let fp = Double(loss())
            ae.parameters.values[k] = saved - h; let fm = Double(loss())
            ae.parameters.values[k] = saved
            return (fp - fm) / (2 * Double(h))
        }
        var checked = 0, worst = 0.0, worstName = ""
        for view in ae.parameters.views {
            for i in Set([0, view.count / 2, view.count - 1]) {
                let k = view.offset + i
                let a = Double(analytic[k])
                // Three step sizes: a ReLU kink within h or Float32 rounding spoils a quotient, rarely all.
                let err = [1e-2, 5e-3, 2e-3].map { (h: Float) -> Double in
                    let n = numeric(k, h)
                    return abs(a - n) / max(abs(a) + abs(n), 1e-2 * scale)
                }.min()!
                if err > worst { worst = err; worstName = "\(view.name)[\(i)] analytic \(a)" }
                checked += 1
            }
        }
        #expect(worst < 3e-2, "worst: \(worstName)")
        #expect(checked > 100)
    }
}
