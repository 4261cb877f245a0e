import Foundation
import Testing
import TestSupport
import ZooStore
import HDF5

/// `hz-zoo --shard I/N` as separate processes (job-array style) and `hyperzoo merge`: the merged
/// zoo equals the single-process zoo; wrong shard sets are refused; a killed shard resumes.
@Suite(.serialized) struct ShardCommandTests {
    static func zoo(_ args: [String], env: [String: String] = [:], until stop: ((Process) -> Bool)? = nil) throws -> (status: Int32, killed: Bool, stderr: String) {
        try ToolRunner.runKilling(ToolRunner.executable("hz-zoo"), args, environment: env, until: stop)
    }

    static func merge(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run("hyperzoo", ["merge"] + args)
    }

    /// Every dataset the reader exposes and every root attribute except the shard bookkeeping.
    static func expectEqualZoos(_ a: ZooReader, _ b: ZooReader) throws {
        #expect(a.formatVersion == b.formatVersion && a.architecture == b.architecture)
        #expect(a.layouts == b.layouts && a.layoutRows == b.layoutRows)
        #expect(a.config == b.config)
        #expect(a.models == b.models)
        #expect(a.modelIndex == b.modelIndex && a.epoch == b.epoch)
        #expect(Set(a.metadataNames) == Set(b.metadataNames.filter { $0 != ZooShard.attribute }))
        for name in a.metadataNames { #expect(a.metadata(name) == b.metadata(name), "attribute \(name)") }
        let rowsA = try a.readRows(0..<a.checkpointCount), rowsB = try b.readRows(0..<b.checkpointCount)
        #expect(rowsA.map(\.bitPattern) == rowsB.map(\.bitPattern), "weights differ")
        for metric in Metric.allCases {
            #expect(a.metricColumns[metric]?.map(\.bitPattern) == b.metricColumns[metric]?.map(\.bitPattern), "\(metric) differs")
        }
    }

    func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    /// Three shards of a four-model grid zoo (two architecture groups, uneven shards), one of them
    /// through `--shard env` (Slurm's job-array variables), merged in scrambled order.
    @Test func mergedShardsEqualTheSingleProcessZoo() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        try write(ZooCommandTests.dropoutGridConfig, cfg)
        let whole = dir.path("whole.h5")
        let single = try Self.zoo([cfg, "-o", whole, "-q", "--threads", "2"])
        #expect(single.status == 0, "\(single.stderr)")
        var shards: [String] = []
        for i in 0..<3 {
            let out = dir.path("shard-\(i).h5")
            let r = i == 1
                ? try Self.zoo([cfg, "-o", out, "-q", "--threads", "1", "--shard", "env"], env: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"])
                : try Self.zoo([cfg, "-o", out, "-q", "--threads", "1", "--shard", "\(i)/3"])
            #expect(r.status == 0, "\(r.stderr)")
            shards.append(out)
        }
        let s1 = try ZooReader(path: shards[1])
        let record = try ZooShardRecord.read(s1)
        s1.close()
        #expect(record?.index == 1 && record?.count == 3 && record?.models == [1] && record?.totalModels == 4)

        let merged = dir.path("merged.h5")
        let m = try Self.merge([shards[2], shards[0], shards[1], "-o", merged])
        #expect(m.status == 0, "\(m.stderr)")
        let a = try ZooReader(path: whole), b = try ZooReader(path: merged)
        defer { a.close(); b.close() }
        #expect(a.checkpointCount == 4 * 7)
        try Self.expectEqualZoos(a, b)
        #expect(b.metadata(ZooShard.attribute) == nil)

        let again = try Self.merge(shards + ["-o", merged])
        #expect(again.status != 0 && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(try Self.merge(shards + ["-o", merged, "--force"]).status == 0)
    }

    /// Missing, duplicate and foreign shards: one line naming each, exit 1, nothing written.
    @Test func refusesShardSetsThatDoNotBelongTogether() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json"), other = dir.path("other.json")
        try write(ZooCommandTests.config.replacingOccurrences(of: "\"epochs\": 6", with: "\"epochs\": 1"), cfg)
        try write(ZooCommandTests.config.replacingOccurrences(of: "\"epochs\": 6", with: "\"epochs\": 1")
            .replacingOccurrences(of: "\"start\": 1", with: "\"start\": 7"), other)
        func shard(_ config: String, _ spec: String, _ name: String) throws -> String {
            let out = dir.path(name)
            let r = try Self.zoo([config, "-o", out, "-q", "--threads", "1", "--shard", spec])
            #expect(r.status == 0, "\(r.stderr)")
            return out
        }
        let s0 = try shard(cfg, "0/3", "s0.h5"), s1 = try shard(cfg, "1/3", "s1.h5"), s2 = try shard(cfg, "2/3", "s2.h5")
        let foreign = try shard(other, "2/3", "foreign.h5")
        let plain = dir.path("plain.h5")
        #expect(try Self.zoo([cfg, "-o", plain, "-q"]).status == 0)
        let out = dir.path("zoo.h5")

        let missing = try Self.merge([s0, s2, "-o", out])
        #expect(missing.status == 1 && missing.stderr.contains("missing shard 1 of 3"), "\(missing.stderr)")
        let duplicate = try Self.merge([s0, s1, s1, s2, "-o", out])
        #expect(duplicate.status == 1 && duplicate.stderr.contains("shard 1 twice"), "\(duplicate.stderr)")
        let wrong = try Self.merge([s0, s1, foreign, plain, "-o", out])
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("missing shard 2 of 3") && wrong.stderr.contains("foreign.h5 (spec digest")
                && wrong.stderr.contains("plain.h5 (no 'shard' attribute"), "\(wrong.stderr)")
        for r in [missing, duplicate, wrong] {
            #expect(r.stderr.split(separator: "\n").count == 1, "one error line: \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))

        // A shard attribute with numbers no run writes (a damaged or crafted file) is one error
        // line, not a trap in Int(Double) or an allocation sized by the file.
        let hostile = [
            #"{"spec_digest": "0", "index": 0, "count": 1e300, "total_models": 4, "models": [0]}"#,
            #"{"spec_digest": "0", "index": 0, "count": 0, "total_models": 4, "models": [0]}"#,
            #"{"spec_digest": "0", "index": 0.5, "count": 3, "total_models": 4, "models": [0]}"#,
            #"{"spec_digest": "0", "index": 0, "count": 3, "total_models": 1e18, "models": [0]}"#,
            #"{"spec_digest": "0", "index": 0, "count": 3, "total_models": 4, "models": [1e300]}"#,
        ]
        for (n, text) in hostile.enumerated() {
            let path = dir.path("hostile-\(n).h5")
            try FileManager.default.copyItem(atPath: s0, toPath: path)
            let file = try File(path: path, mode: .readWrite)
            try file.attributes.set("shard", text)
            file.close()
            let r = try Self.merge([path, s1, s2, "-o", out])
            #expect(r.status == 1 && r.stderr.contains("shard attribute") && r.stderr.split(separator: "\n").count == 1, "\(text): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))

        let bad = try Self.zoo([cfg, "-o", dir.path("x.h5"), "--shard", "3/3"])
        #expect(bad.status != 0 && bad.stderr.contains("0...2"), "\(bad.stderr)")
        let noEnv = try Self.zoo([cfg, "-o", dir.path("x.h5"), "--shard", "env"], env: ["SLURM_ARRAY_TASK_ID": "", "SLURM_ARRAY_TASK_COUNT": ""])
        #expect(noEnv.status == 1 && noEnv.stderr.contains("SLURM_ARRAY_TASK_ID"), "\(noEnv.stderr)")
    }

    /// A shard killed after an epoch resumes on its own; merged with the other shard it still
    /// equals the single-process zoo.
    @Test func killedShardResumes() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        try write(ZooCommandTests.config, cfg)
        let whole = dir.path("whole.h5"), s0 = dir.path("s0.h5"), s1 = dir.path("s1.h5")
        #expect(try Self.zoo([cfg, "-o", whole, "-q", "--threads", "2"]).status == 0)
        #expect(try Self.zoo([cfg, "-o", s1, "-q", "--threads", "1", "--shard", "1/2"]).status == 0)
        let state = s0 + ".partial.trainer"
        let cut = try Self.zoo([cfg, "-o", s0, "-q", "--threads", "1", "--shard", "0/2"]) { _ in
            ZooCommandTests.stateEpoch(state).map { $0 >= 2 } ?? false
        }
        #expect(cut.killed, "the shard finished before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: s0) && FileManager.default.fileExists(atPath: s0 + ".partial"))
        let wrongShard = try Self.zoo([cfg, "-o", s0, "-q", "--shard", "1/2"])
        #expect(wrongShard.status == 1 && wrongShard.stderr.contains("shard 0/2"), "\(wrongShard.stderr)")
        let resumed = try Self.zoo([cfg, "-o", s0, "-q", "--threads", "1", "--shard", "0/2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let merged = dir.path("merged.h5")
        let m = try Self.merge([s0, s1, "-o", merged])
        #expect(m.status == 0, "\(m.stderr)")
        let a = try ZooReader(path: whole), b = try ZooReader(path: merged)
        defer { a.close(); b.close() }
        try Self.expectEqualZoos(a, b)
    }
}
