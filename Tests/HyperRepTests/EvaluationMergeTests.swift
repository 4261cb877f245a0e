// EvaluationMerge and EvaluationPart in process: parts cut from one record join back into it, and
// the report made from the join equals the report made from the whole record.
import Foundation
import Testing
import TestSupport
import HyperRep

@Suite struct EvaluationMergeTests {
    /// A record of `members` members of a sampled population and B_T at epochs 0 and 3, with
    /// distinct per-member numbers; `subset` keeps only those members.
    static func record(members: Int, subset: [Int]? = nil) -> EvaluationRecord {
        let kept = subset ?? Array(0..<members)
        func population(_ name: String, _ role: String, _ offset: Double) -> PopulationMeasurement {
            PopulationMeasurement(name: name, role: role, details: ["file": name + ".h5"], modelCount: members, members: kept, epochs: [0, 3].map { e in
                EpochMeasurement(epoch: e, accuracies: kept.map { (Double($0) * 0.07 + offset + Double(e) * 0.05).truncatingRemainder(dividingBy: 1) },
                                 losses: kept.map { 2.5 - Double($0) * 0.1 - Double(e) })
            })
        }
        let pops = [population("S_KDE", "sampled", 0.1), population("B_T", "baseline", 0.3)]
        return EvaluationRecord(inputCommands: ["hz-sample ..."], commands: ["hz-eval ..."], seeds: ["evaluation": 4],
                                settings: ["seconds": "1.0", "zoo": "zoo.h5"], notes: ["a note"], seed: 4, resamples: 40,
                                populations: pops, transfers: [TransferMeasurement(source: "a", target: "b", populations: pops)])
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EvaluationReport.jsonEncoder().encode(value), as: UTF8.self)
    }

    @Test func partsOfARecordJoinIntoItsReport() throws {
        let dir = TemporaryDirectory()
        let whole = Self.record(members: 7)
        var paths: [String] = []
        for i in [2, 0, 1] {
            let members = Array(stride(from: i, to: 7, by: 3))   // member m belongs to part m mod 3
            let part = EvaluationPart(digest: "abc", index: i, count: 3, totalMembers: 7, members: members,
                                      record: Self.record(members: 7, subset: members))
            paths.append(dir.path("p\(i).json"))
            try part.write(to: paths.last!, overwrite: false)
        }
        let merged = try EvaluationMerge.merge(parts: paths, commandLine: "merge")
        #expect(try Self.json(merged.populations) == Self.json(whole.populations))
        #expect(try Self.json(merged.transfers) == Self.json(whole.transfers))
        let a = whole.report(generator: "g", createdAt: "t"), b = merged.report(generator: "g", createdAt: "t")
        #expect(try Self.json(a.populations) == Self.json(b.populations) && Self.json(a.comparisons) == Self.json(b.comparisons))
        #expect(a.summary == b.summary && !(a.comparisons ?? []).isEmpty)
        #expect(merged.settings["shards"] == "3" && merged.commands.last == "merge")

        // One part twice and one missing, in one error.
        #expect { try EvaluationMerge.merge(parts: [paths[0], paths[1], paths[1]], commandLine: "m") } throws: { error in
            let text = "\(error)"
            return text.contains("missing part 1 of 3") && text.contains("part 0 twice")
        }
    }
}
