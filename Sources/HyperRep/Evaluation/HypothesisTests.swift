// Two-sample tests for comparing the accuracies of two populations (e.g. a sampled population
// against B_T or B_F at one fine-tuning epoch): Welch's t-test (means, unequal variances),
// the Mann–Whitney U test (ranks; robust to the skewed, tied accuracies of collapsed populations),
// a percentile-bootstrap interval of the difference of means, and Holm's step-down adjustment for
// the many comparisons a report makes. Conventions follow scipy.stats so the numbers can be
// checked against it: `ttest_ind(a, b, equal_var=False)` and
// `mannwhitneyu(a, b, method="asymptotic")` (tie correction and continuity correction on).
//
// Sizes: n = values in a, m = values in b.

import Foundation
import Tensor

/// Welch's unequal-variance t-test of mean(a) = mean(b), two-sided.
public struct WelchTTest: Codable, Sendable, Equatable {
    /// t = (mean(a) − mean(b)) / √(s²a/n + s²b/m); ±∞ when both variances are 0 and the means differ.
    public var statistic: Double
    /// Welch–Satterthwaite degrees of freedom.
    public var degreesOfFreedom: Double
    /// Two-sided p-value; NaN when undefined (fewer than 2 values in a group, or equal constant groups).
    public var pValue: Double

    /// - Parameters: a `[n]`, b `[m]` (NaNs dropped).
    public init(_ a: [Double], _ b: [Double]) {
        let a = a.filter { !$0.isNaN }, b = b.filter { !$0.isNaN }
        guard a.count >= 2, b.count >= 2 else {
            statistic = .nan; degreesOfFreedom = .nan; pValue = .nan
            return
        }
        let n = Double(a.count), m = Double(b.count)
        let va = standardDeviationOf(a) * standardDeviationOf(a) / n
        let vb = standardDeviationOf(b) * standardDeviationOf(b) / m
        let difference = meanOf(a) - meanOf(b)
        let standardError = (va + vb).squareRoot()
        statistic = difference / standardError
        degreesOfFreedom = (va + vb) * (va + vb) / (va * va / (n - 1) + vb * vb / (m - 1))
        if statistic.isNaN {
            pValue = .nan
        } else if statistic.isInfinite {
            pValue = 0
        } else {
            pValue = studentTTwoSidedP(statistic, degreesOfFreedom: degreesOfFreedom)
        }
    }
}

/// The Mann–Whitney U test of "a and b come from the same distribution", two-sided, with the
/// normal approximation (tie-corrected variance, continuity correction), as scipy's
/// `mannwhitneyu(a, b, method="asymptotic")`.
public struct MannWhitneyUTest: Codable, Sendable, Equatable {
    /// U of the first sample: pairs (x in a, y in b) with x > y, plus half the ties.
    public var statistic: Double
    /// The standard normal deviate of the larger U (continuity-corrected); 0 when all values tie.
    public var z: Double
    /// Two-sided p-value, at most 1 (1 when every value ties).
    public var pValue: Double
    /// P(x > y) + P(x = y)/2 = U / (n·m): 0.5 means no shift (the common-language effect size).
    public var probabilityOfSuperiority: Double

    /// - Parameters: a `[n]`, b `[m]` (NaNs dropped).
    public init(_ a: [Double], _ b: [Double]) {
        let a = a.filter { !$0.isNaN }, b = b.filter { !$0.isNaN }
        guard !a.isEmpty, !b.isEmpty else {
            statistic = .nan; z = .nan; pValue = .nan; probabilityOfSuperiority = .nan
            return
        }
        let (ranks, tieTerm) = averageRanks(a + b)
        let n = Double(a.count), m = Double(b.count), total = n + m
        let rankSumA = ranks.prefix(a.count).reduce(0, +)
        let u1 = rankSumA - n * (n + 1) / 2
        statistic = u1
        probabilityOfSuperiority = u1 / (n * m)
        let mean = n * m / 2
        let variance = n * m / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        let u = max(u1, n * m - u1)
        if variance <= 0 {
            z = 0; pValue = 1
        } else {
            z = (u - mean - 0.5) / variance.squareRoot()
            pValue = min(1, 2 * standardNormalSurvival(z))
        }
    }
}

/// Percentile-bootstrap interval of mean(a) − mean(b): each resample draws n values from a and m
/// from b with replacement (stream (seed, purpose, index) per resample), so the interval is a pure
/// function of its arguments.
public func bootstrapDifferenceOfMeans(_ a: [Double], _ b: [Double], resamples: Int = 1000, level: Double = 0.95,
                                       seed: UInt64, purpose: String = "bootstrap.difference") -> ConfidenceInterval {
    let a = a.filter { !$0.isNaN }, b = b.filter { !$0.isNaN }
    guard !a.isEmpty, !b.isEmpty, resamples > 0 else { return ConfidenceInterval(low: .nan, high: .nan, level: level) }
    var differences = [Double]()
    differences.reserveCapacity(resamples)
    for r in 0..<resamples {
        var stream = RandomStream(seed: seed, purpose: purpose, index: UInt64(r))
        var sumA = 0.0, sumB = 0.0
        for _ in 0..<a.count { sumA += a[stream.nextInt(below: a.count)] }
        for _ in 0..<b.count { sumB += b[stream.nextInt(below: b.count)] }
        differences.append(sumA / Double(a.count) - sumB / Double(b.count))
    }
    differences.sort()
    let alpha = (1 - level) / 2
    return ConfidenceInterval(low: quantile(sorted: differences, alpha), high: quantile(sorted: differences, 1 - alpha), level: level)
}

/// Holm's step-down adjustment of p-values for a family of tests (controls the family-wise error
/// rate without assuming independence). NaNs stay NaN and are not counted in the family.
///
/// - Returns: adjusted p-values in the input order, each at most 1.
public func holmAdjusted(_ pValues: [Double]) -> [Double] {
    let valid = pValues.indices.filter { !pValues[$0].isNaN }.sorted { pValues[$0] < pValues[$1] }
    var adjusted = pValues
    var running = 0.0
    for (rank, i) in valid.enumerated() {
        running = max(running, min(1, Double(valid.count - rank) * pValues[i]))
        adjusted[i] = running
    }
    return adjusted
}

/// Ranks 1...N of `values` with ties given their average rank, and Σ(t³ − t) over tie groups.
func averageRanks(_ values: [Double]) -> (ranks: [Double], tieTerm: Double) {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var tieTerm = 0.0
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
        let average = Double(start + end + 1) / 2   // ranks start+1 ... end
        for k in start..<end { ranks[order[k]] = average }
        let t = Double(end - start)
        tieTerm += t * t * t - t
        start = end
    }
    return (ranks, tieTerm)
}

/// P(|T| ≥ |t|) for Student's t with ν degrees of freedom: I_{ν/(ν+t²)}(ν/2, 1/2).
func studentTTwoSidedP(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    guard nu > 0, t.isFinite else { return .nan }
    return regularizedIncompleteBeta(a: nu / 2, b: 0.5, x: nu / (nu + t * t))
}

/// P(Z > z) for a standard normal Z.
func standardNormalSurvival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (evaluated with
/// the modified Lentz method), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction
/// converges slowly. Accurate to ~1e-14 for the a, b of t-tests.
func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
    let logPowers: Double = a * log(x) + b * log(1 - x)
    let logFront = logPowers - logBeta
    if x < (a + 1) / (a + b + 2) {
        return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
    }
    return 1 - exp(logFront) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
}

/// The continued fraction 1/(1+ d1/(1+ d2/(1+ ...))) of the incomplete beta function, with
/// d_{2k+1} = −(a+k)(a+b+k)x / ((a+2k)(a+2k+1)) and d_{2k} = k(b−k)x / ((a+2k−1)(a+2k)).
private func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
    let tiny = 1e-300, epsilon = 1e-15
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var result = d
    for k in 1...500 {
        let kk = Double(k)
        // Even step.
        var term = kk * (b - kk) * x / ((a + 2 * kk - 1) * (a + 2 * kk))
        d = 1 + term * d; if abs(d) < tiny { d = tiny }
        c = 1 + term / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        result *= d * c
        // Odd step.
        term = -(a + kk) * (a + b + kk) * x / ((a + 2 * kk) * (a + 2 * kk + 1))
        d = 1 + term * d; if abs(d) < tiny { d = tiny }
        c = 1 + term / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        result *= delta
        if abs(delta - 1) < epsilon { break }
    }
    return result
}
