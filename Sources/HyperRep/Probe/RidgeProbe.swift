// Linear probes in closed form, as GHRP's DownstreamTaskLearner fits them: ridge regression
// (XᵀX + λI)β = XᵀY for every λ of a grid, λ picked by the validation score. Categorical
// properties use the same solve on one-hot targets and predict the arg-max (a ridge classifier,
// closed form like the regression; GHRP trains a softmax layer instead).
//
// Differences from GHRP, on purpose: features are standardised on the training rows and the
// intercept is the training mean (not a penalised column of ones), so λ means the same for
// latents, raw weights and statistics. When there are fewer training rows than features (raw
// weights), the same β comes from the N×N dual system, β = Xᵀ(XXᵀ + λI)⁻¹Y.
//
// Size legend: N = training rows, D = features, K = target columns (1, or the class count),
//              M = the Gram matrix's order, min(N, D).

/// A ridge fit of targets [N, K] on standardised features [N, D].
public struct RidgeModel: Sendable {
    /// β [D, K].
    public let coefficients: [Double]
    /// The training targets' mean [K], added to every prediction.
    public let intercept: [Double]
    public let regularization: Double

    /// Predictions [rows, K] of standardised features.
    public func predict(_ x: ProbeMatrix) -> ProbeMatrix {
        let k = intercept.count, d = x.columns
        var out = [Double](repeating: 0, count: x.rows * k)
        for r in 0..<x.rows {
            for j in 0..<k {
                var s = intercept[j]
                for c in 0..<d { s += x.values[r * d + c] * coefficients[c * k + j] }
                out[r * k + j] = s
            }
        }
        return ProbeMatrix(rows: x.rows, columns: k, values: out)
    }
}

/// Solves the ridge system for many λ from one Gram matrix.
public struct RidgeSolver: Sendable {
    /// GHRP's grid (1e3 … 1e-5, steps of ~√10), strongest first: ties in the validation score go
    /// to the stronger penalty.
    public static let regularizations: [Double] = [1e3, 3e2, 1e2, 3e1, 1e1, 3e0, 1e0, 3e-1, 1e-1, 3e-2, 1e-2,
                                                   3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5]

    private let x: ProbeMatrix
    private let centred: ProbeMatrix
    private let mean: [Double]
    private let dual: Bool
    /// XᵀX [D, D] (primal) or XXᵀ [N, N] (dual).
    private let gram: [Double]
    /// XᵀY [D, K] (primal); the centred Y [N, K] (dual).
    private let right: [Double]

    /// Prepares the solve of targets `y` [N, K] on standardised features `x` [N, D].
    public init(x: ProbeMatrix, y: ProbeMatrix) {
        precondition(x.rows == y.rows && x.rows > 0, "RidgeSolver: \(x.rows) feature rows, \(y.rows) target rows")
        let n = x.rows, d = x.columns, k = y.columns
        var mean = [Double](repeating: 0, count: k)
        for r in 0..<n { for j in 0..<k { mean[j] += y[r, j] } }
        for j in 0..<k { mean[j] /= Double(n) }
        var yc = y.values
        for r in 0..<n { for j in 0..<k { yc[r * k + j] -= mean[j] } }
        self.x = x
        self.mean = mean
        centred = ProbeMatrix(rows: n, columns: k, values: yc)
        dual = n < d
        if dual {
            var g = [Double](repeating: 0, count: n * n)
            for a in 0..<n {
                for b in a..<n {
                    var s = 0.0
                    for c in 0..<d { s += x.values[a * d + c] * x.values[b * d + c] }
                    g[a * n + b] = s; g[b * n + a] = s
                }
            }
            gram = g
            right = yc
        } else {
            var g = [Double](repeating: 0, count: d * d)
            var xy = [Double](repeating: 0, count: d * k)
            for r in 0..<n {
                let row = r * d
                for a in 0..<d {
                    let xa = x.values[row + a]
                    if xa == 0 { continue }
                    for b in a..<d { g[a * d + b] += xa * x.values[row + b] }
                    for j in 0..<k { xy[a * k + j] += xa * yc[r * k + j] }
                }
            }
            for a in 0..<d { for b in 0..<a { g[a * d + b] = g[b * d + a] } }
            gram = g
            right = xy
        }
    }

    /// The fit with penalty `lambda` (> 0, so the system is positive definite).
    public func fit(lambda: Double) -> RidgeModel {
        precondition(lambda > 0, "ridge penalty must be positive")
        let k = mean.count, d = x.columns
        let m = dual ? x.rows : d
        var a = gram
        for i in 0..<m { a[i * m + i] += lambda }
        let solution = choleskySolve(a, order: m, right: right, columns: k)
        guard dual else { return RidgeModel(coefficients: solution, intercept: mean, regularization: lambda) }
        // β = Xᵀ α.
        var beta = [Double](repeating: 0, count: d * k)
        for r in 0..<x.rows {
            for c in 0..<d {
                let xv = x.values[r * d + c]
                for j in 0..<k { beta[c * k + j] += xv * solution[r * k + j] }
            }
        }
        return RidgeModel(coefficients: beta, intercept: mean, regularization: lambda)
    }
}

/// Solves A X = B for symmetric positive definite A [M, M] and B [M, K] (Cholesky, A = LLᵀ).
func choleskySolve(_ matrix: [Double], order m: Int, right: [Double], columns k: Int) -> [Double] {
    var l = matrix
    for j in 0..<m {
        var diagonal = l[j * m + j]
        for p in 0..<j { diagonal -= l[j * m + p] * l[j * m + p] }
        // λ > 0 keeps the pivot positive; rounding cannot make it vanish for the grid's λ.
        let pivot = max(diagonal, .leastNormalMagnitude).squareRoot()
        l[j * m + j] = pivot
        for i in (j + 1)..<max(m, j + 1) {
            var s = l[i * m + j]
            for p in 0..<j { s -= l[i * m + p] * l[j * m + p] }
            l[i * m + j] = s / pivot
        }
    }
    var x = right
    for col in 0..<k {
        // L z = b, then Lᵀ x = z.
        for i in 0..<m {
            var s = x[i * k + col]
            for p in 0..<i { s -= l[i * m + p] * x[p * k + col] }
            x[i * k + col] = s / l[i * m + i]
        }
        for i in stride(from: m - 1, through: 0, by: -1) {
            var s = x[i * k + col]
            for p in (i + 1)..<max(m, i + 1) { s -= l[p * m + i] * x[p * k + col] }
            x[i * k + col] = s / l[i * m + i]
        }
    }
    return x
}
