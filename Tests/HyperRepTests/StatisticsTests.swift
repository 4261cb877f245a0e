import Testing
@testable import HyperRep
import Tensor
import Foundation

@Suite struct StatisticsTests {
    @Test func summaryMatchesNumpy() {
        // numpy 1.26: mean 3.9, std(ddof=1) 2.726414006223804, median 3.5,
        // quantile(v, [0, .05, .3, .5, .7, .95, 1]) = [0, 0.45, 2.7, 3.5, 5, 8.1, 9]
        let v: [Double] = [1, 2, 3, 4, 5, 9, 0, 7, 3, 5]
        let s = SummaryStatistics(v, resamples: 200, seed: 1)
        #expect(s.count == 10)
        #expect(abs(s.mean - 3.9) < 1e-12)
        #expect(abs(s.standardDeviation - 2.726414006223804) < 1e-12)
        #expect(s.median == 3.5)
        let expected = [0, 0.45, 2.7, 3.5, 5, 8.1, 9]
        for (a, b) in zip(s.quantiles, expected) { #expect(abs(a - b) < 1e-12) }
        #expect(s.meanInterval.low < 3.9 && s.meanInterval.high > 3.9)
        #expect(s.medianInterval.low <= 3.5 && s.medianInterval.high >= 3.5)
    }

    @Test func bootstrapIsSeededAndShrinksWithMoreData() {
        let small = (0..<20).map { sin(Double($0) * 1.7) }
        let large = (0..<500).map { sin(Double($0) * 1.7) }
        let a = SummaryStatistics(small, seed: 3), b = SummaryStatistics(small, seed: 3), c = SummaryStatistics(small, seed: 4)
        #expect(a == b)
        #expect(a.meanInterval != c.meanInterval)
        let wide = a.meanInterval.high - a.meanInterval.low
        let narrow = SummaryStatistics(large, resamples: 300, seed: 3).meanInterval
        #expect(narrow.high - narrow.low < wide / 3)
        // Standard error of the mean ≈ σ/√n: the 95% interval is about ±1.96 of it.
        let se = a.standardDeviation / 20.0.squareRoot()
        #expect(abs(wide - 2 * 1.96 * se) < 0.35 * wide)
    }

    @Test func nanValuesAreDroppedAndEmptyIsNaN() {
        let s = SummaryStatistics([1, Double.nan, 3] as [Double], seed: 0)
        #expect(s.count == 2 && s.mean == 2)
        #expect(SummaryStatistics([Double](), seed: 0).mean.isNaN)
    }
}

@Suite struct NoveltyTests {
    @Test func nearCopiesAreFoundAndMeasuredExactly() throws {
        let p = 300, r = 12
        var stream = RandomStream(seed: 5, purpose: "test.novelty")
        // Large offsets make the norms big: the Float GEMM expansion alone would cancel.
        let training = (0..<(r * p)).map { _ in 50 + stream.nextNormal() }
        var samples = [Float]()
        let copied = [3, 7, 0]
        for (k, i) in copied.enumerated() {
            samples += (0..<p).map { training[i * p + $0] + (k == 2 ? 0 : 1e-3) }
        }
        let nearest = WeightSpaceDistance.nearest(queries: samples, references: training, width: p)
        #expect(nearest.map(\.index) == copied)
        #expect(abs(nearest[0].distance - 1e-3 * Double(p).squareRoot()) < 1e-4)
        #expect(nearest[2].distance == 0)
        let typical = WeightSpaceDistance.typicalDistance(references: training, width: p)
        // Two independent N(0,1) rows differ by √(2p) on average.
        #expect(abs(typical - (2.0 * Double(p)).squareRoot()) < 2)
        let summary = try NoveltySummary(samples: samples, training: training, width: p)
        #expect(summary.relativeDistances.allSatisfy { $0 < 0.01 })
        // Sampled pairs agree with all pairs closely.
        let sampled = WeightSpaceDistance.typicalDistance(references: training, width: p, maxPairs: 40, seed: 2)
        #expect(abs(sampled - typical) < 0.1 * typical)
    }

    @Test func disagreementCountsDifferingPredictions() {
        #expect(predictionDisagreement([1, 2, 3, 4] as [Int32], [1, 0, 3, 0] as [Int]) == 0.5)
        #expect(predictionDisagreement([UInt8](), [UInt8]()).isNaN)
    }
}
