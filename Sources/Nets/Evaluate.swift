// Evaluation of flat rows on a dataset: mean cross-entropy, accuracy and predictions per row.
// This is what hz-eval calls on sampled populations, and what the trainer reports each epoch.
import Dispatch
import Tensor

/// How one row did on one dataset.
public struct EvaluationResult: Sendable, Equatable {
    /// Mean cross-entropy (log_softmax + NLL) over the dataset.
    public var loss: Float
    /// Fraction of samples whose argmax logit is the label.
    public var accuracy: Float
    /// The argmax class of each sample (empty unless requested).
    public var predictions: [Int32]
}

/// Evaluates one row with a caller-owned workspace (no allocation beyond predictions).
public func evaluate(row: UnsafePointer<Float>, workspace ws: NetworkWorkspace, dataset: ImageDataset,
                     keepPredictions: Bool = false) -> EvaluationResult {
    let B = ws.capacity
    var lossSum: Double = 0, correct = 0
    var predictions = [Int32](repeating: 0, count: keepPredictions ? dataset.count : 0)
    var unused = RandomStream(key: 0)
    dataset.labels.withUnsafeBufferPointer { labels in
        predictions.withUnsafeMutableBufferPointer { preds in
            var start = 0
            while start < dataset.count {
                let n = min(B, dataset.count - start)
                ws.loadBatch(from: dataset, indices: start..<(start + n))
                ws.forward(row: row, batch: n, training: false, stream: &unused)
                let r = ws.loss(labels: labels.baseAddress! + start, batch: n, gradient: false,
                                predictions: keepPredictions ? preds.baseAddress! + start : nil)
                lossSum += Double(r.loss) * Double(n)
                correct += r.correct
                start += n
            }
        }
    }
    let n = max(dataset.count, 1)
    return EvaluationResult(loss: Float(lossSum / Double(n)), accuracy: Float(Double(correct) / Double(n)),
                            predictions: predictions)
}

/// Evaluates every row of `rows` (each `architecture.parameterCount` long) on `dataset`, rows in
/// parallel on `threads` threads (BLAS single-threaded meanwhile). Results are in row order.
/// The default batch keeps a CNN-s batch's activations in L2 cache (see `PopulationTrainer`).
public func evaluate(rows: [[Float]], architecture: ArchitectureSpec, dataset: ImageDataset,
                     batchSize: Int = 50, threads: Int = defaultThreadCount(),
                     keepPredictions: Bool = false) -> [EvaluationResult] {
    let D = architecture.parameterCount
    for (i, r) in rows.enumerated() {
        precondition(r.count == D, "row \(i) has \(r.count) values, \(architecture.name) has \(D) parameters")
    }
    return parallelMap(count: rows.count, threads: threads) { i, _ in
        let ws = NetworkWorkspace(architecture: architecture, capacity: min(batchSize, max(dataset.count, 1)))
        return rows[i].withUnsafeBufferPointer { evaluate(row: $0.baseAddress!, workspace: ws, dataset: dataset, keepPredictions: keepPredictions) }
    }
}
