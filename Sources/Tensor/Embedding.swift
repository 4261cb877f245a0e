// Embeddings: learned absolute positions added to a token sequence (nn.Embedding(T, C) indexed by
// arange(T), as the hyper-representation encoder and decoder use it), and a lookup table by id
// (https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html).
//
// Size legend:  B = batch, T = sequence length, C = width, V = table rows.
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

/// out[R,C] = table[ids[r], :] for each of the R ids.
public func embeddingForward(
    out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, table: UnsafePointer<Float>,
    rows R: Int, channels C: Int
) {
    for r in 0..<R { (out + r * C).update(from: table + Int(ids[r]) * C, count: C) }
}

/// Backward of `embeddingForward`: dTable[ids[r], :] += dOut[r, :].
public func embeddingBackward(
    dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
    rows R: Int, channels C: Int
) {
    for r in 0..<R {
        let d = dTable + Int(ids[r]) * C, g = dOut + r * C
        for c in 0..<C { d[c] += g[c] }
    }
}
