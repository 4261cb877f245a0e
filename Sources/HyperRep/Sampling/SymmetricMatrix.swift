// Dense linear algebra the samplers need, in Double and pure Swift: Cholesky factors for the
// Gaussian and joint-KDE kernels, and a symmetric eigendecomposition for the PCA map of S_Neigh.
// Matrices are small (D × D with D the latent size, tens to a few hundred), so clarity wins
// over blocking.
//
// Sizes: D = matrix order. All matrices are row-major [D * D].

/// Lower-triangular Cholesky factor L of a symmetric positive (semi-)definite matrix, A ≈ L·Lᵀ.
///
/// Covariances of few anchors in many dimensions are singular (rank ≤ N − 1), so when the plain
/// factorisation fails a ridge `λ·I` is added, with λ starting at 1e-10 × mean diagonal and
/// growing tenfold until it succeeds. The ridge actually used is returned so it can be reported.
///
/// - Parameters:
///   - matrix: A `[order * order]`, symmetric.
///   - order: D.
/// - Returns: L `[order * order]` (upper triangle zero) and the ridge added (0 when none).
/// - Complexity: O(D³) per attempt.
public func choleskyWithRidge(_ matrix: [Double], order d: Int) -> (factor: [Double], ridge: Double) {
    precondition(matrix.count == d * d)
    if let l = cholesky(matrix, order: d) { return (l, 0) }
    var meanDiagonal = 0.0
    for i in 0..<d { meanDiagonal += matrix[i * d + i] }
    meanDiagonal = max(meanDiagonal / Double(max(d, 1)), 1e-30)
    var ridge = 1e-10 * meanDiagonal
    while true {
        var a = matrix
        for i in 0..<d { a[i * d + i] += ridge }
        if let l = cholesky(a, order: d) { return (l, ridge) }
        ridge *= 10
    }
}

/// Plain Cholesky–Banachiewicz factorisation; nil when a pivot is not positive.
///
/// - Parameters:
///   - matrix: A `[order * order]`, symmetric positive definite.
///   - order: D.
public func cholesky(_ matrix: [Double], order d: Int) -> [Double]? {
    var l = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for j in 0...i {
            var s = matrix[i * d + j]
            for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
            if i == j {
                guard s > 0, s.isFinite else { return nil }
                l[i * d + i] = s.squareRoot()
            } else {
                l[i * d + j] = s / l[j * d + j]
            }
        }
    }
    return l
}

/// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations.
///
/// - Parameters:
///   - matrix: A `[order * order]`, symmetric.
///   - order: D.
/// - Returns: eigenvalues `[D]` in descending order and eigenvectors `[D * D]` stored as
///   columns (column k, i.e. `vectors[i * D + k]` for i in 0..<D, belongs to `values[k]`).
/// - Complexity: O(D³) per sweep; converges in well under 20 sweeps for these sizes.
public func symmetricEigen(_ matrix: [Double], order d: Int) -> (values: [Double], vectors: [Double]) {
    precondition(matrix.count == d * d)
    var a = matrix
    var v = [Double](repeating: 0, count: d * d)
    for i in 0..<d { v[i * d + i] = 1 }
    var scale = 0.0
    for x in a { scale = max(scale, abs(x)) }
    let tolerance = 1e-15 * max(scale, 1e-300)
    for _ in 0..<60 {
        var off = 0.0
        for p in 0..<d { for q in (p + 1)..<max(p + 1, d) { off = max(off, abs(a[p * d + q])) } }
        if off <= tolerance { break }
        for p in 0..<d {
            for q in (p + 1)..<max(p + 1, d) {
                let apq = a[p * d + q]
                if abs(apq) <= tolerance { continue }
                // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur).
                let theta = (a[q * d + q] - a[p * d + p]) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot()
                let s = t * c
                for k in 0..<d {
                    let akp = a[k * d + p], akq = a[k * d + q]
                    a[k * d + p] = c * akp - s * akq
                    a[k * d + q] = s * akp + c * akq
                }
                for k in 0..<d {
                    let apk = a[p * d + k], aqk = a[q * d + k]
                    a[p * d + k] = c * apk - s * aqk
                    a[q * d + k] = s * apk + c * aqk
                }
                for k in 0..<d {
                    let vkp = v[k * d + p], vkq = v[k * d + q]
                    v[k * d + p] = c * vkp - s * vkq
                    v[k * d + q] = s * vkp + c * vkq
                }
            }
        }
    }
    let order = (0..<d).sorted { a[$0 * d + $0] > a[$1 * d + $1] }
    let values = order.map { a[$0 * d + $0] }
    var vectors = [Double](repeating: 0, count: d * d)
    for (k, src) in order.enumerated() {
        for i in 0..<d { vectors[i * d + k] = v[i * d + src] }
    }
    return (values, vectors)
}
