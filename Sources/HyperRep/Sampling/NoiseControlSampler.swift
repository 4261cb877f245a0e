// The noise control (issue 13.5): does a sampler make new good models, or does it only copy its
// anchors with a little noise? The control answers it: anchors (training models chosen like any
// sampler's) plus isotropic Gaussian noise, scaled so that the population's novelty equals a
// requested value, or that of a reference population. A sampler adds something only if it beats
// the control at equal novelty.
//
// Novelty is the measure hz-eval reports (``NoveltySummary``, ``NoveltyReference``): per sample the
// distance to its nearest training model over the typical (median pairwise) distance between
// training models; a population's novelty is the median over its samples. The noise scale σ is
// found by bisection on the measured novelty of the Float rows as written, so the file's novelty
// is the requested one within `tolerance`. Noise and anchor order depend only on the seed.
//
// Sizes: K = samples, A = anchors, R = reference rows, P = parameters per model.

import Tensor
import ZooStore

/// Anchors plus isotropic Gaussian noise at a chosen novelty.
public struct NoiseControlSampler: Sendable {
    /// |achieved − requested| novelty the bisection guarantees (units of the typical training distance).
    public static let tolerance = 1e-3

    /// The anchor rows `[A][P]` (finite), the novelty reference, and the noise draws.
    public let anchors: [[Float]]
    public let reference: [Float]
    public let typicalDistance: Double
    public let width: Int
    /// Per sample: which anchor it perturbs, and its standard-normal noise `[K * P]`.
    public let anchorOfSample: [Int]
    let noise: [Float]

    /// Draws the anchor order and the noise of `count` samples.
    ///
    /// Sample k perturbs anchor `order[k]`, where `order` concatenates fresh permutations of the
    /// anchors (stream seed, "noise-control.anchors"), so every anchor is used ⌊K/A⌋ or ⌈K/A⌉
    /// times; its noise is `P` standard normals from the stream (seed, "noise-control.noise", k).
    ///
    /// - Throws: ``SamplingError`` without anchors, with NaN/infinite anchor weights, or with a
    ///   reference of fewer than two training models.
    public init(anchors: [[Float]], reference: NoveltyReference, count: Int, seed: UInt64) throws {
        guard count > 0 else { throw SamplingError.invalidSetting("--count must be positive, got \(count)") }
        guard let p = anchors.first?.count, p > 0 else { throw SamplingError.noAnchors(sampler: "noise-control") }
        if let bad = anchors.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
            throw SamplingError.invalidSetting("noise-control: anchor \(bad) has NaN or infinite weights (a diverged model); choose anchors with --anchor-epochs or --anchor-metric")
        }
        guard reference.rows.count >= 2 else {
            throw SamplingError.invalidSetting("noise-control: novelty needs at least two finite training-split checkpoints in the zoo, found \(reference.rows.count)")
        }
        self.anchors = anchors
        width = p
        self.reference = reference.rows.flatMap { $0 }
        typicalDistance = WeightSpaceDistance.typicalDistance(references: self.reference, width: p)
        guard typicalDistance > 0 else {
            throw SamplingError.invalidSetting("noise-control: the training models are all identical (typical distance 0); novelty is undefined")
        }
        var order: [Int] = []
        var stream = RandomStream(seed: seed, purpose: "noise-control.anchors")
        while order.count < count { order += stream.permutation(anchors.count) }
        anchorOfSample = Array(order.prefix(count))
        var noise = [Float](repeating: 0, count: count * p)
        for k in 0..<count {
            var s = RandomStream(seed: seed, purpose: "noise-control.noise", index: UInt64(k))
            for i in 0..<p { noise[k * p + i] = s.nextNormal() }
        }
        self.noise = noise
    }

    /// The samples `[K * P]` at noise scale `sigma`: anchor + σ · noise, in Float.
    public func rows(scale sigma: Double) -> [Float] {
        let p = width, s = Float(sigma)
        var out = [Float](repeating: 0, count: noise.count)
        for k in anchorOfSample.indices {
            let a = anchors[anchorOfSample[k]]
            for i in 0..<p { out[k * p + i] = a[i] + s * noise[k * p + i] }
        }
        return out
    }

    /// The novelty (median relative distance to the nearest reference row) of `rows` `[K * P]`.
    public func novelty(of rows: [Float]) -> Double {
        let nearest = WeightSpaceDistance.nearest(queries: rows, references: reference, width: width)
        return quantile(sorted: nearest.map { $0.distance / typicalDistance }.sorted(), 0.5)
    }

    /// The outcome of a solve.
    public struct Solution: Sendable {
        public var rows: [Float]
        public var scale: Double
        public var novelty: Double
        /// Novelty evaluations the bisection took.
        public var evaluations: Int
    }

    /// Finds σ whose samples have novelty `target` within ``tolerance``: doubles an upper bound
    /// from σ₀ = target · typical / √P until the novelty exceeds the target, then bisects.
    ///
    /// - Throws: ``SamplingError`` when the target is not positive and finite, is below the
    ///   anchors' own novelty (anchors outside the reference), or cannot be bracketed.
    public func solve(novelty target: Double) throws -> Solution {
        guard target.isFinite, target >= 0 else {
            throw SamplingError.invalidSetting("noise-control: the requested novelty must be a finite number ≥ 0, got \(target)")
        }
        var evaluations = 0
        func measure(_ sigma: Double) -> (rows: [Float], novelty: Double) {
            evaluations += 1
            let r = rows(scale: sigma)
            return (r, novelty(of: r))
        }
        let atZero = measure(0)
        if abs(atZero.novelty - target) <= Self.tolerance {
            return Solution(rows: atZero.rows, scale: 0, novelty: atZero.novelty, evaluations: evaluations)
        }
        guard atZero.novelty < target else {
            throw SamplingError.invalidSetting("noise-control: the anchors themselves already have novelty \(format(atZero.novelty)) (they are not in the zoo's training split), above the requested \(format(target)); choose training-split anchors (--anchor-split train)")
        }
        var lo = 0.0
        var hi = max(target * typicalDistance / Double(width).squareRoot(), Double.leastNormalMagnitude)
        var upper = measure(hi)
        var doublings = 0
        while upper.novelty < target {
            doublings += 1
            guard doublings <= 200, hi.isFinite else {
                throw SamplingError.invalidSetting("noise-control: no noise scale reaches novelty \(format(target)) (reached \(format(upper.novelty)))")
            }
            lo = hi
            hi *= 2
            upper = measure(hi)
        }
        var best = (scale: hi, rows: upper.rows, novelty: upper.novelty)
        for _ in 0..<200 {
            if abs(best.novelty - target) <= Self.tolerance { break }
            let mid = (lo + hi) / 2
            guard mid > lo && mid < hi else { break }
            let m = measure(mid)
            if abs(m.novelty - target) < abs(best.novelty - target) { best = (mid, m.rows, m.novelty) }
            if m.novelty < target { lo = mid } else { hi = mid }
        }
        guard abs(best.novelty - target) <= Self.tolerance else {
            throw SamplingError.invalidSetting("noise-control: bisection reached novelty \(format(best.novelty)), not \(format(target)) ± \(Self.tolerance) (the novelty jumps at this scale; try more samples with --count)")
        }
        return Solution(rows: best.rows, scale: best.scale, novelty: best.novelty, evaluations: evaluations)
    }

    private func format(_ v: Double) -> String { String(format: "%.4f", v) }

    /// The novelty of an existing population's rows `[K * P]` against `reference`, as hz-eval measures it.
    ///
    /// - Throws: ``NoveltyError`` for NaN or infinite weights.
    public static func novelty(of rows: [Float], reference: NoveltyReference, width: Int) throws -> Double {
        let summary = try NoveltySummary(samples: rows, training: reference.rows.flatMap { $0 }, width: width)
        return quantile(sorted: summary.relativeDistances.sorted(), 0.5)
    }
}

extension PopulationSampling {
    /// The noise control as a population: `count` perturbed anchors at novelty `target`, named
    /// `C_noise(<matched>)` when it matches a population, else `C_noise(<target>)`.
    ///
    /// With `scaleOf` (the matched population's rows `[M * P]`), each parameter tensor of the
    /// control is then rescaled so that its root-mean-square over the control equals that over
    /// the matched population, and it is named `C_scale(<matched>)`. Decoders shrink weights
    /// towards the zoo's mean; smaller tanh weights fine-tune faster whatever the autoencoder
    /// learned, so a sampler adds something only if it also beats zoo models at its own scale
    /// (docs/RESULTS.md, "The scale-matched control"). Rescaling changes the novelty; hz-eval
    /// measures and reports the one the file has.
    public static func noiseControl(zoo: ZooReader, anchors spec: AnchorSpec, count: Int, seed: UInt64, target: Double,
                                    matchedPopulation: String? = nil, matchedFile: String? = nil,
                                    scaleOf matchedRows: [Float]? = nil) throws -> SampledPopulation {
        let anchorRows = try spec.select(in: zoo)
        let anchors = try anchorRows.map { try zoo.readRow($0) }
        let reference = try NoveltyReference(zoo: zoo)
        let sampler = try NoiseControlSampler(anchors: anchors, reference: reference, count: count, seed: seed)
        let solution = try sampler.solve(novelty: target)
        var settings: [String: String] = [
            "sampler": "noise-control", "target_novelty": String(target), "achieved_novelty": String(solution.novelty),
            "tolerance": String(NoiseControlSampler.tolerance), "noise_scale": String(solution.scale),
            "relative_noise_scale": String(solution.scale * Double(sampler.width).squareRoot() / sampler.typicalDistance),
            "typical_training_distance": String(sampler.typicalDistance), "bisection_evaluations": String(solution.evaluations),
            "novelty_reference": "\(reference.rows.count) training checkpoints",
        ]
        if let matchedPopulation { settings["matched_population"] = matchedPopulation }
        if let matchedFile { settings["matched_file"] = matchedFile }
        var rows = solution.rows
        var prefix = "C_noise("
        if let matchedRows {
            let factors = try ScaleMatching.factors(of: rows, toMatch: matchedRows, table: zoo.table)
            ScaleMatching.apply(factors, to: &rows, table: zoo.table)
            settings["scale_matched"] = "true"
            settings["scale_factors"] = zip(zoo.table.entries, factors).map { "\($0.name)=\(String(format: "%.6g", $1))" }.joined(separator: ",")
            prefix = "C_scale("
        }
        let name = prefix + (matchedPopulation ?? String(format: "%.3g", target)) + ")"
        let empty = LatentMatrix(count: 0, dimension: 0, values: [])
        return SampledPopulation(name: name, rows: rows, latents: LatentMatrix(count: count, dimension: 0, values: []),
                                 anchorRows: anchorRows, anchorLatents: empty, samplerSettings: settings, seed: seed)
    }
}

/// Per-tensor rescaling of a population to the weight scale of another (the scale-matched control).
public enum ScaleMatching {
    /// For each entry of `table`: RMS over `reference` `[M * P]` divided by RMS over `rows`
    /// `[K * P]` (1 where `rows` is all zero there).
    ///
    /// - Throws: ``SamplingError`` when the row lengths do not fit the table or a value is not finite.
    public static func factors(of rows: [Float], toMatch reference: [Float], table: ParameterTable) throws -> [Double] {
        let p = table.parameterCount
        guard p > 0, rows.count % p == 0, reference.count % p == 0, !rows.isEmpty, !reference.isEmpty else {
            throw SamplingError.invalidSetting("scale matching: rows of \(rows.count) and \(reference.count) values do not fit models of \(p) parameters")
        }
        guard rows.allSatisfy(\.isFinite), reference.allSatisfy(\.isFinite) else {
            throw SamplingError.invalidSetting("scale matching: a NaN or infinite weight; the populations must be finite")
        }
        func rms(_ values: [Float], _ range: Range<Int>) -> Double {
            var sum = 0.0
            var n = 0
            for start in stride(from: 0, to: values.count, by: p) {
                for i in range { sum += Double(values[start + i]) * Double(values[start + i]) }
                n += range.count
            }
            return n > 0 ? (sum / Double(n)).squareRoot() : 0
        }
        return table.entries.map { entry in
            let own = rms(rows, entry.range)
            return own > 0 ? rms(reference, entry.range) / own : 1
        }
    }

    /// Multiplies every model's tensor `i` in `rows` `[K * P]` by `factors[i]`.
    public static func apply(_ factors: [Double], to rows: inout [Float], table: ParameterTable) {
        let p = table.parameterCount
        for start in stride(from: 0, to: rows.count, by: p) {
            for (entry, factor) in zip(table.entries, factors) {
                for i in entry.range { rows[start + i] = Float(Double(rows[start + i]) * factor) }
            }
        }
    }
}
