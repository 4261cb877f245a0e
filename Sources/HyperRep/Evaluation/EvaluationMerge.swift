// `hyperzoo merge-eval`: joins the part files of one sharded evaluation into the record a single
// hz-eval run makes (member m from part m mod N, at position m / N of its members) and writes the
// report computed from it, so its per-model numbers are the single run's bit for bit and its
// statistics are computed by the same code from the same numbers.
import Foundation
import ZooStore

/// Merging evaluation parts.
public enum EvaluationMerge {
    /// Checks that `paths` are the parts of one run (same digest, same N and member count, each
    /// index 0..<N exactly once) and joins their records.
    /// - Throws: ``EvaluationError``: one line naming every missing index, duplicate and foreign
    ///   part; or the first part that is not a readable, consistent part file.
    public static func merge(parts paths: [String], commandLine: String) throws -> EvaluationRecord {
        guard !paths.isEmpty else { throw EvaluationError("merge-eval: no part files given") }
        let parts = try paths.map(EvaluationPart.read)
        let reference = parts[0]
        var set = ShardSet(noun: "part", count: reference.count)
        for (k, p) in parts.enumerated() {
            if p.digest != reference.digest {
                set.reject(paths[k], because: "digest \(p.digest), expected \(reference.digest) of \(paths[0])")
            } else if p.count != reference.count || p.totalMembers != reference.totalMembers {
                set.reject(paths[k], because: "part of \(p.count) for \(p.totalMembers) members, expected \(reference.count) for \(reference.totalMembers)")
            } else if !sameShape(p.record, reference.record) {
                set.reject(paths[k], because: "its populations, transfers or epochs are not those of \(paths[0])")
            } else {
                set.offer(k, path: paths[k], index: p.index)
            }
        }
        if let problems = set.problems {
            throw EvaluationError("cannot merge: " + problems + "; pass exactly the \(reference.count) part files of one hz-eval --shard run")
        }

        let ordered = (0..<reference.count).map { parts[set.byIndex[$0]!] }
        let n = reference.count, total = reference.totalMembers
        func join(_ pick: (EvaluationRecord) -> [PopulationMeasurement]) -> [PopulationMeasurement] {
            let each = ordered.map { pick($0.record) }
            return each[0].indices.map { q in
                var whole = each[0][q]
                whole.members = Array(0..<total)
                whole.epochs = whole.epochs.indices.map { e in
                    var accuracies = [Double](repeating: 0, count: total), losses = [Double](repeating: 0, count: total)
                    for m in 0..<total {
                        let epoch = each[m % n][q].epochs[e]
                        accuracies[m] = epoch.accuracies[m / n]
                        losses[m] = epoch.losses[m / n]
                    }
                    return EpochMeasurement(epoch: whole.epochs[e].epoch, accuracies: accuracies, losses: losses)
                }
                return whole
            }
        }
        var merged = ordered[0].record
        merged.populations = join(\.populations)
        merged.transfers = merged.transfers.indices.map { t in
            var transfer = merged.transfers[t]
            transfer.populations = join { $0.transfers[t].populations }
            return transfer
        }
        merged.commands = ordered.flatMap(\.record.commands) + [commandLine]
        let seconds = ordered.compactMap { Double($0.record.settings["seconds"] ?? "") }.reduce(0, +)
        merged.settings["seconds"] = String(format: "%.1f", seconds)
        merged.settings["shards"] = String(n)
        return merged
    }

    /// Whether two records hold the same populations (names, roles, member counts), transfers
    /// and epochs, so their members can be joined.
    static func sameShape(_ a: EvaluationRecord, _ b: EvaluationRecord) -> Bool {
        func shape(_ ps: [PopulationMeasurement]) -> [String] {
            ps.map { "\($0.name)|\($0.role)|\($0.modelCount)|\($0.epochs.map(\.epoch))" }
        }
        return shape(a.populations) == shape(b.populations)
            && a.transfers.map { "\($0.source)→\($0.target)" + shape($0.populations).joined() } == b.transfers.map { "\($0.source)→\($0.target)" + shape($0.populations).joined() }
    }

    /// Merges `parts` and writes report.json and report.html into `output` (refused if a report
    /// is there, unless `force`); returns the report.
    public static func run(parts: [String], output: String, force: Bool, commandLine: String, generator: String) throws -> EvaluationReport {
        try ReportFiles.checkFolder(output, force: force)
        let record = try merge(parts: parts, commandLine: commandLine)
        let report = record.report(generator: generator, createdAt: ISO8601DateFormatter().string(from: Date()))
        try ReportFiles.write(report, to: output)
        return report
    }
}
