// Statistics of one population at one epoch, as the paper's evaluation reports them
// (GHRP `compute_statistics`): mean, standard deviation, median, the quantiles
// [0, .05, .3, .5, .7, .95, 1], and bootstrap 95% confidence intervals of mean and median.
// Bootstraps are seeded (RandomStream) so a report is reproducible bit for bit.

import Tensor

/// A two-sided confidence interval.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var low: Double
    public var high: Double
    /// Coverage, e.g. 0.95.
    public var level: Double
}

/// Summary statistics of a sample of values (e.g. the test accuracies of a population).
public struct SummaryStatistics: Codable, Sendable, Equatable {
    /// The quantile levels reported, as in the paper's code.
    public static let quantileLevels: [Double] = [0, 0.05, 0.3, 0.5, 0.7, 0.95, 1]

    public var count: Int
    public var mean: Double
    /// Sample standard deviation (divisor n − 1, as pandas); 0 for one value.
    public var standardDeviation: Double
    public var median: Double
    /// Values at ``quantileLevels`` (linear interpolation).
    public var quantiles: [Double]
    /// Percentile-bootstrap interval of the mean.
    public var meanInterval: ConfidenceInterval
    /// Percentile-bootstrap interval of the median.
    public var medianInterval: ConfidenceInterval
    /// Bootstrap resamples and seed used for the intervals.
    public var bootstrapResamples: Int
    public var bootstrapSeed: UInt64

    /// Summarises `values` (NaNs are dropped; they are counted by the caller if they matter).
    ///
    /// - Parameters:
    ///   - resamples: bootstrap resamples B.
    ///   - level: interval coverage.
    /// - Complexity: O(B · n log n).
    public init(_ values: [Double], resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
        let v = values.filter { !$0.isNaN }
        count = v.count
        bootstrapResamples = resamples
        bootstrapSeed = seed
        guard !v.isEmpty else {
            mean = .nan; standardDeviation = .nan; median = .nan
            quantiles = Self.quantileLevels.map { _ in .nan }
            meanInterval = ConfidenceInterval(low: .nan, high: .nan, level: level)
            medianInterval = meanInterval
            return
        }
        let sorted = v.sorted()
        mean = meanOf(v)
        standardDeviation = standardDeviationOf(v)
        median = quantile(sorted: sorted, 0.5)
        quantiles = Self.quantileLevels.map { quantile(sorted: sorted, $0) }
        meanInterval = bootstrapInterval(v, resamples: resamples, level: level, seed: seed, purpose: "bootstrap.mean", statistic: meanOf)
        medianInterval = bootstrapInterval(v, resamples: resamples, level: level, seed: seed, purpose: "bootstrap.median") {
            quantile(sorted: $0.sorted(), 0.5)
        }
    }

    /// Summarises Float values.
    public init(_ values: [Float], resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
        self.init(values.map(Double.init), resamples: resamples, level: level, seed: seed)
    }
}

/// Arithmetic mean (NaN for no values).
public func meanOf(_ v: [Double]) -> Double {
    v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
}

/// Sample standard deviation with divisor n − 1 (0 for one value, NaN for none).
public func standardDeviationOf(_ v: [Double]) -> Double {
    guard v.count > 1 else { return v.isEmpty ? .nan : 0 }
    let m = meanOf(v)
    return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
}

/// Percentile bootstrap: resample `values` with replacement B times, apply `statistic`, and take
/// the (1−level)/2 and (1+level)/2 quantiles of the B results. Resample b uses the stream
/// (seed, purpose, b), so the interval is a pure function of its arguments.
public func bootstrapInterval(_ values: [Double], resamples: Int = 1000, level: Double = 0.95,
                              seed: UInt64, purpose: String = "bootstrap",
                              statistic: ([Double]) -> Double) -> ConfidenceInterval {
    precondition(!values.isEmpty && resamples > 0)
    var results = [Double]()
    results.reserveCapacity(resamples)
    var draw = [Double](repeating: 0, count: values.count)
    for b in 0..<resamples {
        var stream = RandomStream(seed: seed, purpose: purpose, index: UInt64(b))
        for i in 0..<values.count { draw[i] = values[stream.nextInt(below: values.count)] }
        results.append(statistic(draw))
    }
    results.sort()
    let alpha = (1 - level) / 2
    return ConfidenceInterval(low: quantile(sorted: results, alpha), high: quantile(sorted: results, 1 - alpha), level: level)
}
