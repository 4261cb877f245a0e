// Normalisation over the feature axis: the standard layer norm and the hyper-representation
// paper's `Norm` (its official code's variant with the *unbiased* standard deviation and the
// epsilon added to the std, not to the variance).
//
// Size legend:  R = rows (samples × tokens), C = features normalised together.
// Conventions as in Linear.swift: outputs first, backward accumulates (+=), no allocation.
//
// Standard (https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html):
//     out = (x − mean) / sqrt(var_biased + eps) · weight + bias
// Paper's Norm (GHRP def_transformers.py `Norm`, eps 1e-6):
//     out = alpha · (x − mean) / (std_unbiased + eps) + bias

/// Standard layer norm forward. Saves `mean[R]` and `rstd[R]` (1/sqrt(var+eps)) for backward.
///
/// - Parameters: out [R,C]; mean [R]; rstd [R]; inp [R,C]; weight [C]; bias [C].
public func layerNormForward(
    out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows R: Int, features C: Int, eps: Float = 1e-5
) {
    for r in 0..<R {
        let x = inp + r * C, y = out + r * C
        var m: Float = 0
        for c in 0..<C { m += x[c] }
        m /= Float(C)
        var v: Float = 0
        for c in 0..<C { let d = x[c] - m; v += d * d }
        v /= Float(C)
        let s = 1 / (v + eps).squareRoot()
        for c in 0..<C { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
        mean[r] = m
        rstd[r] = s
    }
}

/// Backward of `layerNormForward`: accumulates dInp [R,C], dWeight [C], dBias [C] from dOut [R,C].
public func layerNormBackward(
    dInp: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    rows R: Int, features C: Int
) {
    for r in 0..<R {
        let x = inp + r * C, dy = dOut + r * C, dx = dInp + r * C
        let m = mean[r], s = rstd[r]
        // dnorm = dy · weight; dx = s · (dnorm − mean(dnorm) − xhat · mean(dnorm · xhat))
        var meanD: Float = 0, meanDX: Float = 0
        for c in 0..<C {
            let xhat = (x[c] - m) * s
            let dn = dy[c] * weight[c]
            meanD += dn
            meanDX += dn * xhat
            dBias[c] += dy[c]
            dWeight[c] += dy[c] * xhat
        }
        meanD /= Float(C)
        meanDX /= Float(C)
        for c in 0..<C {
            let xhat = (x[c] - m) * s
            dx[c] += s * (dy[c] * weight[c] - meanD - xhat * meanDX)
        }
    }
}

/// The paper's `Norm` forward: out = alpha·(x−mean)/(std_unbiased + eps) + bias.
/// Saves `mean[R]` and `std[R]` (the unbiased std, before eps) for backward. Needs C ≥ 2.
///
/// - Parameters: out [R,C]; mean [R]; std [R]; inp [R,C]; alpha [C]; bias [C].
public func unbiasedNormForward(
    out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, std: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, alpha: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows R: Int, features C: Int, eps: Float = 1e-6
) {
    for r in 0..<R {
        let x = inp + r * C, y = out + r * C
        var m: Float = 0
        for c in 0..<C { m += x[c] }
        m /= Float(C)
        var v: Float = 0
        for c in 0..<C { let d = x[c] - m; v += d * d }
        let s = (v / Float(C - 1)).squareRoot()
        let inv = 1 / (s + eps)
        for c in 0..<C { y[c] = alpha[c] * (x[c] - m) * inv + bias[c] }
        mean[r] = m
        std[r] = s
    }
}

/// Backward of `unbiasedNormForward`: accumulates dInp [R,C], dAlpha [C], dBias [C].
///
/// With xm = x − mean, s the unbiased std, d = s + eps, g = dOut·alpha:
///     dx_j = (g_j − mean(g)) / d − xm_j · Σ_i g_i xm_i / (d² · s · (C−1)).
public func unbiasedNormBackward(
    dInp: UnsafeMutablePointer<Float>, dAlpha: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, std: UnsafePointer<Float>,
    rows R: Int, features C: Int, eps: Float = 1e-6
) {
    for r in 0..<R {
        let x = inp + r * C, dy = dOut + r * C, dx = dInp + r * C
        let m = mean[r], s = std[r]
        let inv = 1 / (s + eps)
        var meanG: Float = 0, dotGX: Float = 0
        for c in 0..<C {
            let xm = x[c] - m
            let g = dy[c] * alpha[c]
            meanG += g
            dotGX += g * xm
            dBias[c] += dy[c]
            dAlpha[c] += dy[c] * xm * inv
        }
        meanG /= Float(C)
        // s = 0 means every xm is 0: the second term vanishes.
        let k: Float = s > 0 ? dotGX * inv * inv / (s * Float(C - 1)) : 0
        for c in 0..<C {
            let xm = x[c] - m
            dx[c] += (dy[c] * alpha[c] - meanG) * inv - xm * k
        }
    }
}
