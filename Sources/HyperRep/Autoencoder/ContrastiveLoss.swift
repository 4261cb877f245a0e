// NT-Xent (normalised temperature-scaled cross entropy, SimCLR; GHRP `NT_Xent`): for 2B
// projections where rows i and i±B are the two views of one model, cosine similarities over τ
// are the logits, the other view is the positive class and the remaining 2B−2 rows negatives;
// the loss is CrossEntropy(reduction = sum) / 2B.
//
// Size legend: N = 2B rows, O = projection width.
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// NT-Xent loss of projections p [N,O] (N even; row i's positive is row (i + N/2) mod N).
/// Writes dP [N,O] (overwritten, not accumulated) and returns the loss.
/// - Parameter scratch: [N·N + N·O + N] workspace.
public func ntXentLoss(dP: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                       rows N: Int, width O: Int, temperature tau: Float) -> Float {
    precondition(N % 2 == 0 && N >= 4, "NT-Xent needs an even number (≥ 4) of rows, got \(N)")
    let half = N / 2
    let sim = scratch, u = scratch + N * N, norms = scratch + N * N + N * O
    for i in 0..<N {
        var s: Float = 0
        for o in 0..<O { s += p[i * O + o] * p[i * O + o] }
        let n = max(s.squareRoot(), 1e-8)
        norms[i] = n
        for o in 0..<O { u[i * O + o] = p[i * O + o] / n }
    }
    // sim[N,N] = u uᵀ / τ
    gemm(transposeB: true, m: N, n: N, k: O, alpha: 1 / tau, a: u, lda: O, b: u, ldb: O, c: sim, ldc: N)
    var loss: Double = 0
    // Row-wise softmax over j ≠ i, turned into dLoss/dsim in place.
    for i in 0..<N {
        let row = sim + i * N, pos = (i + half) % N
        var mx = -Float.infinity
        for j in 0..<N where j != i && row[j] > mx { mx = row[j] }
        var sum: Double = 0
        for j in 0..<N where j != i { sum += Double(expf(row[j] - mx)) }
        loss += (Double(mx) + log(sum)) - Double(row[pos])
        let inv = Float(1 / sum)
        for j in 0..<N {
            if j == i { row[j] = 0; continue }
            let soft = expf(row[j] - mx) * inv
            row[j] = (soft - (j == pos ? 1 : 0)) / Float(N)
        }
    }
    // dU = (dS + dSᵀ) U / τ, written into dP, then through the normalisation.
    gemm(m: N, n: O, k: N, alpha: 1 / tau, a: sim, lda: N, b: u, ldb: O, c: dP, ldc: O)
    gemm(transposeA: true, m: N, n: O, k: N, alpha: 1 / tau, a: sim, lda: N, b: u, ldb: O, beta: 1, c: dP, ldc: O)
    for i in 0..<N {
        var d: Float = 0
        for o in 0..<O { d += u[i * O + o] * dP[i * O + o] }
        for o in 0..<O { dP[i * O + o] = (dP[i * O + o] - u[i * O + o] * d) / norms[i] }
    }
    return Float(loss / Double(N))
}

import Tensor
