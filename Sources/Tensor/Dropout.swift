// Inverted dropout, as torch.nn.Dropout in training mode.
//
// Size legend:  N = number of elements.
// Each element is kept with probability 1 - p and then scaled by 1 / (1 - p), so evaluation is
// the identity. The mask comes from a `RandomStream`, so a run is reproducible.

/// out[N] = inp[N] · mask[N], where mask[i] ∈ {0, 1/(1-p)} is drawn from `stream` and kept for
/// the backward pass. With p = 0 the mask is all ones and no draws are made.
public func dropoutForward(out: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
                           inp: UnsafePointer<Float>, count N: Int, probability p: Float,
                           stream: inout RandomStream) {
    if p <= 0 {
        mask.update(repeating: 1, count: N)
        out.update(from: inp, count: N)
        return
    }
    let scale: Float = p >= 1 ? 0 : 1 / (1 - p)
    for i in 0..<N {
        let m: Float = stream.nextFloat() < p ? 0 : scale
        mask[i] = m
        out[i] = inp[i] * m
    }
}

/// Backward of `dropoutForward`: dInp[N] += dOut[N] · mask[N].
public func dropoutBackward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                            mask: UnsafePointer<Float>, count N: Int) {
    for i in 0..<N { dInp[i] += dOut[i] * mask[i] }
}
