// Joins the shard files of one zoo (ZooShard) into the zoo a single process writes: the same
// models in the same order, the rows of each architecture epoch-major then by model (the order
// ZooBuilder appends them), the same metrics and root attributes minus the `shard` bookkeeping.
// Shards are checked to belong together before anything is written.

/// Merging shard files into one zoo.
public enum ZooShardMerge {
    /// What a merge wrote.
    public struct Summary: Sendable, Codable {
        public var output: String
        public var shards: Int
        public var models: Int
        public var checkpoints: Int
    }

    /// Checks `shards` (same spec digest and config, same N, each index 0..<N exactly once) and
    /// writes the merged zoo atomically to `output` (refused if it exists, unless `force`).
    /// - Throws: `ZooStoreError` `.invalid` naming every missing index, duplicate and foreign file.
    @discardableResult
    public static func merge(shards paths: [String], output: String, force: Bool = false) throws -> Summary {
        guard !paths.isEmpty else { throw ZooStoreError(.invalid, path: output, message: "no shard files given") }
        var readers: [ZooReader] = []
        defer { for r in readers { r.close() } }
        var records: [ZooShardRecord] = []
        var foreign: [(path: String, reason: String)] = []
        for p in paths {
            let r = try ZooReader(path: p, formats: [.zoo])
            guard let rec = try ZooShardRecord.read(r) else { r.close(); foreign.append((p, "no 'shard' attribute: not an hz-zoo --shard file")); continue }
            readers.append(r); records.append(rec)
        }
        guard let reference = records.first, let first = readers.first else {
            throw ZooStoreError(.invalid, path: paths[0], message: "no shard files among the inputs: \(foreign.map { "\($0.path) (\($0.reason))" }.joined(separator: "; "))")
        }
        var set = ShardSet(noun: "shard", count: reference.count)
        for p in foreign { set.reject(p.path, because: p.reason) }
        for (k, rec) in records.enumerated() {
            let r = readers[k]
            if rec.specDigest != reference.specDigest || r.config != first.config {
                set.reject(r.path, because: "spec digest \(rec.specDigest), expected \(reference.specDigest) of \(first.path)")
            } else if rec.count != reference.count || rec.totalModels != reference.totalModels {
                set.reject(r.path, because: "shard of \(rec.count) for \(rec.totalModels) models, expected \(reference.count) for \(reference.totalModels)")
            } else if rec.index < 0 || rec.index >= rec.count || (try? ZooShard(index: rec.index, count: rec.count).models(of: rec.totalModels)) != rec.models
                        || r.models.count != rec.models.count || r.layouts != first.layouts {
                set.reject(r.path, because: "its models or architectures are not shard \(rec.index)/\(rec.count)'s")
            } else {
                set.offer(k, path: r.path, index: rec.index)
            }
        }
        if let problems = set.problems {
            throw ZooStoreError(.invalid, path: output, message: "cannot merge: " + problems + "; pass exactly the \(reference.count) shard files of one hz-zoo --shard run")
        }
        let byIndex = set.byIndex

        // Global model m lives in shard m mod N at position m / N of its models.
        let n = reference.count
        let writer = try ZooWriter.create(path: output, layouts: first.layouts, config: first.config, format: .zoo, overwrite: force)
        do {
            let layoutOfModel = readers.map(modelLayouts)
            for m in 0..<reference.totalModels {
                let k = byIndex[m % n]!
                let local = m / n
                try writer.addModel(readers[k].models[local], layout: layoutOfModel[k][local])
            }
            for name in first.metadataNames where name != ZooShard.attribute {
                if let v = first.metadata(name) { try writer.setMetadata(name, v) }
            }
            // (epoch, global model) -> (reader, row), appended in that order.
            var rows: [(epoch: Int, model: Int, reader: Int, row: Int)] = []
            for (s, k) in byIndex {
                let r = readers[k]
                for row in 0..<r.checkpointCount { rows.append((r.epoch[row], r.modelIndex[row] * n + s, k, row)) }
            }
            rows.sort { ($0.epoch, $0.model) < ($1.epoch, $1.model) }
            for e in rows {
                let r = readers[e.reader]
                try writer.appendCheckpoint(model: r.models[r.modelIndex[e.row]].id, epoch: e.epoch, row: try r.readRow(e.row),
                                            metrics: r.metrics(row: e.row), layout: r.architecture(ofRow: e.row))
            }
            let checkpoints = writer.checkpointCount
            try writer.finish()
            return Summary(output: output, shards: n, models: reference.totalModels, checkpoints: checkpoints)
        } catch {
            writer.close()
            writer.output.discard()
            throw error
        }
    }

    /// Each model's architecture (from its first row; nil for a model without rows).
    private static func modelLayouts(_ reader: ZooReader) -> [Int: String] {
        var out: [Int: String] = [:]
        for row in 0..<reader.checkpointCount where out[reader.modelIndex[row]] == nil {
            out[reader.modelIndex[row]] = reader.architecture(ofRow: row)
        }
        return out
    }
}
