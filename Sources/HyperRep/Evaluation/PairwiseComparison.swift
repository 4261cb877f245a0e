// Pairwise comparisons of a report's populations: every sampled population against every
// baseline (B_T, B_F) at every fine-tuning epoch both have, in one experiment (in-distribution or
// one transfer). Each comparison carries the difference of mean accuracies with a bootstrap
// interval, Welch's t-test, the Mann–Whitney U test, and Holm-adjusted p-values over the
// experiment's family of comparisons (one family per test).

/// One sampled population against one baseline at one fine-tuning epoch.
public struct PairwiseComparison: Codable, Sendable, Equatable {
    /// "in-distribution" or "transfer <source> → <target>".
    public var experiment: String
    /// The sampled population (a) and the baseline (b).
    public var population: String
    public var baseline: String
    public var epoch: Int
    public var populationCount: Int
    public var baselineCount: Int
    /// mean(a) − mean(b) of test accuracy, in [−1, 1].
    public var meanDifference: Double
    /// Percentile-bootstrap interval of `meanDifference` (groups resampled independently).
    public var meanDifferenceInterval: ConfidenceInterval
    public var welch: WelchTTest
    public var mannWhitney: MannWhitneyUTest
    /// Holm-adjusted p-values within the experiment (per test).
    public var welchHolmP: Double
    public var mannWhitneyHolmP: Double

    /// Compares every population with role "sampled" or "control" (a noise control) against
    /// every population with role "baseline", at each epoch present in both; Holm adjustment over
    /// all comparisons returned.
    ///
    /// - Parameters:
    ///   - seed: run seed; each interval gets its own stream keyed by experiment, names and epoch.
    ///   - resamples: bootstrap resamples per interval.
    public static func compareSampledWithBaselines(_ populations: [PopulationResult], experiment: String,
                                                   seed: UInt64, resamples: Int = 1000) -> [PairwiseComparison] {
        var pairs: [(PopulationResult, PopulationResult)] = []
        for a in populations where a.role == "sampled" || a.role == "control" {
            for b in populations where b.role == "baseline" { pairs.append((a, b)) }
        }
        return compare(pairs, experiment: experiment, seed: seed, resamples: resamples)
    }

    /// Compares each pair (a, b) at each epoch both have (b plays the baseline); Holm adjustment
    /// over all comparisons returned.
    public static func compare(_ pairs: [(PopulationResult, PopulationResult)], experiment: String,
                               seed: UInt64, resamples: Int = 1000) -> [PairwiseComparison] {
        var out: [PairwiseComparison] = []
        for (a, b) in pairs {
            for ea in a.epochs {
                guard let eb = b.epochs.first(where: { $0.epoch == ea.epoch }) else { continue }
                let key = "difference.\(experiment).\(a.name).\(b.name)"
                let interval = bootstrapDifferenceOfMeans(ea.accuracies, eb.accuracies, resamples: resamples,
                                                          seed: PopulationEvaluator.bootstrapSeed(seed, name: key, epoch: ea.epoch))
                out.append(PairwiseComparison(
                    experiment: experiment, population: a.name, baseline: b.name, epoch: ea.epoch,
                    populationCount: ea.accuracies.filter { !$0.isNaN }.count, baselineCount: eb.accuracies.filter { !$0.isNaN }.count,
                    meanDifference: meanOf(ea.accuracies.filter { !$0.isNaN }) - meanOf(eb.accuracies.filter { !$0.isNaN }),
                    meanDifferenceInterval: interval, welch: WelchTTest(ea.accuracies, eb.accuracies),
                    mannWhitney: MannWhitneyUTest(ea.accuracies, eb.accuracies), welchHolmP: .nan, mannWhitneyHolmP: .nan))
            }
        }
        let welch = holmAdjusted(out.map(\.welch.pValue)), ranks = holmAdjusted(out.map(\.mannWhitney.pValue))
        for i in out.indices {
            out[i].welchHolmP = welch[i]
            out[i].mannWhitneyHolmP = ranks[i]
        }
        return out
    }
}
