// Row-wise softmax (https://pytorch.org/docs/stable/generated/torch.nn.Softmax.html, dim = -1).
//
// Size legend:  R = rows, N = entries per row (classes, or keys of an attention row).
// Conventions as in Linear.swift. Both functions work in place (out may alias inp, dInp dOut).

/// out[R,N] = exp(inp − max) / Σ exp(inp − max), row by row (max subtracted for stability).
public func softmaxForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows R: Int, columns N: Int
) {
    for r in 0..<R {
        let x = inp + r * N, y = out + r * N
        var mx = -Float.infinity
        for j in 0..<N where x[j] > mx { mx = x[j] }
        var sum: Float = 0
        for j in 0..<N { let e = expf(x[j] - mx); y[j] = e; sum += e }
        let inv = 1 / sum
        for j in 0..<N { y[j] *= inv }
    }
}

/// Backward of `softmaxForward`: dInp[R,N] (+)= out ⊙ (dOut − Σ_j out_j dOut_j).
///
/// Accumulates by default (the kernel convention); `accumulate: false` overwrites instead, which
/// lets attention run it in place on its scratch buffer (dInp aliasing dOut).
public func softmaxBackward(
    dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, out: UnsafePointer<Float>,
    rows R: Int, columns N: Int, accumulate: Bool = true
) {
    for r in 0..<R {
        let y = out + r * N, dy = dOut + r * N, dx = dInp + r * N
        var dot: Float = 0
        for j in 0..<N { dot += y[j] * dy[j] }
        if accumulate {
            for j in 0..<N { dx[j] += y[j] * (dy[j] - dot) }
        } else {
            for j in 0..<N { dx[j] = y[j] * (dy[j] - dot) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
