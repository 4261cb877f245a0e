// Multi-head scaled dot-product self-attention core, as in the hyper-representation paper's
// official code (GHRP def_transformers.py `attention` / `MultiHeadAttention`): the q, k, v
// projections and the output projection are ordinary linears (linearForward) done by the caller;
// this file does, for every sample and head, softmax(Q Kᵀ / √hs) V, with optional dropout on the
// attention weights (the official code applies nn.Dropout to the softmax scores).
//
// Size legend:  B = batch, T = sequence length, C = model width, H = heads, hs = C / H.
// q, k, v, out are [B,T,C] with head h occupying columns h·hs ..< (h+1)·hs (PyTorch's
// `.view(bs, -1, h, d_k).transpose(1, 2)`), so heads are read in place with leading dimension C.
// Conventions as in Linear.swift: outputs first, backward accumulates, no allocation.

/// out[B,T,C] = concat_h softmax(q_h k_hᵀ / √hs) v_h.
///
/// - Parameters:
///   - out: [B,T,C] attention output (before the output projection).
///   - att: [B,H,T,T] the softmax probabilities, saved for backward.
///   - attDropped: [B,H,T,T] att ⊙ dropMask, written only when `dropMask` is given.
///   - q, k, v: [B,T,C] projected queries, keys, values.
///   - dropMask: [B,H,T,T] with entries 0 or 1/(1−p), or nil for no dropout (eval mode).
public func attentionForward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, attDropped: UnsafeMutablePointer<Float>?,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    dropMask: UnsafePointer<Float>?,
    batch B: Int, sequence T: Int, channels C: Int, heads H: Int
) {
    precondition(C % H == 0, "attention: \(C) channels do not split into \(H) heads")
    let hs = C / H
    let scale = 1 / Float(hs).squareRoot()
    for b in 0..<B {
        for h in 0..<H {
            let base = b * T * C + h * hs
            let p = att + (b * H + h) * T * T
            // p[T,T] = scale · q_h[T,hs] · k_h[T,hs]ᵀ
            gemm(transposeB: true, m: T, n: T, k: hs, alpha: scale,
                 a: q + base, lda: C, b: k + base, ldb: C, c: p, ldc: T)
            softmaxForward(out: p, inp: p, rows: T, columns: T)
            var used = UnsafePointer(p)
            if let dropMask, let attDropped {
                let pd = attDropped + (b * H + h) * T * T
                let m = dropMask + (b * H + h) * T * T
                for i in 0..<(T * T) { pd[i] = p[i] * m[i] }
                used = UnsafePointer(pd)
            }
            // out_h[T,hs] = used[T,T] · v_h[T,hs]
            gemm(m: T, n: hs, k: T, a: used, lda: T, b: v + base, ldb: C, c: out + base, ldc: C)
        }
    }
}

/// Backward of `attentionForward`: accumulates dq, dk, dv [B,T,C] from dOut [B,T,C].
///
/// - Parameters:
///   - scratch: [T·T] workspace (overwritten).
///   - att, attDropped, dropMask: as saved and used by the forward pass.
public func attentionBackward(
    dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    att: UnsafePointer<Float>, attDropped: UnsafePointer<Float>?, dropMask: UnsafePointer<Float>?,
    batch B: Int, sequence T: Int, channels C: Int, heads H: Int
) {
    let hs = C / H
    let scale = 1 / Float(hs).squareRoot()
    for b in 0..<B {
        for h in 0..<H {
            let base = b * T * C + h * hs
            let p = att + (b * H + h) * T * T
            var used = p
            if dropMask != nil, let attDropped { used = attDropped + (b * H + h) * T * T }
            // dUsed[T,T] = dOut_h[T,hs] · v_hᵀ
            gemm(transposeB: true, m: T, n: T, k: hs, a: dOut + base, lda: C, b: v + base, ldb: C,
                 c: scratch, ldc: T)
            // dv_h[T,hs] += usedᵀ · dOut_h
            gemm(transposeA: true, m: T, n: hs, k: T, a: used, lda: T, b: dOut + base, ldb: C,
                 beta: 1, c: dv + base, ldc: C)
            if let dropMask {
                let m = dropMask + (b * H + h) * T * T
                for i in 0..<(T * T) { scratch[i] *= m[i] }
            }
            // through the softmax, in place: dScores = p ⊙ (dP − rowdot(p, dP))
            softmaxBackward(dInp: scratch, dOut: scratch, out: p, rows: T, columns: T, accumulate: false)
            // dq_h += scale · dScores · k_h ; dk_h += scale · dScoresᵀ · q_h
            gemm(m: T, n: hs, k: T, alpha: scale, a: scratch, lda: T, b: k + base, ldb: C,
                 beta: 1, c: dq + base, ldc: C)
            gemm(transposeA: true, m: T, n: hs, k: T, alpha: scale, a: scratch, lda: T, b: q + base, ldb: C,
                 beta: 1, c: dk + base, ldc: C)
        }
    }
}
