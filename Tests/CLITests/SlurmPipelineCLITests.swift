import Foundation
import Testing
import TestSupport
import ZooStore

/// `hz-pipeline run --executor slurm` with a real hz-zoo stage on a real Slurm
/// (tools/cluster/start-local-slurm): the stage becomes a job array of shards plus a merge job and
/// its zoo equals the local executor's bit for bit; a failing shard is reported by
/// `hz-pipeline status`.
@Suite(.serialized, .enabled(if: LocalSlurm.testsEnabled, "needs a Slurm: sbatch on PATH and sinfo answering (tools/cluster/start-local-slurm)"))
struct SlurmPipelineCLITests {
    func spec(_ dir: TemporaryDirectory, trainingImages: Int = 600) throws -> String {
        try Data(ZooCommandTests.dropoutGridConfig.replacingOccurrences(of: "[600, 40, 40]", with: "[\(trainingImages), 40, 40]").utf8)
            .write(to: URL(fileURLWithPath: dir.path("tiny.json")))
        let path = dir.path("pipeline.json")
        try """
            {"pipeline": "zoo-on-slurm", "output": "\(dir.path("slurm"))",
             "stages": [{"name": "zoo", "operator": "zoo", "inputs": {"CONFIG.json": {"file": "tiny.json"}},
                         "params": {"threads": 1, "quiet": true}, "outputs": {"output": "zoo.h5"}}]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func requireSlurm() throws {
        try #require(LocalSlurm.answers, "HYPERZOO_REQUIRE_SLURM=1 but no Slurm answers (sinfo); see /var/tmp/hyperzoo-slurm/log")
    }

    @Test func shardedZooStageEqualsTheLocalRun() throws {
        try requireSlurm()
        let dir = TemporaryDirectory()
        let spec = try spec(dir)
        let local = try ToolRunner.run("hz-pipeline", ["run", spec, "--output", dir.path("local")])
        #expect(local.status == 0, "\(local.stdout)\(local.stderr)")
        let slurm = try ToolRunner.run("hz-pipeline", ["run", spec, "--executor", "slurm", "--shards", "zoo=3", "--wait", "--time", "10:00"])
        #expect(slurm.status == 0, "\(slurm.stdout)\(slurm.stderr)")
        #expect(slurm.stdout.contains("submitted as Slurm job array") && slurm.stdout.contains("(3 shards) and merge job"), "\(slurm.stdout)")
        let a = try ZooReader(path: dir.path("local/zoo/zoo.h5")), b = try ZooReader(path: dir.path("slurm/zoo/zoo.h5"))
        defer { a.close(); b.close() }
        try ShardCommandTests.expectEqualZoos(a, b)
        #expect(!FileManager.default.fileExists(atPath: dir.path("slurm/zoo/.shards")), "the merge job removes the shards")

        let again = try ToolRunner.run("hz-pipeline", ["run", spec, "--executor", "slurm", "--shards", "zoo=3"])
        #expect(again.status == 0 && again.stdout.contains("zoo  cached") && !again.stdout.contains("submitted as"), "\(again.stdout)")
        let options = try ToolRunner.run("hz-pipeline", ["run", spec, "--shards", "zoo=3"])
        #expect(options.status != 0 && options.stderr.contains("need --executor slurm"), "\(options.stderr)")
    }

    /// The shard tasks are cancelled mid-training (scancel, as a preemption or a time limit
    /// would); status reports it; the resubmitted array resumes the shards' partial files kept in
    /// the stage folder, and the zoo still equals the local executor's.
    @Test func cancelledShardsResumeWhenResubmitted() throws {
        try requireSlurm()
        let dir = TemporaryDirectory()
        let spec = try spec(dir, trainingImages: 40000)
        let submit = try ToolRunner.run("hz-pipeline", ["run", spec, "--executor", "slurm", "--shards", "zoo=2"])
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("slurm/.hyperzoo-slurm.json")))) as? [String: Any]
        let array = try #require(((record?["stages"] as? [String: Any])?["zoo"] as? [String: Any])?["shard_job"] as? String, "\(String(describing: record))")
        let state = dir.path("slurm/zoo/.shards/shard-0.h5.partial.trainer")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: state) {
            try #require(Date() < deadline, "shard 0 saved no epoch within 120 s")
            usleep(20_000)
        }
        _ = try ToolRunner.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["scancel", array])
        var status = try ToolRunner.run("hz-pipeline", ["status", spec])
        while status.status == 0 && ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(where: status.stdout.contains) {
            try #require(Date() < deadline, "the jobs did not end within 120 s: \(status.stdout)")
            usleep(300_000)
            status = try ToolRunner.run("hz-pipeline", ["status", spec])
        }
        #expect(status.status == 1 && status.stderr.contains("its Slurm job ended as CANCELLED"), "\(status.stdout)\(status.stderr)")
        #expect(FileManager.default.fileExists(atPath: state), "the interrupted shard is kept for the resume")

        let again = try ToolRunner.run("hz-pipeline", ["run", spec, "--executor", "slurm", "--shards", "zoo=2", "--wait"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let local = try ToolRunner.run("hz-pipeline", ["run", spec, "--output", dir.path("local")])
        #expect(local.status == 0, "\(local.stdout)\(local.stderr)")
        let a = try ZooReader(path: dir.path("local/zoo/zoo.h5")), b = try ZooReader(path: dir.path("slurm/zoo/zoo.h5"))
        defer { a.close(); b.close() }
        try ShardCommandTests.expectEqualZoos(a, b)
    }

    /// Five shards of a four-model zoo: shard 4 holds no model and fails, Slurm cancels the merge,
    /// and `hz-pipeline status` (polled while the jobs run) reports the shard's failure and log.
    @Test func failingShardIsReportedByStatus() throws {
        try requireSlurm()
        let dir = TemporaryDirectory()
        let spec = try spec(dir)
        let submit = try ToolRunner.run("hz-pipeline", ["run", spec, "--executor", "slurm", "--shards", "zoo=5"])
        #expect(submit.status == 0 && submit.stdout.contains("hz-pipeline status"), "\(submit.stdout)\(submit.stderr)")
        let deadline = Date().addingTimeInterval(120)
        var status = try ToolRunner.run("hz-pipeline", ["status", spec])
        while status.status == 0 && ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(where: status.stdout.contains) {
            try #require(Date() < deadline, "the jobs did not end within 120 s: \(status.stdout)")
            usleep(300_000)
            status = try ToolRunner.run("hz-pipeline", ["status", spec])
        }
        #expect(status.status == 1, "\(status.stdout)\(status.stderr)")
        #expect(status.stderr.contains("error: stage 'zoo' failed with exit status 1; see its log: \(dir.path("slurm/logs/zoo.shard-4.log"))"), "\(status.stderr)")
        let log = try String(contentsOfFile: dir.path("slurm/logs/zoo.shard-4.log"), encoding: .utf8)
        #expect(log.contains("holds no models"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("slurm/zoo/zoo.h5")))
        let after = try ToolRunner.run("hz-pipeline", ["status", spec])
        #expect(after.status == 0 && after.stdout.contains("zoo: not run yet"), "\(after.stdout)")
    }
}
