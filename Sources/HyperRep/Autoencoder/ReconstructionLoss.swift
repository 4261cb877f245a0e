// Layer-wise normalised reconstruction loss, as the official code computes it (GHRP
// `LayerWiseReconLoss`): output and target are divided by σ_l, the standard deviation of all of
// layer l's weights over the training rows (unbiased, floored at 1e-4), then per layer the summed
// squared error is divided by B′·P (`global_mean`) or B′·P_l (`layer_mean`) and weighted by w_l.
// Without normalisation (σ_l = 1, `global_mean`) it is the plain MSE ablation.
// R² per layer and overall compares with the loss of predicting the training rows' mean.
//
// Size legend: N = rows (B′ = both views), P = parameters per row, P_l = parameters of layer l.
import ZooStore

/// How per-layer errors are averaged.
public enum ReconstructionReduction: String, Codable, Sendable, CaseIterable {
    /// Σ_l w_l · SSE_l / (N·P): every parameter weighs the same.
    case globalMean = "global_mean"
    /// Σ_l w_l · SSE_l / (N·P_l): every layer weighs the same.
    case layerMean = "layer_mean"
}

/// The reconstruction loss over the layers of a parameter table.
public struct ReconstructionLoss: Codable, Sendable, Equatable {
    /// Row range of each layer (weight and bias).
    public var layerRanges: [Range<Int>]
    /// σ_l per layer (1 when not normalised).
    public var layerScale: [Float]
    /// w_l per layer (default 1).
    public var layerWeights: [Float]
    public var reduction: ReconstructionReduction
    /// Loss of predicting the training mean, per layer and total (for R²); empty until set.
    public var meanLoss: [Float] = []
    public var meanLossTotal: Float = .nan

    /// Loss over `table`'s layers; σ_l = 1 until `normalize(by:)`.
    public init(table: ParameterTable, reduction: ReconstructionReduction = .globalMean, layerWeights: [Float]? = nil) {
        layerRanges = table.layers.map { l in
            let end = (l.bias?.range.upperBound ?? l.weight.range.upperBound)
            return l.weight.offset..<max(end, l.weight.range.upperBound)
        }
        layerScale = Array(repeating: 1, count: layerRanges.count)
        self.layerWeights = layerWeights ?? Array(repeating: 1, count: layerRanges.count)
        self.reduction = reduction
    }

    /// Sets σ_l to the unbiased std of layer l's values over `rows` [count, P], floored at 1e-4.
    public mutating func normalize(by rows: UnsafeBufferPointer<Float>, count: Int, parameters P: Int) {
        for (l, r) in layerRanges.enumerated() {
            var sum = 0.0, sq = 0.0
            for i in 0..<count { for k in r { let v = Double(rows[i * P + k]); sum += v; sq += v * v } }
            let n = Double(count * r.count)
            let variance = n > 1 ? max(sq - sum * sum / n, 0) / (n - 1) : 0
            layerScale[l] = max(Float(variance.squareRoot()), 1e-4)
        }
    }

    /// Sets the reference losses of R²: the loss of predicting the per-parameter mean of `rows`.
    public mutating func setMeanLoss(rows: UnsafeBufferPointer<Float>, count: Int, parameters P: Int) {
        var mean = [Float](repeating: 0, count: P)
        for i in 0..<count { for k in 0..<P { mean[k] += rows[i * P + k] } }
        for k in 0..<P { mean[k] /= Float(count) }
        var predicted = [Float](repeating: 0, count: count * P)
        for i in 0..<count { for k in 0..<P { predicted[i * P + k] = mean[k] } }
        let result = predicted.withUnsafeBufferPointer { evaluate(output: $0.baseAddress!, target: rows.baseAddress!, rows: count, parameters: P, gradient: nil) }
        meanLoss = result.perLayer
        meanLossTotal = result.loss
    }

    /// The same reference in plain units: σ_l = 1, `global_mean`, unit layer weights, and the
    /// mean-prediction losses rescaled by σ_l² (and P_l/P under `layer_mean`). Its overall R² is
    /// the ordinary per-parameter R², comparable between a normalised and a plain-MSE autoencoder
    /// (their own overall R² weight the layers differently; per-layer R² agree).
    public var plainEquivalent: ReconstructionLoss {
        var plain = self
        let P = layerRanges.last?.upperBound ?? 0
        plain.layerScale = Array(repeating: 1, count: layerRanges.count)
        plain.layerWeights = Array(repeating: 1, count: layerRanges.count)
        plain.reduction = .globalMean
        if meanLoss.count == layerRanges.count {
            plain.meanLoss = layerRanges.indices.map { l in
                let share = reduction == .layerMean ? Float(layerRanges[l].count) / Float(max(P, 1)) : 1
                return meanLoss[l] * layerScale[l] * layerScale[l] * share
            }
            plain.meanLossTotal = plain.meanLoss.reduce(0, +)
        }
        return plain
    }

    /// The loss of output [N,P] against target [N,P]; writes dLoss/dOutput into `gradient` [N,P]
    /// (overwritten) when given.
    public func evaluate(output: UnsafePointer<Float>, target: UnsafePointer<Float>, rows N: Int, parameters P: Int,
                         gradient: UnsafeMutablePointer<Float>?) -> ReconstructionResult {
        var perLayer = [Float](repeating: 0, count: layerRanges.count)
        var total: Double = 0
        for (l, r) in layerRanges.enumerated() {
            let inv = 1 / layerScale[l]
            let denominator = Double(N) * Double(reduction == .globalMean ? P : r.count)
            var sse: Double = 0
            let gscale = Float(2 * Double(layerWeights[l]) / denominator) * inv * inv
            for i in 0..<N {
                let o = output + i * P, t = target + i * P
                for k in r {
                    let d = (o[k] - t[k]) * inv
                    sse += Double(d * d)
                    if let gradient { gradient[i * P + k] = gscale * (o[k] - t[k]) }
                }
            }
            perLayer[l] = Float(sse / denominator)
            total += Double(layerWeights[l]) * sse / denominator
        }
        return result(loss: Float(total), perLayer: perLayer)
    }

    /// The result of a loss and its per-layer losses, with R² against the mean-model losses
    /// (also used for the mean of K ranks' losses in a data-parallel step).
    func result(loss: Float, perLayer: [Float]) -> ReconstructionResult {
        var rsq: [Float] = []
        if meanLoss.count == perLayer.count {
            rsq = zip(perLayer, meanLoss).map { 1 - $0 / $1 }
        }
        return ReconstructionResult(loss: loss, perLayer: perLayer,
                                    rSquared: meanLossTotal.isNaN ? .nan : 1 - loss / meanLossTotal,
                                    rSquaredPerLayer: rsq)
    }
}

/// One evaluation of the reconstruction loss.
public struct ReconstructionResult: Sendable, Equatable {
    /// Σ_l w_l · loss_l.
    public var loss: Float
    /// Unweighted loss_l per layer.
    public var perLayer: [Float]
    /// 1 − loss / meanLoss (NaN until the mean loss is set).
    public var rSquared: Float
    /// 1 − loss_l / meanLoss_l per layer (empty until set).
    public var rSquaredPerLayer: [Float]
}
