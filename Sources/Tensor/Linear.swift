// Linear (fully connected) layer: the exemplar of the compute core's conventions.
//
// Size legend:  B = rows in the batch (samples, or samples × tokens), C = input features,
//               OC = output features.
// Conventions (every kernel file follows them):
// - arguments come as outputs, then inputs and parameters, then sizes, all labelled;
// - forward writes its output; backward *accumulates* (+=) into every gradient it receives,
//   and zeroing gradients is the caller's separate step;
// - buffers are flat, row-major, owned by the caller; no kernel allocates.
// Mirrors https://pytorch.org/docs/stable/generated/torch.nn.Linear.html (y = x Wᵀ + b).

/// out[B,OC] = inp[B,C] · weight[OC,C]ᵀ + bias[OC].
public func linearForward(
    out: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    rows B: Int, inFeatures C: Int, outFeatures OC: Int
) {
    if let bias {
        for b in 0..<B { (out + b * OC).update(from: bias, count: OC) }
    }
    gemm(transposeB: true, m: B, n: OC, k: C,
         a: inp, lda: C, b: weight, ldb: C,
         beta: bias == nil ? 0 : 1, c: out, ldc: OC)
}

/// Backward of `linearForward`: accumulates dInp[B,C], dWeight[OC,C], dBias[OC] from dOut[B,OC].
/// Pass nil for a gradient that is not needed (e.g. dInp of the first layer).
public func linearBackward(
    dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows B: Int, inFeatures C: Int, outFeatures OC: Int
) {
    if let dInp {
        // dInp[B,C] += dOut[B,OC] · weight[OC,C]
        gemm(m: B, n: C, k: OC, a: dOut, lda: OC, b: weight, ldb: C, beta: 1, c: dInp, ldc: C)
    }
    if let dWeight {
        // dWeight[OC,C] += dOut[B,OC]ᵀ · inp[B,C]
        gemm(transposeA: true, m: OC, n: C, k: B, a: dOut, lda: OC, b: inp, ldb: C, beta: 1, c: dWeight, ldc: C)
    }
    if let dBias {
        for b in 0..<B {
            let row = dOut + b * OC
            for o in 0..<OC { dBias[o] += row[o] }
        }
    }
}
