// Normalisation over the feature axis: the hyper-representation paper's `Norm` (its official
// code's variant of layer norm with the *unbiased* standard deviation and the epsilon added to
// the std, not to the variance). The AE's pre-norm blocks use it; nothing in hyperzoo uses the
// standard nn.LayerNorm, so it is not kept here.
//
// Size legend:  R = rows (samples × tokens), C = features normalised together.
// Conventions as in Linear.swift: outputs first, backward accumulates (+=), no allocation.
//
// Paper's Norm (GHRP def_transformers.py `Norm`, eps 1e-6):
//     out = alpha · (x − mean) / (std_unbiased + eps) + bias

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
