// `hz-eval --shard I/N` as separate processes (job-array style) and `hyperzoo merge-eval`: the
// merged report equals the single-process report; wrong part sets and crafted parts are refused;
// what a shard cannot compute is refused with --shard.
import Foundation
import Testing
import TestSupport
import HyperRep
import ZooStore

@Suite(.serialized) struct EvalShardTests {
    static var built: Bool { stageBuilt("hz-eval") && stageBuilt("hz-zoo") && stageBuilt("hz-sample") && stageBuilt("hyperzoo") }

    /// A tiny synthetic zoo, a 4-model population, and the options every run here shares
    /// (transfer to the digits, so transfer results are merged too).
    static func setUp() throws -> (dir: TemporaryDirectory, common: [String]) {
        let dir = TemporaryDirectory()
        try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "synthetic", "synthetic_counts": [120, 20, 80]}"#, models: 10, epochs: 2)
        let sampled = try runStage("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "4", "-o", dir.path("pop.h5")])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let common = [dir.path("pop.h5"), "--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "3", "--ensemble-sizes", "none",
                      "--no-novelty", "--bootstrap", "50", "--transfer", "digits", "--transfer-train-subset", "60",
                      "--transfer-test-subset", "60"]
        return (dir, common)
    }

    static func eval(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
        let r = try ToolRunner.runKilling(ToolRunner.executable("hz-eval"), args, environment: env, until: nil)
        return (r.status, r.stderr)
    }

    static func report(_ folder: String) throws -> EvaluationReport {
        try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: folder + "/report.json")))
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EvaluationReport.jsonEncoder().encode(value), as: UTF8.self)
    }

    @Test(.enabled(if: built, "needs hz-zoo, hz-sample, hz-eval and hyperzoo built"))
    func twoShardsMergedEqualASingleRunAndWrongPartsAreRefused() throws {
        let (dir, common) = try Self.setUp()
        let single = try Self.eval(common + ["--threads", "2", "-o", dir.path("single")])
        #expect(single.status == 0, "\(single.stderr)")
        // Shard 1 through Slurm's job-array variables, one thread each (threads must not matter).
        let p0 = dir.path("part-0.json"), p1 = dir.path("part-1.json")
        let s0 = try Self.eval(common + ["--threads", "1", "--shard", "0/2", "-o", p0])
        let s1 = try Self.eval(common + ["--threads", "1", "--shard", "env", "-o", p1],
                               env: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        #expect(s0.status == 0 && s1.status == 0, "\(s0.stderr) \(s1.stderr)")
        let part1 = try EvaluationPart.read(p1)
        #expect(part1.index == 1 && part1.count == 2 && part1.totalMembers == 3 && part1.members == [1])
        #expect(part1.record.populations.count == 3 && part1.record.populations.allSatisfy { $0.members == [1] && $0.modelCount == 3 })

        let merged = dir.path("merged")
        let m = try runStage("hyperzoo", ["merge-eval", p1, p0, "-o", merged])
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout.contains("\(merged)/report.json"))
        let a = try Self.report(dir.path("single")), b = try Self.report(merged)
        #expect(a.populations.count == 3 && a.transfers.count == 1 && a.transfers[0].populations.count == 3)
        // Per-model numbers bit for bit, and every statistic, comparison and summary line.
        for (x, y) in zip(a.populations + a.transfers[0].populations, b.populations + b.transfers[0].populations) {
            #expect(x.name == y.name && x.modelCount == y.modelCount && x.details == y.details)
            for (ex, ey) in zip(x.epochs, y.epochs) {
                #expect(ex.accuracies.map(\.bitPattern) == ey.accuracies.map(\.bitPattern), "\(x.name) epoch \(ex.epoch) accuracies")
                #expect(ex.losses.map(\.bitPattern) == ey.losses.map(\.bitPattern), "\(x.name) epoch \(ex.epoch) losses")
            }
        }
        #expect(try Self.json(a.populations) == Self.json(b.populations))
        #expect(try Self.json(a.transfers) == Self.json(b.transfers))
        #expect(try Self.json(a.comparisons) == Self.json(b.comparisons))
        #expect(a.summary == b.summary && a.notes == b.notes && a.seeds == b.seeds)
        #expect(try Self.json(a.noiseControls) == Self.json(b.noiseControls) && a.diagnostics == b.diagnostics)
        #expect(try Self.json(a.latentProjection) == Self.json(b.latentProjection))
        let ignored: Set<String> = ["seconds", "threads", "shards"]
        #expect(a.settings.filter { !ignored.contains($0.key) } == b.settings.filter { !ignored.contains($0.key) })
        #expect(b.settings["shards"] == "2")
        #expect(b.commands.filter { $0.contains("--shard") }.count == 2 && b.commands.last?.contains("merge-eval") == true)
        #expect(FileManager.default.fileExists(atPath: merged + "/report.html"))

        // A report is not replaced without --force.
        let again = try runStage("hyperzoo", ["merge-eval", p0, p1, "-o", merged])
        #expect(again.status == 1 && again.stderr.contains("--force"), "\(again.stderr)")

        // Missing, duplicate and foreign parts: one line naming each, nothing written.
        let foreign = dir.path("foreign-1.json")
        let f = try Self.eval(common + ["--seed", "9", "--threads", "1", "--shard", "1/2", "-o", foreign])
        #expect(f.status == 0, "\(f.stderr)")
        let out = dir.path("refused")
        let missing = try runStage("hyperzoo", ["merge-eval", p0, "-o", out])
        #expect(missing.status == 1 && missing.stderr.contains("missing part 1 of 2"), "\(missing.stderr)")
        let duplicate = try runStage("hyperzoo", ["merge-eval", p0, p1, p0, "-o", out])
        #expect(duplicate.status == 1 && duplicate.stderr.contains("part 0 twice"), "\(duplicate.stderr)")
        let mixed = try runStage("hyperzoo", ["merge-eval", p0, foreign, "-o", out])
        #expect(mixed.status == 1 && mixed.stderr.contains("missing part 1 of 2") && mixed.stderr.contains("foreign: \(foreign) (digest"),
                "\(mixed.stderr)")
        for r in [missing, duplicate, mixed] { #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: out))

        // Crafted parts: absurd header numbers and per-model numbers are refused before use.
        let text = try String(contentsOfFile: p1, encoding: .utf8)
        let crafted: [(String, String, String)] = [
            ("\"total_members\":3", "\"total_members\":1e300", "total_members"),
            ("\"index\":1", "\"index\":1.5", "index 1.5"),
            ("\"count\":2", "\"count\":-2", "count -2"),
            ("\"members\":[1]", "\"members\":[1,2,3,4]", "members"),
            ("\"resamples\":50", "\"resamples\":1e15", "resamples"),
        ]
        for (k, (from, to, named)) in crafted.enumerated() {
            #expect(text.contains(from), "the part file no longer contains \(from)")
            let bad = dir.path("crafted-\(k).json")
            try text.replacingOccurrences(of: from, with: to).write(toFile: bad, atomically: true, encoding: .utf8)
            let r = try runStage("hyperzoo", ["merge-eval", p0, bad, "-o", out])
            #expect(r.status == 1 && r.stderr.contains(bad) && r.stderr.contains(named), "\(to): \(r.stderr)")
        }
        // An accuracy outside [0, 1].
        var part = try EvaluationPart.read(p1)
        part.record.populations[0].epochs[0].accuracies[0] = 7
        let badAccuracy = dir.path("crafted-accuracy.json")
        try part.write(to: badAccuracy, overwrite: false)
        let r = try runStage("hyperzoo", ["merge-eval", p0, badAccuracy, "-o", out])
        #expect(r.status == 1 && r.stderr.contains("accuracy 7.0 is not in [0, 1]"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Ensembles and novelty need whole populations: refused with --shard, before any work.
    @Test(.enabled(if: built, "needs hz-zoo, hz-sample, hz-eval and hyperzoo built"))
    func whatAShardCannotComputeIsRefused() throws {
        let (dir, common) = try Self.setUp()
        let withoutExclusions = common.filter { $0 != "--no-novelty" }
        let novelty = try Self.eval(withoutExclusions + ["--shard", "0/2", "-o", dir.path("p.json")])
        #expect(novelty.status == 1 && novelty.stderr.contains("--no-novelty"), "\(novelty.stderr)")
        let ensembles = try Self.eval(common + ["--ensemble-sizes", "2", "--shard", "0/2", "-o", dir.path("p.json")])
        #expect(ensembles.status == 1 && ensembles.stderr.contains("--ensemble-sizes none"), "\(ensembles.stderr)")
        let tooMany = try Self.eval(common + ["--shard", "3/4", "-o", dir.path("p.json")])
        #expect(tooMany.status == 1 && tooMany.stderr.contains("more shards than --models 3"), "\(tooMany.stderr)")
        let badShard = try Self.eval(common + ["--shard", "2/2", "-o", dir.path("p.json")])
        #expect(badShard.status != 0 && badShard.stderr.contains("shard index 2"), "\(badShard.stderr)")
        let noEnv = try Self.eval(common + ["--shard", "env", "-o", dir.path("p.json")], env: ["SLURM_ARRAY_TASK_ID": ""])
        #expect(noEnv.status == 1 && noEnv.stderr.contains("SLURM_ARRAY_TASK_ID"), "\(noEnv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("p.json")))
    }

    /// The library entry point, in process: the report hz-eval writes, and shards merged in
    /// process give it again.
    @Test(.enabled(if: built, "needs hz-zoo, hz-sample, hz-eval and hyperzoo built"))
    func theLibraryRunIsTheCommandsRun() throws {
        let (dir, common) = try Self.setUp()
        let command = try Self.eval(common + ["--threads", "2", "-o", dir.path("command")])
        #expect(command.status == 0, "\(command.stderr)")
        var o = EvaluationOptions(populations: [dir.path("pop.h5")], zoo: dir.path("zoo.h5"), output: dir.path("library"))
        o.epochs = [0, 1]; o.models = 3; o.ensembleSizes = []; o.novelty = false; o.bootstrap = 50; o.threads = 2
        o.transfer = "digits"; o.transferTrainSubset = 60; o.transferTestSubset = 60
        guard case .report(let library) = try EvaluationRun.run(o, environment: EvaluationEnvironment()) else {
            Issue.record("a run without a shard wrote no report"); return
        }
        let written = try Self.report(dir.path("command"))
        for r in [library, try Self.report(dir.path("library"))] {
            #expect(try Self.json(r.populations) == Self.json(written.populations))
            #expect(try Self.json(r.transfers) == Self.json(written.transfers) && Self.json(r.comparisons) == Self.json(written.comparisons))
        }
        var parts: [String] = []
        for i in 0..<3 {
            o.shard = try ZooShard(index: i, count: 3)
            o.output = dir.path("lib-part-\(i).json")
            guard case .part(let part) = try EvaluationRun.run(o, environment: EvaluationEnvironment()) else {
                Issue.record("a shard wrote no part"); return
            }
            #expect(part.members == [i])
            parts.append(o.output)
        }
        let merged = try EvaluationMerge.run(parts: parts, output: dir.path("lib-merged"), force: false, commandLine: "merge", generator: "g")
        #expect(try Self.json(merged.populations) == Self.json(written.populations) && Self.json(merged.comparisons) == Self.json(written.comparisons))
    }
}
