import Testing
import Foundation
@testable import HyperRep
import Tensor

/// Anchors [n, d] from a seeded generator: a bimodal first dimension, the second a noisy copy of
/// the first (strongly correlated), the rest standard normal.
func syntheticAnchors(count n: Int, dimension d: Int, seed: UInt64 = 1) -> LatentMatrix {
    var s = RandomStream(seed: seed, purpose: "test.anchors")
    var m = LatentMatrix(count: n, dimension: d)
    for i in 0..<n {
        let mode: Float = s.nextFloat() < 0.5 ? -2 : 1.5
        m[i, 0] = mode + 0.3 * s.nextNormal()
        if d > 1 { m[i, 1] = m[i, 0] + 0.05 * s.nextNormal() }
        for j in 2..<max(2, d) { m[i, j] = s.nextNormal() }
    }
    return m
}

/// Pearson correlation of two columns.
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let x = a.map(Double.init), y = b.map(Double.init)
    let mx = meanOf(x), my = meanOf(y)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in 0..<x.count { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
    return sxy / (sxx * syy).squareRoot()
}

/// Kolmogorov–Smirnov statistic of `samples` against a continuous CDF.
func ksStatistic(_ samples: [Float], cdf: (Double) -> Double) -> Double {
    let s = samples.map(Double.init).sorted()
    let n = Double(s.count)
    var worst = 0.0
    for (i, x) in s.enumerated() {
        let f = cdf(x)
        worst = max(worst, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
    }
    return worst
}

func normalCDF(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }

@Suite struct SamplerTests {
    static let anchors = syntheticAnchors(count: 60, dimension: 4)

    func allSamplers() throws -> [any LatentSampler] {
        let a = Self.anchors
        return [
            try PerDimensionKDESampler(anchors: a),
            try PerDimensionKDESampler(anchors: a, bandwidth: .fixed(0.002), seeding: .paper),
            try JointKDESampler(anchors: a),
            try GaussianSampler(anchors: a),
            try NeighbourhoodSampler(anchors: a),
            try UniformSampler(anchors: a),
            try UniformSampler(dimension: 4),
        ]
    }

    @Test func everySamplerIsReproducibleAndSeedDependent() throws {
        for s in try allSamplers() {
            let a = s.sample(count: 50, seed: 7), b = s.sample(count: 50, seed: 7), c = s.sample(count: 50, seed: 8)
            #expect(a == b, "\(s.kind) not reproducible")
            #expect(a != c, "\(s.kind) ignores its seed")
            #expect(a.count == 50 && a.dimension == 4)
            #expect(a.values.allSatisfy { $0.isFinite })
            // A prefix of a larger draw is the smaller draw for the per-sample-stream samplers.
            if s.kind != .kde {
                #expect(Array(s.sample(count: 80, seed: 7).values.prefix(200)) == a.values, "\(s.kind) count-dependent")
            }
        }
    }

    @Test func kdeSamplesFollowTheAnchorsMarginals() throws {
        let a = Self.anchors
        let kde = try PerDimensionKDESampler(anchors: a, bandwidth: .silverman)
        let n = 3000
        let z = kde.sample(count: n, seed: 3)
        for j in 0..<a.dimension {
            let column = a.column(j), h = kde.bandwidths[j]
            let d = ksStatistic(z.column(j)) { x in
                column.reduce(0) { $0 + normalCDF((x - Double($1)) / h) } / Double(column.count)
            }
            // KS critical value at α = 0.001 is 1.95/√n ≈ 0.036.
            #expect(d < 0.036, "dimension \(j): KS statistic \(d) against the fitted KDE marginal")
        }
        // Scott's 1-D bandwidth is σ·N^(-1/5).
        let scott = try PerDimensionKDESampler(anchors: a)
        let sigma = PerDimensionKDESampler.columnStandardDeviations(a)[0]
        #expect(abs(scott.bandwidths[0] - sigma * pow(60.0, -0.2)) < 1e-12)
    }

    @Test func independentStreamsBreakCrossDimensionStructureAndPaperSeedingKeepsIt() throws {
        let a = Self.anchors
        #expect(correlation(a.column(0), a.column(1)) > 0.99)
        let independent = try PerDimensionKDESampler(anchors: a).sample(count: 2000, seed: 5)
        let paper = try PerDimensionKDESampler(anchors: a, seeding: .paper).sample(count: 2000, seed: 5)
        #expect(abs(correlation(independent.column(0), independent.column(1))) < 0.1)
        #expect(correlation(paper.column(0), paper.column(1)) > 0.95)
    }

    @Test func paperSeedingCollapsesOntoAnchorsPlusACommonShift() throws {
        let a = Self.anchors
        // The official setting: fixed bandwidth 0.002 → sample = anchor + the same shift in every dimension.
        let fixed = try PerDimensionKDESampler(anchors: a, bandwidth: .fixed(0.002), seeding: .paper)
        let z = fixed.sample(count: 40, seed: 42)
        for k in 0..<z.count {
            let match = (0..<a.count).first { i in
                let shifts = (0..<a.dimension).map { Double(z[k, $0]) - Double(a[i, $0]) }
                return shifts.allSatisfy { abs($0 - shifts[0]) < 1e-5 } && abs(shifts[0]) < 0.002 * 6
            }
            #expect(match != nil, "sample \(k) is not an anchor plus a common shift")
        }
        // With per-dimension bandwidths the shift is one deviate times h_j: (z − anchor)/h_j is constant.
        let scott = try PerDimensionKDESampler(anchors: a, seeding: .paper)
        let w = scott.sample(count: 20, seed: 42)
        for k in 0..<w.count {
            let match = (0..<a.count).contains { i in
                let e = (0..<a.dimension).map { (Double(w[k, $0]) - Double(a[i, $0])) / scott.bandwidths[$0] }
                return e.allSatisfy { abs($0 - e[0]) < 1e-4 }
            }
            #expect(match, "sample \(k) is not anchor + ε·h")
        }
    }

    @Test func gaussianMatchesTheAnchorsMeanAndCovariance() throws {
        let a = Self.anchors
        let g = try GaussianSampler(anchors: a)
        let z = g.sample(count: 6000, seed: 11)
        let sampleMean = z.columnMeans(), sampleCov = z.covariance()
        let mean = a.columnMeans(), cov = a.covariance()
        for i in 0..<4 {
            #expect(abs(sampleMean[i] - mean[i]) < 4 * (cov[i * 4 + i] / 6000).squareRoot() + 1e-3)
            for j in 0..<4 {
                let tolerance = 0.08 * (cov[i * 4 + i] * cov[j * 4 + j]).squareRoot()
                #expect(abs(sampleCov[i * 4 + j] - cov[i * 4 + j]) < tolerance, "cov[\(i),\(j)]")
            }
        }
    }

    @Test func jointKDEKeepsCorrelationAndWidensByTheBandwidthFactor() throws {
        let a = Self.anchors
        let kde = try JointKDESampler(anchors: a)
        let z = kde.sample(count: 6000, seed: 2)
        #expect(correlation(z.column(0), z.column(1)) > 0.95)
        // Var(sample) = Var(anchors)·(N−1)/N + f²·Var(anchors) for a Gaussian-kernel KDE.
        let f = BandwidthRule.scott.factor(pointCount: 60, dimension: 4)!
        let v = a.covariance()[0], expected = v * (59.0 / 60 + f * f)
        #expect(abs(z.covariance()[0] - expected) < 0.08 * expected)
        #expect(kde.ridge == 0)
        // Fewer anchors than dimensions: singular covariance, factored with a ridge, still finite.
        let few = try JointKDESampler(anchors: syntheticAnchors(count: 3, dimension: 6))
        #expect(few.ridge > 0)
        #expect(few.sample(count: 10, seed: 1).values.allSatisfy { $0.isFinite })
    }

    @Test func neighbourhoodSamplesStayInThePCAMapBoxAndItsSubspace() throws {
        let a = Self.anchors
        let neigh = try NeighbourhoodSampler(anchors: a, mapDimension: 2)
        let z = neigh.sample(count: 300, seed: 4)
        let mapped = neigh.map(z)
        for (k, y) in mapped.enumerated() {
            for c in 0..<2 { #expect(y[c] >= neigh.lower[c] - 1e-4 && y[c] <= neigh.upper[c] + 1e-4) }
            // The way back is exact: re-mapping and inverting gives the same latent.
            let back = neigh.inverse(y)
            for i in 0..<4 { #expect(abs(back[i] - z[k, i]) < 1e-4) }
        }
        // Full-rank map: map then inverse reproduces the anchors themselves.
        let full = try NeighbourhoodSampler(anchors: a, mapDimension: 4)
        for (i, y) in full.map(a).enumerated() {
            let back = full.inverse(y)
            for j in 0..<4 { #expect(abs(back[j] - a[i, j]) < 1e-4) }
        }
        // The first component carries the bimodal, correlated pair: most of the variance.
        #expect(full.componentVariances[0] > 0.6 * full.componentVariances.reduce(0, +))
        #expect(throws: SamplingError.self) { try NeighbourhoodSampler(anchors: a, mapDimension: 9) }
    }

    @Test func uniformFillsItsBox() throws {
        let a = Self.anchors
        let u = try UniformSampler(anchors: a)
        let z = u.sample(count: 4000, seed: 9)
        for j in 0..<4 {
            let col = z.column(j)
            #expect(col.allSatisfy { $0 >= u.lower[j] && $0 < u.upper[j] })
            let centre = Double(u.lower[j] + u.upper[j]) / 2, width = Double(u.upper[j] - u.lower[j])
            #expect(abs(meanOf(col.map(Double.init)) - centre) < 0.03 * width)
            let d = ksStatistic(col) { min(1, max(0, ($0 - Double(u.lower[j])) / width)) }
            #expect(d < 0.031)
        }
        let paper = try UniformSampler(dimension: 8).sample(count: 100, seed: 1)
        #expect(paper.values.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(paper.values.min()! < -0.9 && paper.values.max()! > 0.9)
    }

    @Test func fittingRejectsEmptyOrNonFiniteAnchors() {
        #expect(throws: SamplingError.noAnchors(sampler: "kde")) {
            try PerDimensionKDESampler(anchors: LatentMatrix(count: 0, dimension: 3))
        }
        var bad = Self.anchors
        bad[5, 2] = .nan
        #expect(throws: SamplingError.nonFiniteAnchor(row: 5, column: 2)) { try GaussianSampler(anchors: bad) }
        #expect(throws: SamplingError.self) { try GaussianSampler(anchors: LatentMatrix(rows: [[1, 2]])) }
    }
}

@Suite struct AnchorAndLinearAlgebraTests {
    @Test func topThirtyPercentMatchesTorchQuantile() {
        let acc: [Float] = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0]
        // torch.quantile(acc, 0.7) = 0.63 → {0.9, 0.7, 0.8}
        #expect(AnchorSelection.top(fraction: 0.3, of: acc) == [2, 4, 6])
        var eligible = [Bool](repeating: true, count: 10)
        eligible[2] = false
        // Eligible values 0.0...0.8 without 0.9: quantile 0.7 of 9 values = 0.56 → {0.7, 0.8, 0.6}
        #expect(AnchorSelection.top(fraction: 0.3, of: acc, eligible: eligible) == [4, 6, 8])
        var withNaN = acc
        withNaN[6] = .nan
        #expect(!AnchorSelection.top(fraction: 0.3, of: withNaN).contains(6))
        #expect(AnchorSelection.top(fraction: 1, of: acc).count == 10)
    }

    @Test func topThirtyPercentWithTiesPicksExactlyThatManyByRowOrder() {
        // 358 eligible checkpoints, most of them tied at the threshold (issue 19.3: the quantile
        // rule kept 203). Top 30% keeps 1 + ⌊0.3 · 357⌋ = 108: the 50 best, then the first 58 tied.
        var acc = [Float](repeating: 0.5, count: 358)
        for i in 0..<50 { acc[300 + i] = 0.9 }
        for i in 0..<8 { acc[i] = 0.1 }
        let top = AnchorSelection.top(fraction: 0.3, of: acc)
        #expect(AnchorSelection.count(fraction: 0.3, eligible: 358) == 108)
        #expect(top.count == 108)
        #expect(Set(300..<350).isSubset(of: Set(top)))
        #expect(top.filter { acc[$0] == 0.5 } == Array(8..<66))
        // All equal: the first k rows.
        #expect(AnchorSelection.top(fraction: 0.3, of: [Float](repeating: 0.7, count: 20)) == Array(0..<6))
        #expect(AnchorSelection.count(fraction: 0.3, eligible: 10) == 3 && AnchorSelection.count(fraction: 1, eligible: 7) == 7)
    }

    @Test func choleskyAndEigenReconstruct() {
        let a = syntheticAnchors(count: 30, dimension: 5).covariance()
        let l = cholesky(a, order: 5)!
        for i in 0..<5 { for j in 0..<5 {
            var s = 0.0
            for k in 0..<5 { s += l[i * 5 + k] * l[j * 5 + k] }
            #expect(abs(s - a[i * 5 + j]) < 1e-10)
        } }
        let (values, vectors) = symmetricEigen(a, order: 5)
        #expect(values == values.sorted(by: >))
        for i in 0..<5 { for j in 0..<5 {
            var s = 0.0
            for k in 0..<5 { s += vectors[i * 5 + k] * values[k] * vectors[j * 5 + k] }
            #expect(abs(s - a[i * 5 + j]) < 1e-9)
        } }
        // A rank-deficient matrix fails the plain factorisation and gets a small ridge.
        let singular: [Double] = [1, 1, 1, 1]
        #expect(cholesky(singular, order: 2) == nil)
        let (_, ridge) = choleskyWithRidge(singular, order: 2)
        #expect(ridge > 0 && ridge < 1e-6)
    }
}

@Suite struct SamplerOptionsTests {
    @Test func optionsBuildTheNamedSamplerAndRejectNonsense() throws {
        let a = syntheticAnchors(count: 20, dimension: 4)
        for kind in SamplerKind.allCases {
            #expect(try SamplerOptions(kind: kind).makeSampler(anchors: a).kind == kind)
        }
        let paper = try SamplerOptions(kind: .kde, bandwidth: "0.002", paperSeeding: true).makeSampler(anchors: a)
        #expect((paper as? PerDimensionKDESampler)?.seeding == .paper)
        #expect((paper as? PerDimensionKDESampler)?.bandwidths.first == 0.002)
        #expect(throws: SamplingError.self) { try SamplerOptions(kind: .gaussian, paperSeeding: true).makeSampler(anchors: a) }
        #expect(throws: SamplingError.self) { try SamplerOptions(kind: .kde, bandwidth: "wide").makeSampler(anchors: a) }
        #expect(throws: SamplingError.self) { try SamplerOptions(kind: .neigh, box: "ball").makeSampler(anchors: a) }
        let u = try SamplerOptions(kind: .uniform, uniformHalfWidth: 1).makeSampler(anchors: a) as! UniformSampler
        #expect(u.lower == [-1, -1, -1, -1])
        #expect(SamplerOptions(kind: .kde).populationName(anchorFraction: 0.3) == "S_KDE30")
        #expect(SamplerOptions(kind: .neigh).populationName(anchorFraction: 1) == "S_Neigh")
    }
}
