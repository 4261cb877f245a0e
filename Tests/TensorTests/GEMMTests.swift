import Testing
import TestSupport
@testable import Tensor

@Suite struct GEMMTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesTheNaiveReference(transposeA: Bool, transposeB: Bool) {
        let m = 7, n = 5, k = 9
        var r = RandomStream(seed: 3, purpose: "gemm")
        let a = (0..<(m * k)).map { _ in r.nextNormal() }
        let b = (0..<(k * n)).map { _ in r.nextNormal() }
        var c1 = (0..<(m * n)).map { _ in r.nextNormal() }
        var c2 = c1
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
             a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &c1, ldc: n)
        gemmReference(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                      a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &c2, ldc: n)
        #expect(compareFloats(c1, c2, relative: 1e-5, absolute: 1e-5) == nil)
    }
}
