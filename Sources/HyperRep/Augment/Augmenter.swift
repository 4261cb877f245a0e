// Views of a checkpoint for contrastive training (research notes §5).
//
// A view is made in three steps over the flat row, each drawing from the view's own stream:
//   1. neurons: a random function-preserving permutation (one gather through the spec's
//      index), or the canonical form (neurons sorted), or nothing;
//   2. noise: additive x + σε and/or multiplicative x·(1 + σε), ε ~ N(0, 1) per value;
//   3. erasing: with probability p, zero a block of ⌊U(scale)·P⌋ consecutive values starting at
//      a uniform position (10 attempts to fit, as GHRP's RandomErasingVector), or as many
//      positions drawn with replacement (scatter).
// Erasing comes last so erased values are exactly zero. Two views of one sample use two
// independent streams, so they are independent and each is reproducible on its own.
//
// Sizes: P = parameters per row.
import Tensor
import ZooStore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Makes augmented views of flat weight rows of one architecture.
public struct Augmenter: Sendable {
    /// The permutation spec the views are drawn from.
    public let spec: PermutationSpec
    /// The settings of every view.
    public let options: AugmentOptions
    /// Neuron rows of the table (for the canonical sort keys).
    public let neuronRows: [NeuronRowLayer]
    /// Precomputed gather indices, `options.permutationBank` × P, row-major (empty when fresh).
    public let bank: [Int32]

    /// Number of values per row (P).
    public var parameterCount: Int { spec.parameterCount }

    /// An augmenter for the architecture of `table`.
    /// - Parameters:
    ///   - bankSeed: seed of the precomputed permutation bank (used when `permutationBank` > 0).
    /// - Throws: `TokenizerError` for invalid options or an inconsistent table.
    public init(table: ParameterTable, options: AugmentOptions, bankSeed: UInt64 = 0) throws {
        try self.init(spec: PermutationSpec(table: table), neuronRows: table.neuronRowLayers, options: options, bankSeed: bankSeed)
    }

    /// An augmenter from an explicit permutation spec.
    public init(spec: PermutationSpec, neuronRows: [NeuronRowLayer], options: AugmentOptions, bankSeed: UInt64 = 0) throws {
        try options.validate()
        self.spec = spec
        self.options = options
        self.neuronRows = neuronRows
        var bank: [Int32] = []
        if options.permute && options.permutationBank > 0 {
            bank.reserveCapacity(options.permutationBank * spec.parameterCount)
            for i in 0..<options.permutationBank {
                var stream = RandomStream(seed: bankSeed, purpose: "permutation-bank", index: UInt64(i))
                bank.append(contentsOf: spec.randomGatherIndex(stream: &stream))
            }
        }
        self.bank = bank
    }

    /// One view [P] of `row` [P], drawing from `stream`.
    public func view(_ row: [Float], stream: inout RandomStream) -> [Float] {
        var out = [Float](repeating: 0, count: parameterCount)
        row.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in view(row: r, into: o, stream: &stream) }
        }
        return out
    }

    /// The stream of view `view` of sample `sample` in epoch `epoch` of a run seeded `seed`:
    /// every (epoch, sample, view) gets its own independent stream.
    public static func viewStream(seed: UInt64, epoch: Int, sample: Int, view: Int) -> RandomStream {
        RandomStream(seed: seed, purpose: "augment/epoch-\(epoch)/view-\(view)", index: UInt64(sample))
    }

    /// Writes one view of `row` [P] into `out` [P], drawing from `stream`.
    public func view(row: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, stream: inout RandomStream) {
        precondition(row.count == parameterCount && out.count == parameterCount,
                     "view: buffers of \(row.count) and \(out.count), expected \(parameterCount)")
        // 1. neurons
        if options.canonical {
            canonicalIndex(row: row).withUnsafeBufferPointer { gather(row, $0, out) }
        } else if options.permute && !bank.isEmpty {
            let k = stream.nextInt(below: options.permutationBank)
            bank.withUnsafeBufferPointer { b in
                gather(row, UnsafeBufferPointer(rebasing: b[(k * parameterCount)..<((k + 1) * parameterCount)]), out)
            }
        } else if options.permute && !spec.groups.isEmpty {
            spec.randomGatherIndex(stream: &stream).withUnsafeBufferPointer { gather(row, $0, out) }
        } else {
            _ = out.update(fromContentsOf: row)
        }
        // 2. noise
        if options.noise > 0 {
            let sigma = options.noise
            var k = 0
            while k < out.count {
                let (a, b) = Self.normalPair(&stream)
                out[k] += sigma * a
                if k + 1 < out.count { out[k + 1] += sigma * b }
                k += 2
            }
        }
        if options.multiplicativeNoise > 0 {
            let sigma = options.multiplicativeNoise
            var k = 0
            while k < out.count {
                let (a, b) = Self.normalPair(&stream)
                out[k] *= 1 + sigma * a
                if k + 1 < out.count { out[k + 1] *= 1 + sigma * b }
                k += 2
            }
        }
        // 3. erasing
        if options.eraseProbability > 0, stream.nextFloat() < options.eraseProbability {
            erase(out, stream: &stream)
        }
    }

    /// Two independent N(0, 1) deviates from one 64-bit draw (Box–Muller in Float with 24-bit
    /// uniforms: tails reach 5.8σ, plenty for augmentation noise, at a quarter of the cost of
    /// two double-precision draws).
    @inline(__always)
    static func normalPair(_ stream: inout RandomStream) -> (Float, Float) {
        let bits = stream.nextUInt64()
        let u1 = Float((bits >> 40) + 1) * (1.0 / 16_777_216.0)            // (0, 1]
        let u2 = Float((bits >> 16) & 0xFF_FFFF) * (1.0 / 16_777_216.0)    // [0, 1)
        let r = (-2 * logf(u1)).squareRoot()
        let theta = 2 * Float.pi * u2
        return (r * cosf(theta), r * sinf(theta))
    }

    @inline(__always)
    private func gather(_ row: UnsafeBufferPointer<Float>, _ index: UnsafeBufferPointer<Int32>, _ out: UnsafeMutableBufferPointer<Float>) {
        for k in 0..<out.count { out[k] = row[Int(index[k])] }
    }

    private func erase(_ out: UnsafeMutableBufferPointer<Float>, stream: inout RandomStream) {
        let p = out.count
        guard p > 0 else { return }
        let scale = options.eraseScale
        switch options.eraseMode {
        case .block:
            for _ in 0..<10 {
                let length = Int(Float(p) * stream.nextFloat(in: scale.lowerBound, scale.upperBound))
                let begin = stream.nextInt(below: p)
                guard begin + length < p else { continue }
                for k in begin..<(begin + length) { out[k] = 0 }
                return
            }
        case .scatter:
            let length = Int(Float(p) * stream.nextFloat(in: scale.lowerBound, scale.upperBound))
            for _ in 0..<length { out[stream.nextInt(below: p)] = 0 }
        }
    }

    /// The gather index [P] that sorts the neurons of every permutation group by the L1 norm of
    /// their incoming weights and bias, largest first (ties keep the original order). The keys
    /// do not change under permutations of other groups, so permuted copies of one network map
    /// to the same canonical row.
    public func canonicalIndex(row: UnsafeBufferPointer<Float>) -> [Int32] {
        let permutations = spec.groups.map { group -> [Int] in
            let layer = neuronRows[group.layer]
            let keys = (0..<layer.rows).map { n -> Double in
                var sum = 0.0
                for c in 0..<layer.width { sum += Double(abs(row[layer.flatIndex(row: n, column: c)])) }
                return sum
            }
            return (0..<group.size).sorted { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }
        }
        return spec.gatherIndex(permutations: permutations)
    }
}
