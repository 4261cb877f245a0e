// ZooReader+Selection: choosing rows by split, epoch, model and metric, and flagging bad rows.

/// Why a row was flagged.
public struct RowFlag: Sendable, Equatable {
    /// The checkpoint row.
    public var row: Int
    /// Number of NaN or infinite values in it.
    public var nonFiniteCount: Int
    /// Largest |w| among the finite values.
    public var maxAbs: Float
}

extension ZooReader {
    /// Rows matching every given condition, in row order.
    ///
    /// - Parameters:
    ///   - split: keep rows whose model is in this split. The split stored with each model is
    ///     used unless `splitSeed` is given, in which case models are re-split with
    ///     `Split.assign(modelIDs:seed:fractions:)` (all epochs of a model stay together).
    ///   - epochs: keep only these epochs.
    ///   - models: keep only these model ids.
    public func select(split: Split? = nil, epochs: Set<Int>? = nil, models modelIDs: Set<String>? = nil,
                       splitSeed: UInt64? = nil,
                       fractions: (train: Double, val: Double, test: Double) = (0.7, 0.15, 0.15)) -> [Int] {
        let modelSplits: [Split] = splitSeed.map { Split.assign(modelIDs: models.map(\.id), seed: $0, fractions: fractions) }
            ?? models.map(\.split)
        return (0..<checkpointCount).filter { row in
            let m = modelIndex[row]
            if let split, modelSplits[m] != split { return false }
            if let epochs, !epochs.contains(epoch[row]) { return false }
            if let modelIDs, !modelIDs.contains(models[m].id) { return false }
            return true
        }
    }

    /// The `k` best rows by `metric` among `rows` (default all), best first; rows whose metric is
    /// unknown (NaN) are skipped. Ties keep row order.
    /// - Parameter highestFirst: defaults to `metric.higherIsBetter`.
    public func topK(_ k: Int, by metric: Metric, among rows: [Int]? = nil, highestFirst: Bool? = nil) -> [Int] {
        let values = metricColumns[metric]!
        let descending = highestFirst ?? metric.higherIsBetter
        let candidates = (rows ?? Array(0..<checkpointCount)).filter { !values[$0].isNaN }
        let sorted = candidates.enumerated().sorted { a, b in
            let (x, y) = (values[a.element], values[b.element])
            if x != y { return descending ? x > y : x < y }
            return a.offset < b.offset
        }
        return sorted.prefix(max(0, k)).map(\.element)
    }

    /// Rows holding a NaN/infinite value or any |w| above `threshold`, found by streaming the
    /// weights in batches (memory: one batch).
    public func flagged(nanOrAbove threshold: Float, batchSize: Int = 256) throws -> [RowFlag] {
        var result: [RowFlag] = []
        var batches = rows(batchSize: batchSize)
        let p = parameterCount
        while let batch = try batches.next() {
            for (k, row) in batch.rows.enumerated() {
                var nonFinite = 0
                var maxAbs: Float = 0
                for w in batch.values[(k * p)..<((k + 1) * p)] {
                    if w.isFinite { maxAbs = max(maxAbs, abs(w)) } else { nonFinite += 1 }
                }
                if nonFinite > 0 || maxAbs > threshold {
                    result.append(RowFlag(row: row, nonFiniteCount: nonFinite, maxAbs: maxAbs))
                }
            }
        }
        return result
    }
}
