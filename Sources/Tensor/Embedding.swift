// Embeddings: learned absolute positions added to a token sequence (nn.Embedding(T, C) indexed by
// arange(T), as the hyper-representation encoder and decoder use it). The AE embeds its tokens
// with per-layer Linear layers, so no lookup by id is needed.
//
// Size legend:  B = batch, T = sequence length, C = width.
// Conventions as in Linear.swift.

/// out[B,T,C] = inp[B,T,C] + positions[T,C] (out may alias inp).
public func addPositionsForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, positions: UnsafePointer<Float>,
    batch B: Int, sequence T: Int, channels C: Int
) {
    let n = T * C
    for b in 0..<B {
        let x = inp + b * n, y = out + b * n
        for i in 0..<n { y[i] = x[i] + positions[i] }
    }
}

/// Backward of `addPositionsForward`: dPositions[T,C] += Σ_b dOut[b]; dInp[B,T,C] += dOut if given.
public func addPositionsBackward(
    dInp: UnsafeMutablePointer<Float>?, dPositions: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, batch B: Int, sequence T: Int, channels C: Int
) {
    let n = T * C
    for b in 0..<B {
        let dy = dOut + b * n
        for i in 0..<n { dPositions[i] += dy[i] }
        if let dInp {
            let dx = dInp + b * n
            for i in 0..<n { dx[i] += dy[i] }
        }
    }
}
