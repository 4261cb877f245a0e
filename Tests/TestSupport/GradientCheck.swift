// Finite-difference gradient checks in Float64 for the compute core's backward functions.
//
// Kernels are Float32; the check evaluates a scalar loss L(x) = Σ forward(x) ⊙ probe through a
// Double-precision closure supplied by the test (the same maths as the kernel, in Double) and
// compares the kernel's analytic gradient with central differences of that closure.

/// Central-difference gradient of `f` at `x` (Double precision), step `h`.
public func numericalGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.count)
    var xp = x
    for i in 0..<x.count {
        let orig = xp[i]
        xp[i] = orig + h; let fp = f(xp)
        xp[i] = orig - h; let fm = f(xp)
        xp[i] = orig
        g[i] = (fp - fm) / (2 * h)
    }
    return g
}

/// Max relative error between analytic and numerical gradients: |a-n| / max(|a|+|n|, floor).
public func maxRelativeError(_ analytic: [Float], _ numerical: [Double], floor: Double = 1e-3) -> Double {
    precondition(analytic.count == numerical.count)
    var worst = 0.0
    for i in 0..<analytic.count {
        let a = Double(analytic[i]), n = numerical[i]
        worst = max(worst, abs(a - n) / max(abs(a) + abs(n), floor))
    }
    return worst
}
