// Ensembles: average the softmax outputs of k models and take the argmax. The report compares
// random ensembles of k sampled models with ensembles of k zoo models and of k independently
// trained models; each member's class probabilities are computed once per pool and reused by
// every ensemble drawn from it.
//
// Sizes: M = models in a pool, N = test images, V = classes, k = ensemble size.

import Foundation
import Nets
import Tensor

/// Softmax class probabilities of a model on every image of a dataset.
///
/// - Parameters:
///   - row: the model's flat parameters `[P]`.
/// - Returns: `[N * V]` row-major.
public func classProbabilities(row: [Float], architecture: ArchitectureSpec, dataset: ImageDataset, batchSize: Int = 500) -> [Float] {
    let v = architecture.classes
    let capacity = min(batchSize, max(dataset.count, 1))
    let ws = NetworkWorkspace(architecture: architecture, capacity: capacity)
    var out = [Float](repeating: 0, count: dataset.count * v)
    var unused = RandomStream(key: 0)
    row.withUnsafeBufferPointer { r in
        var start = 0
        while start < dataset.count {
            let n = min(capacity, dataset.count - start)
            ws.loadBatch(from: dataset, indices: start..<(start + n))
            let logits = ws.forward(row: r.baseAddress!, batch: n, training: false, stream: &unused)
            for i in 0..<n {
                let l = logits + i * v
                var m = -Float.infinity
                for c in 0..<v { m = max(m, l[c]) }
                var s: Float = 0
                for c in 0..<v { s += exp(l[c] - m) }
                for c in 0..<v { out[(start + i) * v + c] = exp(l[c] - m) / s }
            }
            start += n
        }
    }
    return out
}

/// Ensemble accuracy from precomputed member probabilities.
public enum EnsembleEvaluation {
    /// Probabilities `[N * V]` of each row in `rows`, computed in parallel on `threads` threads.
    public static func probabilities(rows: [[Float]], architecture: ArchitectureSpec, dataset: ImageDataset,
                                     threads: Int = defaultThreadCount()) -> [[Float]] {
        probabilities(rows: rows, architectures: rows.map { _ in architecture }, dataset: dataset, threads: threads)
    }

    /// Probabilities `[N * V]` of each row, row i run by `architectures[i]` (a grid zoo's own networks).
    public static func probabilities(rows: [[Float]], architectures: [ArchitectureSpec], dataset: ImageDataset,
                                     threads: Int = defaultThreadCount()) -> [[Float]] {
        precondition(rows.count == architectures.count, "one architecture per row")
        return parallelMap(count: rows.count, threads: threads) { i, _ in
            classProbabilities(row: rows[i], architecture: architectures[i], dataset: dataset)
        }
    }

    /// Accuracy of the ensemble whose members are `members` (indices into `pool`): the argmax
    /// of the mean probability.
    ///
    /// - Parameters:
    ///   - pool: per model `[N * V]`.
    ///   - labels: `[N]`.
    public static func accuracy(pool: [[Float]], members: [Int], labels: [Int32], classes v: Int) -> Double {
        precondition(!members.isEmpty)
        let n = labels.count
        var correct = 0
        var mean = [Float](repeating: 0, count: v)
        for i in 0..<n {
            for c in 0..<v { mean[c] = 0 }
            for m in members {
                let p = pool[m]
                for c in 0..<v { mean[c] += p[i * v + c] }
            }
            var best = 0
            for c in 1..<v where mean[c] > mean[best] { best = c }
            if Int32(best) == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(max(n, 1))
    }

    /// Accuracies of `trials` random ensembles of `size` distinct members of `pool`, members of
    /// trial t drawn from `RandomStream(seed, "ensemble", t)`.
    public static func randomEnsembles(pool: [[Float]], labels: [Int32], classes: Int, size: Int, trials: Int, seed: UInt64) -> [Double] {
        precondition(size >= 1 && size <= pool.count, "ensemble size \(size) needs at least that many models (pool has \(pool.count))")
        return (0..<trials).map { t in
            var stream = RandomStream(seed: seed, purpose: "ensemble", index: UInt64(t))
            let members = Array(stream.permutation(pool.count).prefix(size))
            return accuracy(pool: pool, members: members, labels: labels, classes: classes)
        }
    }
}

