// Matrix products for the compute core: every GEMM in hyperzoo goes through `gemm`, which hands
// row-major operands to OpenBLAS's cblas_sgemm. A naive reference (`gemmReference`) stays beside
// it as documentation and as the oracle of the tests.
import CBLAS

/// C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, all row-major.
///
/// - Parameters:
///   - transposeA: use Aᵀ; A is then stored [k, m] with leading dimension `lda` ≥ m.
///   - transposeB: use Bᵀ; B is then stored [n, k] with leading dimension `ldb` ≥ k.
///   - c: output [m, n] with leading dimension `ldc` ≥ n. With beta = 1 the product accumulates,
///     which is how backward passes add into gradients.
@inline(__always)
public func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The naive triple loop computing exactly what `gemm` computes (in Double accumulation).
public func gemmReference(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                s += Double(av) * Double(bv)
            }
            let prior = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(s) + prior
        }
    }
}

/// Sets the number of threads OpenBLAS uses for large products (1 inside per-model parallel loops).
public func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(max(1, n)))
}

/// The number of threads OpenBLAS currently uses.
public func blasThreads() -> Int { Int(openblas_get_num_threads()) }
