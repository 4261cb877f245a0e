// The transformer's position-wise feed-forward block with ReLU, as in the hyper-representation
// paper's code (GHRP `FeedForward`): out = Linear2(Dropout(ReLU(Linear1(x)))).
//
// Size legend:  R = rows (samples × tokens), C = model width, F = hidden width.
// Conventions as in Linear.swift; the caller owns every buffer.

/// out[R,C] = (relu(inp · w1ᵀ + b1) ⊙ dropMask) · w2ᵀ + b2.
///
/// - Parameters:
///   - hidden: [R,F] pre-activation, saved for backward.
///   - activated: [R,F] relu(hidden) ⊙ dropMask, saved for backward.
///   - w1: [F,C], b1: [F], w2: [C,F], b2: [C].
///   - dropMask: [R,F] entries 0 or 1/(1−p), or nil (eval mode).
public func feedForwardForward(
    out: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, w1: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    w2: UnsafePointer<Float>, b2: UnsafePointer<Float>, dropMask: UnsafePointer<Float>?,
    rows R: Int, channels C: Int, hiddenWidth F: Int
) {
    linearForward(out: hidden, inp: inp, weight: w1, bias: b1, rows: R, inFeatures: C, outFeatures: F)
    let n = R * F
    if let dropMask {
        for i in 0..<n { activated[i] = max(hidden[i], 0) * dropMask[i] }
    } else {
        for i in 0..<n { activated[i] = max(hidden[i], 0) }
    }
    linearForward(out: out, inp: activated, weight: w2, bias: b2, rows: R, inFeatures: F, outFeatures: C)
}

/// Backward of `feedForwardForward`: accumulates dInp [R,C] (if given), dW1, dB1, dW2, dB2.
///
/// - Parameter scratch: [R,F] workspace (overwritten).
public func feedForwardBackward(
    dInp: UnsafeMutablePointer<Float>?, dW1: UnsafeMutablePointer<Float>, dB1: UnsafeMutablePointer<Float>,
    dW2: UnsafeMutablePointer<Float>, dB2: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
    activated: UnsafePointer<Float>, w1: UnsafePointer<Float>, w2: UnsafePointer<Float>,
    dropMask: UnsafePointer<Float>?,
    rows R: Int, channels C: Int, hiddenWidth F: Int
) {
    let n = R * F
    scratch.update(repeating: 0, count: n)
    linearBackward(dInp: scratch, dWeight: dW2, dBias: dB2, dOut: dOut, inp: activated, weight: w2,
                   rows: R, inFeatures: F, outFeatures: C)
    if let dropMask {
        for i in 0..<n { scratch[i] = hidden[i] > 0 ? scratch[i] * dropMask[i] : 0 }
    } else {
        for i in 0..<n where !(hidden[i] > 0) { scratch[i] = 0 }
    }
    linearBackward(dInp: dInp, dWeight: dW1, dBias: dB1, dOut: scratch, inp: inp, weight: w1,
                   rows: R, inFeatures: C, outFeatures: F)
}
