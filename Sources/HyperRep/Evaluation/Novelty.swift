// Novelty: is a sampled model new, or a copy of a training model? For every sample, the
// weight-space (Euclidean) distance to its nearest training model, divided by the typical
// distance between two training models (the median pairwise distance), and the fraction of test
// predictions on which it disagrees with that nearest model. A sampler that only copies anchors
// shows relative distances near 0 and disagreement near 0 (paper-notes §6.3).
//
// Sizes: Q = query rows (samples), R = reference rows (training models), P = parameters per row.

import Tensor
import ZooStore

/// Rows that novelty cannot measure.
public enum NoveltyError: Error, CustomStringConvertible, Equatable {
    /// Row `row` of `what` ("samples" or "training models") has a NaN or infinite value at `parameter`.
    case nonFinite(what: String, row: Int, parameter: Int)

    public var description: String {
        switch self {
        case let .nonFinite(what, row, parameter):
            return "novelty: \(what) row \(row) has a non-finite weight (NaN or infinity) at parameter \(parameter)"
        }
    }
}

/// The nearest reference row of one query row.
public struct NearestNeighbour: Codable, Sendable, Equatable {
    /// Index of the nearest reference row.
    public var index: Int
    /// Euclidean distance to it (computed exactly, in Double).
    public var distance: Double
}

/// Weight-space distances between populations.
public enum WeightSpaceDistance {
    /// Exact Euclidean distance between two rows of P values, in Double.
    public static func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count p: Int) -> Double {
        var s = 0.0
        for i in 0..<p {
            let d = Double(a[i]) - Double(b[i])
            s += d * d
        }
        return s.squareRoot()
    }

    /// For each query row, its nearest reference row.
    ///
    /// Candidates are screened with one GEMM per block of queries (‖q‖² + ‖r‖² − 2 q·r in Float),
    /// then the best `recheck` candidates are re-measured exactly in Double, so near copies
    /// (distances far below the rows' norms, where the Float expansion cancels) are still ranked
    /// and measured correctly.
    ///
    /// - Parameters:
    ///   - queries: `[Q * P]` row-major.
    ///   - references: `[R * P]` row-major, R ≥ 1.
    ///   - width: P.
    /// - Complexity: O(Q·R·P) floating-point work, in GEMMs of at most 256 queries.
    public static func nearest(queries: [Float], references: [Float], width p: Int, recheck: Int = 4) -> [NearestNeighbour] {
        precondition(p > 0 && queries.count % p == 0 && references.count % p == 0 && !references.isEmpty)
        let q = queries.count / p, r = references.count / p
        let referenceNorms = squaredNorms(references, width: p)
        let queryNorms = squaredNorms(queries, width: p)
        var result = [NearestNeighbour](repeating: NearestNeighbour(index: 0, distance: 0), count: q)
        let block = 256
        var dots = [Float](repeating: 0, count: min(block, max(q, 1)) * r)
        queries.withUnsafeBufferPointer { qp in
            references.withUnsafeBufferPointer { rp in
                var start = 0
                while start < q {
                    let rows = min(block, q - start)
                    dots.withUnsafeMutableBufferPointer { dp in
                        gemm(transposeB: true, m: rows, n: r, k: p,
                             a: qp.baseAddress! + start * p, lda: p,
                             b: rp.baseAddress!, ldb: p, c: dp.baseAddress!, ldc: r)
                    }
                    for i in 0..<rows {
                        let qi = start + i
                        var candidates = (0..<r).map { j in
                            (j, Double(queryNorms[qi]) + Double(referenceNorms[j]) - 2 * Double(dots[i * r + j]))
                        }
                        candidates.sort { $0.1 < $1.1 }
                        // The first candidate is the fallback, so a distance that overflows to
                        // infinity (or a NaN the caller let through) never leaves no neighbour.
                        var best = NearestNeighbour(index: candidates[0].0, distance: .infinity)
                        for (j, _) in candidates.prefix(max(1, recheck)) {
                            let d = distance(qp.baseAddress! + qi * p, rp.baseAddress! + j * p, count: p)
                            if d < best.distance { best = NearestNeighbour(index: j, distance: d) }
                        }
                        result[qi] = best
                    }
                    start += rows
                }
            }
        }
        return result
    }

    /// The median Euclidean distance between two distinct reference rows: the "typical
    /// distance" novelty is relative to. All pairs when there are at most `maxPairs`, else
    /// `maxPairs` random pairs from the stream (seed, "novelty.pairs").
    public static func typicalDistance(references: [Float], width p: Int, maxPairs: Int = 20_000, seed: UInt64 = 0) -> Double {
        let distances = pairDistances(references, width: p, maxPairs: maxPairs, seed: seed).sorted()
        return distances.isEmpty ? .nan : quantile(sorted: distances, 0.5)
    }

    /// The mean Euclidean distance between two distinct rows (same pairs as `typicalDistance`):
    /// how spread out a population is. NaN for fewer than two rows.
    public static func meanPairwiseDistance(_ rows: [Float], width p: Int, maxPairs: Int = 20_000, seed: UInt64 = 0) -> Double {
        meanOf(pairDistances(rows, width: p, maxPairs: maxPairs, seed: seed))
    }

    /// Distances of all pairs of distinct rows when there are at most `maxPairs`, else of
    /// `maxPairs` random pairs from the stream (seed, "novelty.pairs").
    static func pairDistances(_ rows: [Float], width p: Int, maxPairs: Int, seed: UInt64) -> [Double] {
        let r = rows.count / p
        guard r >= 2 else { return [] }
        var distances = [Double]()
        rows.withUnsafeBufferPointer { rp in
            let base = rp.baseAddress!
            if r * (r - 1) / 2 <= maxPairs {
                for i in 0..<r { for j in (i + 1)..<r { distances.append(distance(base + i * p, base + j * p, count: p)) } }
            } else {
                var stream = RandomStream(seed: seed, purpose: "novelty.pairs")
                for _ in 0..<maxPairs {
                    let i = stream.nextInt(below: r)
                    var j = stream.nextInt(below: r - 1)
                    if j >= i { j += 1 }
                    distances.append(distance(base + i * p, base + j * p, count: p))
                }
            }
        }
        return distances
    }

    /// The first (row, parameter) of `rows` `[N * P]` that is NaN or infinite, if any.
    public static func firstNonFinite(_ rows: [Float], width p: Int) -> (row: Int, parameter: Int)? {
        rows.firstIndex { !$0.isFinite }.map { ($0 / p, $0 % p) }
    }

    static func squaredNorms(_ rows: [Float], width p: Int) -> [Float] {
        let n = rows.count / p
        return (0..<n).map { i in
            var s: Float = 0
            for k in 0..<p { let v = rows[i * p + k]; s += v * v }
            return s
        }
    }
}

/// Fraction of positions where two prediction vectors differ, in [0, 1].
public func predictionDisagreement<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
where A.Element: BinaryInteger, B.Element: BinaryInteger {
    precondition(a.count == b.count, "prediction vectors of different lengths")
    guard !a.isEmpty else { return .nan }
    var differ = 0
    for (x, y) in zip(a, b) where Int(x) != Int(y) { differ += 1 }
    return Double(differ) / Double(a.count)
}

/// Novelty of a sampled population against the training models.
public struct NoveltySummary: Codable, Sendable {
    /// Per sample: index of its nearest training model (in the order of the references given).
    public var nearestIndices: [Int]
    /// Per sample: distance to the nearest training model / typical training-pair distance.
    public var relativeDistances: [Double]
    /// The typical (median pairwise) distance between training models.
    public var typicalDistance: Double
    /// Per sample: fraction of test predictions differing from its nearest training model
    /// (empty until predictions are supplied).
    public var disagreements: [Double]

    /// Distances of `samples` `[Q * P]` to `training` `[R * P]`, relative to the training models'
    /// typical pairwise distance.
    ///
    /// - Throws: ``NoveltyError/nonFinite(what:row:parameter:)`` when a row holds NaN or
    ///   infinity (a diverged model: its distances mean nothing, and the caller must say so).
    public init(samples: [Float], training: [Float], width: Int, seed: UInt64 = 0) throws {
        if let (row, parameter) = WeightSpaceDistance.firstNonFinite(samples, width: width) {
            throw NoveltyError.nonFinite(what: "samples", row: row, parameter: parameter)
        }
        if let (row, parameter) = WeightSpaceDistance.firstNonFinite(training, width: width) {
            throw NoveltyError.nonFinite(what: "training models", row: row, parameter: parameter)
        }
        let nearest = WeightSpaceDistance.nearest(queries: samples, references: training, width: width)
        let typical = WeightSpaceDistance.typicalDistance(references: training, width: width, seed: seed)
        nearestIndices = nearest.map(\.index)
        typicalDistance = typical
        relativeDistances = nearest.map { $0.distance / typical }
        disagreements = []
    }
}

/// The training models novelty is measured against, the same for hz-sample and hz-eval: the
/// zoo's training-split checkpoints at every stored epoch, every k-th of them when there are more
/// than `limit`, without checkpoints holding NaN or infinite weights (diverged models).
public struct NoveltyReference: Sendable {
    /// Rows `[R][P]` and their checkpoint rows in the zoo.
    public var rows: [[Float]]
    public var zooRows: [Int]
    /// Training checkpoints considered, the stride taken, and how many were left out as diverged.
    public var candidates: Int
    public var stride: Int
    public var diverged: [Int]

    public init(zoo: ZooReader, limit: Int = 5000) throws {
        let training = zoo.select(split: .train)
        stride = max(1, (training.count + limit - 1) / max(limit, 1))
        candidates = training.count
        rows = []; zooRows = []; diverged = []
        for k in Swift.stride(from: 0, to: training.count, by: stride) {
            let row = try zoo.readRow(training[k])
            if row.allSatisfy({ $0.isFinite }) {
                rows.append(row); zooRows.append(training[k])
            } else {
                diverged.append(training[k])
            }
        }
    }

    /// Plain-language notes on what the reference is (for reports).
    public var notes: [String] {
        var out: [String] = []
        if stride > 1 { out.append("Novelty compares against every \(stride)th training checkpoint (\(rows.count + diverged.count) of \(candidates)).") }
        if !diverged.isEmpty {
            out.append("\(diverged.count) training checkpoint(s) with NaN or infinite weights (diverged models) were left out of the novelty reference.")
        }
        return out
    }
}
