// Welch's t-test, Mann–Whitney U, the bootstrap difference interval and Holm's adjustment,
// against numbers computed independently with scipy 1.10.1 (Debian's python3-scipy):
//   stats.ttest_ind(a, b, equal_var=False), stats.mannwhitneyu(a, b, method="asymptotic"),
//   2 * stats.t.sf(t, df).
import Foundation
import Testing
@testable import HyperRep

@Suite struct HypothesisTestsTests {
    static let a: [Double] = [0.61, 0.64, 0.58, 0.66, 0.63, 0.60, 0.65]
    static let b: [Double] = [0.55, 0.59, 0.52, 0.57, 0.60, 0.54]
    // np.round(default_rng(0).normal(0.7, 0.02, 30), 3) and normal(0.69, 0.03, 25) after it.
    static let x: [Double] = [0.703, 0.697, 0.713, 0.702, 0.689, 0.707, 0.726, 0.719, 0.686, 0.675, 0.688, 0.701, 0.653, 0.696, 0.675,
                              0.685, 0.689, 0.694, 0.708, 0.721, 0.697, 0.727, 0.687, 0.707, 0.718, 0.702, 0.685, 0.682, 0.691, 0.704]
    static let y: [Double] = [0.66, 0.684, 0.685, 0.706, 0.696, 0.701, 0.67, 0.686, 0.714, 0.735, 0.652, 0.735, 0.73, 0.713, 0.698,
                              0.681, 0.734, 0.749, 0.744, 0.729, 0.701, 0.654, 0.69, 0.71, 0.651]

    func close(_ u: Double, _ v: Double, _ tolerance: Double = 1e-9) -> Bool { abs(u - v) <= tolerance * max(1, abs(v)) }

    @Test func welchMatchesScipy() {
        let w = WelchTTest(Self.a, Self.b)
        #expect(close(w.statistic, 3.779656439494385) && close(w.pValue, 0.0033345880100354532))
        #expect(close(w.degreesOfFreedom, 10.450209628206704))
        let tied = WelchTTest([0.1, 0.1, 0.1, 0.2], [0.1, 0.1, 0.3, 0.3, 0.3])
        #expect(close(tied.statistic, -1.7272727272727277) && close(tied.pValue, 0.1363252774193789))
        let larger = WelchTTest(Self.x, Self.y)
        #expect(close(larger.statistic, -0.4176229241475347) && close(larger.pValue, 0.6786913709893306))
        #expect(close(larger.degreesOfFreedom, 36.17346645287793))
        // Degenerate groups: too few values, constant groups with different and equal means.
        #expect(WelchTTest([1], [1, 2]).pValue.isNaN)
        let constant = WelchTTest([1, 1, 1], [2, 2])
        #expect(constant.statistic == -.infinity && constant.pValue == 0)
        #expect(WelchTTest([1, 1], [1, 1, 1]).pValue.isNaN)
    }

    @Test func studentTailsMatchScipy() {
        for (t, df, p) in [(2.5, 3.7, 0.07182202291182675), (0.3, 40.0, 0.7657307167710191),
                           (8.0, 2.2, 0.01149061189670578), (1.96, 1e4, 0.05002352023183303)] {
            #expect(close(studentTTwoSidedP(t, degreesOfFreedom: df), p, 1e-10), "t=\(t) df=\(df)")
        }
        #expect(regularizedIncompleteBeta(a: 2, b: 3, x: 0) == 0 && regularizedIncompleteBeta(a: 2, b: 3, x: 1) == 1)
        // I_x(1, 1) = x; I_x(a, 1) = x^a.
        #expect(close(regularizedIncompleteBeta(a: 1, b: 1, x: 0.3), 0.3, 1e-13))
        #expect(close(regularizedIncompleteBeta(a: 3.5, b: 1, x: 0.7), pow(0.7, 3.5), 1e-13))
    }

    @Test func mannWhitneyMatchesScipy() {
        let m = MannWhitneyUTest(Self.a, Self.b)
        #expect(m.statistic == 39.5 && close(m.pValue, 0.010024934710329487))
        #expect(close(m.probabilityOfSuperiority, 39.5 / 42))
        let tied = MannWhitneyUTest([0.1, 0.1, 0.1, 0.2], [0.1, 0.1, 0.3, 0.3, 0.3])
        #expect(tied.statistic == 5 && close(tied.pValue, 0.21780875354798301))
        let larger = MannWhitneyUTest(Self.x, Self.y)
        #expect(larger.statistic == 350.5 && close(larger.pValue, 0.6848906649378166))
        // Swapping the groups mirrors U and keeps the two-sided p-value.
        let swapped = MannWhitneyUTest(Self.b, Self.a)
        #expect(swapped.statistic == 42 - 39.5 && close(swapped.pValue, m.pValue, 1e-14))
        // All values tie: no evidence either way.
        let same = MannWhitneyUTest([0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1, 0.1])
        #expect(same.statistic == 10 && same.pValue == 1)
    }

    @Test func averageRanksHandleTies() {
        let (ranks, tieTerm) = averageRanks([3, 1, 3, 2, 3])
        #expect(ranks == [4, 1, 4, 2, 4])
        #expect(tieTerm == 24)   // one group of 3: 27 − 3
    }

    @Test func holmAdjustmentIsStepDown() {
        // Sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far 0.06.
        let adjusted = holmAdjusted([0.01, 0.04, 0.03, 0.005])
        for (u, v) in zip(adjusted, [0.03, 0.06, 0.06, 0.02]) { #expect(close(u, v, 1e-12)) }
        let withNaN = holmAdjusted([0.2, .nan, 0.6])
        #expect(close(withNaN[0], 0.4) && withNaN[1].isNaN && close(withNaN[2], 0.6))
        #expect(holmAdjusted([0.9, 0.8]) == [1, 1])
    }

    @Test func bootstrapDifferenceCoversTheTruthAndIsSeeded() {
        let i = bootstrapDifferenceOfMeans(Self.a, Self.b, resamples: 2000, seed: 3)
        let difference = meanOf(Self.a) - meanOf(Self.b)
        #expect(i.low < difference && difference < i.high && i.low > 0)
        #expect(i == bootstrapDifferenceOfMeans(Self.a, Self.b, resamples: 2000, seed: 3))
        #expect(i != bootstrapDifferenceOfMeans(Self.a, Self.b, resamples: 2000, seed: 4))
        // Width ≈ 2 · 1.96 · Welch's standard error.
        let se = (pow(standardDeviationOf(Self.a), 2) / 7 + pow(standardDeviationOf(Self.b), 2) / 6).squareRoot()
        #expect(abs((i.high - i.low) - 2 * 1.96 * se) < 0.3 * (i.high - i.low))
        // The null case straddles zero.
        let null = bootstrapDifferenceOfMeans(Self.x, Self.y, resamples: 1000, seed: 1)
        #expect(null.low < 0 && null.high > 0)
    }

    @Test func comparisonsPairEverySampledPopulationWithEveryBaselinePerEpoch() {
        func population(_ name: String, _ role: String, _ epochs: [Int: [Double]]) -> PopulationResult {
            PopulationResult(name: name, role: role, details: [:], modelCount: epochs.values.first?.count ?? 0,
                             epochs: epochs.keys.sorted().map { EpochResult(epoch: $0, accuracies: epochs[$0]!, losses: [], bootstrapSeed: 0, resamples: 10) })
        }
        let pops = [population("S_KDE30", "sampled", [0: Self.a, 1: Self.x]),
                    population("B_T", "baseline", [0: Self.b, 1: Self.y]),
                    population("B_F", "baseline", [1: Self.y])]
        let c = PairwiseComparison.compareSampledWithBaselines(pops, experiment: "in-distribution", seed: 0, resamples: 200)
        #expect(c.map { "\($0.population)/\($0.baseline)/\($0.epoch)" } == ["S_KDE30/B_T/0", "S_KDE30/B_T/1", "S_KDE30/B_F/1"])
        #expect(close(c[0].welch.pValue, 0.0033345880100354532) && close(c[1].mannWhitney.pValue, 0.6848906649378166))
        #expect(close(c[0].meanDifference, meanOf(Self.a) - meanOf(Self.b), 1e-14))
        #expect(c[0].populationCount == 7 && c[0].baselineCount == 6)
        // Holm over three tests: the smallest p is multiplied by 3.
        #expect(close(c[0].welchHolmP, 3 * c[0].welch.pValue, 1e-12))
        #expect(c.allSatisfy { $0.welchHolmP >= $0.welch.pValue && $0.mannWhitneyHolmP >= $0.mannWhitney.pValue })
    }
}
