// Batch normalisation over the batch axis of [R,C] rows
// (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html), used by the
// hyper-representation projection head. Training mode normalises with the batch's mean and
// biased variance and updates running statistics (running variance with the unbiased variance,
// as PyTorch does); eval mode normalises with the running statistics.
//
// Size legend:  R = rows in the batch, C = features.
// Conventions as in Linear.swift.

/// Training-mode forward: out[R,C] = (inp − mean_c)·rstd_c·weight_c + bias_c; saves mean[C],
/// rstd[C]; updates runningMean[C], runningVar[C] with `momentum` (PyTorch's default 0.1).
public func batchNormForward(
    out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    runningMean: UnsafeMutablePointer<Float>?, runningVar: UnsafeMutablePointer<Float>?,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows R: Int, features C: Int, momentum: Float = 0.1, eps: Float = 1e-5
) {
    for c in 0..<C {
        var m: Double = 0
        for r in 0..<R { m += Double(inp[r * C + c]) }
        m /= Double(R)
        var v: Double = 0
        for r in 0..<R { let d = Double(inp[r * C + c]) - m; v += d * d }
        let biased = v / Double(R)
        let s = Float(1 / (biased + Double(eps)).squareRoot())
        let mf = Float(m)
        for r in 0..<R { out[r * C + c] = (inp[r * C + c] - mf) * s * weight[c] + bias[c] }
        mean[c] = mf
        rstd[c] = s
        if let runningMean, let runningVar {
            let unbiased = R > 1 ? v / Double(R - 1) : biased
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mf
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(unbiased)
        }
    }
}

/// Eval-mode forward with running statistics: out = (inp − runningMean)/sqrt(runningVar + eps)·weight + bias.
public func batchNormInference(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
    runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows R: Int, features C: Int, eps: Float = 1e-5
) {
    for c in 0..<C {
        let s = 1 / (runningVar[c] + eps).squareRoot()
        for r in 0..<R { out[r * C + c] = (inp[r * C + c] - runningMean[c]) * s * weight[c] + bias[c] }
    }
}

/// Backward of training-mode `batchNormForward`: accumulates dInp [R,C], dWeight [C], dBias [C].
public func batchNormBackward(
    dInp: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    rows R: Int, features C: Int
) {
    for c in 0..<C {
        let m = mean[c], s = rstd[c]
        var sumD: Float = 0, sumDX: Float = 0
        for r in 0..<R {
            let dy = dOut[r * C + c]
            let xhat = (inp[r * C + c] - m) * s
            sumD += dy
            sumDX += dy * xhat
        }
        dBias[c] += sumD
        dWeight[c] += sumDX
        let meanD = sumD * weight[c] / Float(R), meanDX = sumDX * weight[c] / Float(R)
        for r in 0..<R {
            let xhat = (inp[r * C + c] - m) * s
            dInp[r * C + c] += s * (dOut[r * C + c] * weight[c] - meanD - xhat * meanDX)
        }
    }
}
