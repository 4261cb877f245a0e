// The Slurm executor against a real Slurm (tools/cluster/start-local-slurm: slurmctld and slurmd
// on this machine): the fake /bin/sh operators go through sbatch with their dependencies, end
// with the local executor's outputs and lock keys, and a failing stage's dependents are cancelled
// by Slurm and reported. Enabled when a Slurm answers, or required by tools/test.
import Foundation
import Pipeline
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: LocalSlurm.testsEnabled, "needs a Slurm: sbatch on PATH and sinfo answering (tools/cluster/start-local-slurm)"))
struct SlurmExecutorTests {
    func client() throws -> SlurmClient {
        try #require(LocalSlurm.answers, "HYPERZOO_REQUIRE_SLURM=1 but no Slurm answers (sinfo); see /var/tmp/hyperzoo-slurm/log")
        return try #require(SlurmClient.find(), "sbatch, squeue or scancel missing from PATH")
    }

    func runner(_ spec: PipelineSpec, _ ops: FakeOperators, lines: LineSink) throws -> PipelineRunner {
        let plan = try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog)
        return try PipelineRunner(plan: plan, options: RunOptions(), say: { lines.append($0) })
    }

    /// Polls squeue until none of the record's jobs is queued or running (at most 120 s).
    func waitForJobs(_ slurm: SlurmClient, folder: String) throws {
        let record = try #require(try SlurmRecord.read(folder: folder))
        let deadline = Date().addingTimeInterval(120)
        while try !slurm.states(of: record.jobs).values.filter(SlurmClient.activeStates.contains).isEmpty {
            try #require(Date() < deadline, "the Slurm jobs \(record.jobs) did not end within 120 s")
            usleep(200_000)
        }
    }

    @Test func pipelineThroughSlurmEqualsTheLocalRun() throws {
        let slurm = try client()
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        // gen sleeps, so dbl (reading gen's output) fails unless Slurm really waits for gen.
        func spec(_ folder: String) -> String {
            """
            {"pipeline": "chain", "output": "\(dir.url.path)/\(folder)", "vars": {"n": 4},
             "stages": [
               {"name": "gen", "operator": "gen", "params": {"count": "${n}", "sleep": 1}, "outputs": {"output": "nums.txt"}},
               {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "doubled.txt"}},
               {"name": "side", "operator": "gen", "params": {"count": 2}, "outputs": {"output": "side.txt"}},
               {"name": "join", "operator": "join", "inputs": {"part": ["dbl.output", "side.output"]}, "outputs": {"output": "all.txt"}}
             ]}
            """
        }
        let (local, _) = try runOnce(try loadSpec(spec("local"), in: dir), ops)
        #expect(local.succeeded)

        let slurmSpec = try loadSpec(spec("slurm"), in: dir)
        let lines = LineSink()
        let summary = try runner(slurmSpec, ops, lines: lines).submit(to: slurm, options: SlurmSubmitOptions(wait: true, pollSeconds: 0.2))
        #expect(summary.succeeded && summary.ran == ["dbl", "gen", "join", "side"], "\(summary.outcomes)\n\(lines.lines.joined(separator: "\n"))")
        let submittedDbl = lines.lines.first { $0.contains("dbl") && $0.contains("submitted as Slurm job") } ?? ""
        #expect(submittedDbl.contains(", after "), "dbl must wait for gen's job: \(submittedDbl)")
        for file in ["gen/nums.txt", "dbl/doubled.txt", "side/side.txt", "join/all.txt"] {
            #expect(try String(contentsOfFile: dir.path("slurm/\(file)"), encoding: .utf8) == String(contentsOfFile: dir.path("local/\(file)"), encoding: .utf8), "\(file)")
        }
        #expect(try String(contentsOfFile: dir.path("slurm/join/all.txt"), encoding: .utf8) == "2\n4\n6\n8\n1\n2\n")
        // The lock records the same cache keys as the local run's (same commands, same inputs).
        let localLock = try LockFile.read(path: dir.path("local/pipeline.lock.json"), pipeline: "chain", run: "chain")
        let slurmLock = try LockFile.read(path: dir.path("slurm/pipeline.lock.json"), pipeline: "chain", run: "chain")
        #expect(localLock.stages.mapValues(\.key) == slurmLock.stages.mapValues(\.key))
        #expect(!FileManager.default.fileExists(atPath: SlurmRecord.path(folder: dir.path("slurm"))), "the record is settled")
        let log = try String(contentsOfFile: dir.path("slurm/logs/dbl.log"), encoding: .utf8)
        #expect(log.hasPrefix("$ ") && log.contains("# exit status 0"), "\(log)")

        // Everything is cached now: nothing is submitted, for either executor.
        let calls = ops.calls.count
        let again = try runner(slurmSpec, ops, lines: LineSink()).submit(to: slurm, options: SlurmSubmitOptions(wait: true, pollSeconds: 0.2))
        #expect(again.cached == ["dbl", "gen", "join", "side"] && ops.calls.count == calls, "\(again.outcomes)")
        let (localAgain, _) = try runOnce(slurmSpec, ops)
        #expect(localAgain.cached.count == 4)
    }

    @Test func failingStageCancelsItsDependentsAndIsReported() throws {
        let slurm = try client()
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "fails", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "bad", "operator": "gen", "params": {"fail": true}, "outputs": {"output": "nums.txt"}},
               {"name": "after", "operator": "double", "inputs": {"input": "bad.output"}, "outputs": {"output": "doubled.txt"}},
               {"name": "last", "operator": "double", "inputs": {"input": "after.output"}, "outputs": {"output": "again.txt"}},
               {"name": "fine", "operator": "gen", "params": {"sleep": 4}, "outputs": {"output": "ok.txt"}}
             ]}
            """, in: dir)
        let folder = dir.path("run")
        let lines = LineSink()
        let submitted = try runner(spec, ops, lines: lines).submit(to: slurm, options: SlurmSubmitOptions())
        #expect(submitted.outcomes.values.allSatisfy { if case .submitted = $0 { return true }; return false }, "\(submitted.outcomes)")
        let record = try #require(try SlurmRecord.read(folder: folder))
        #expect(Set(record.stages.keys) == ["bad", "after", "last", "fine"])

        // While the jobs are queued or running ('fine' sleeps 4 s), neither executor may start the stages again.
        let second = specMessages { _ = try runner(spec, ops, lines: LineSink()).submit(to: slurm, options: SlurmSubmitOptions()) }
        #expect(second.count == 1 && second[0].contains("still queued or running") && second[0].contains("scancel"), "\(second)")
        let local = specMessages { _ = try runOnce(spec, ops) }
        #expect(local.count == 1 && local[0].contains("still queued or running"), "\(local)")

        try waitForJobs(slurm, folder: folder)
        let statusLines = LineSink()
        let ended = try runner(spec, ops, lines: statusLines).recordEndedSlurmJobs(slurm)
        #expect(ended.outcomes["bad"] == .failed(status: 3, log: folder + "/logs/bad.log"), "\(ended.outcomes)")
        #expect(ended.outcomes["after"] == .notRun(blockedBy: "bad") && ended.outcomes["last"] == .notRun(blockedBy: "after"), "\(ended.outcomes)")
        #expect(ended.slurmStates["after"] == "CANCELLED", "\(ended.slurmStates)")
        #expect(ended.ran == ["fine"])
        let text = statusLines.lines.joined(separator: "\n")
        #expect(statusLines.lines.contains { $0.contains("] bad ") && $0.contains("FAILED (exit 3)") } && text.contains("gen: failing on purpose")
                && text.contains("not run: Slurm cancelled job \(record.stages["after"]!.job) because 'bad' failed"), "\(text)")
        // The finished stage is in the lock; the record is settled and kept with the logs.
        let lock = try LockFile.read(path: folder + "/pipeline.lock.json", pipeline: "fails", run: "fails")
        #expect(Set(lock.stages.keys) == ["fine"])
        #expect(try SlurmRecord.read(folder: folder) == nil)
        #expect(FileManager.default.fileExists(atPath: folder + "/logs/slurm-\(record.jobs[0]).json"))
        // The next local run runs only what did not finish.
        let (rerun, _) = try runOnce(spec, ops)
        #expect(rerun.cached == ["fine"] && rerun.failed == ["bad"])
    }

    /// A job killed before its script could record a status (scancel here; a time limit or a node
    /// failure alike) is reported with its Slurm state and Slurm's own output, and gives back the
    /// stage's previous result.
    @Test func jobKilledWithoutStatusIsReportedWithItsSlurmState() throws {
        let slurm = try client()
        let ops = try FakeOperators()
        try ops.addExtras()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "killed", "output": "\(dir.url.path)/run",
             "stages": [{"name": "slow", "operator": "wait", "outputs": {"output": "never.txt"}}]}
            """, in: dir)
        let folder = dir.path("run")
        _ = try runner(spec, ops, lines: LineSink()).submit(to: slurm, options: SlurmSubmitOptions())
        let job = try #require(try SlurmRecord.read(folder: folder)?.stages["slow"]?.job)
        let deadline = Date().addingTimeInterval(60)
        while try slurm.states(of: [job])[job] != "RUNNING" {
            try #require(Date() < deadline, "job \(job) did not start within 60 s")
            usleep(100_000)
        }
        slurm.cancel([job])
        try waitForJobs(slurm, folder: folder)
        let lines = LineSink()
        let ended = try runner(spec, ops, lines: lines).recordEndedSlurmJobs(slurm)
        #expect(ended.outcomes["slow"] == .failed(status: -1, log: folder + "/logs/slow.slurm.out"), "\(ended.outcomes)")
        #expect(ended.slurmStates["slow"] == "CANCELLED", "\(ended.slurmStates)")
        #expect(lines.lines.contains { $0.contains("Slurm job \(job) ended as CANCELLED before the stage finished") }, "\(lines.lines)")
        #expect(try SlurmRecord.read(folder: folder) == nil)
    }

    /// A stage reading ${upstream_lock}, submitted with its upstream stages: its job writes the
    /// lock from the submitter's recipe when it starts (hz-pipeline slurm-upstream-lock), and the
    /// entries equal those the run's lock records afterwards; without that command it is refused.
    @Test func upstreamLockIsWrittenWhenTheJobStarts() throws {
        let slurm = try client()
        try #require(ToolRunner.isBuilt("hz-pipeline"), "build hz-pipeline first (swift build --build-tests)")
        let ops = try FakeOperators()
        try ops.addLockRecorder()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "recorded", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "gen", "operator": "gen", "params": {"count": 4}, "outputs": {"output": "nums.txt"}},
               {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "doubled.txt"}},
               {"name": "rec", "operator": "record", "inputs": {"input": "dbl.output"}, "params": {"lock": "${upstream_lock}"}, "outputs": {"output": "lock.json"}}
             ]}
            """, in: dir)
        let refused = specMessages { _ = try runner(spec, ops, lines: LineSink()).submit(to: slurm, options: SlurmSubmitOptions()) }
        #expect(refused.count == 1 && refused[0].contains("reads ${upstream_lock}"), "\(refused)")
        #expect(try SlurmRecord.read(folder: dir.path("run")) == nil, "nothing was queued")

        let lines = LineSink()
        let options = SlurmSubmitOptions(wait: true, pollSeconds: 0.2, upstreamLockCommand: [ToolRunner.executable("hz-pipeline").path, "slurm-upstream-lock"])
        let summary = try runner(spec, ops, lines: lines).submit(to: slurm, options: options)
        #expect(summary.succeeded && summary.ran == ["dbl", "gen", "rec"], "\(summary.outcomes)\n\(lines.lines.joined(separator: "\n"))")
        let recorded = try LockFile.read(path: dir.path("run/rec/lock.json"), pipeline: "recorded", run: "recorded")
        let lock = try LockFile.read(path: dir.path("run/pipeline.lock.json"), pipeline: "recorded", run: "recorded")
        #expect(Set(recorded.stages.keys) == ["gen", "dbl"])
        #expect(recorded.stages["gen"] == lock.stages["gen"] && recorded.stages["dbl"] == lock.stages["dbl"])
    }

    /// A streamed chain cannot span two jobs: it runs as one job, its pipe inside it.
    @Test func streamedChainRunsInsideOneJob() throws {
        let slurm = try client()
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "piped", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "gen", "operator": "gen", "params": {"count": 3}, "outputs": {"output": "-"}},
               {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "doubled.txt"}}
             ]}
            """, in: dir)
        let lines = LineSink()
        let summary = try runner(spec, ops, lines: lines).submit(to: slurm, options: SlurmSubmitOptions(wait: true, pollSeconds: 0.2))
        #expect(summary.succeeded && summary.ran == ["dbl", "gen"], "\(summary.outcomes)\n\(lines.lines.joined(separator: "\n"))")
        #expect(try String(contentsOfFile: dir.path("run/dbl/doubled.txt"), encoding: .utf8) == "2\n4\n6\n")
        let jobs = lines.lines.filter { $0.contains("submitted as Slurm job") }
        #expect(jobs.count == 2 && jobs.allSatisfy { $0.contains("one job for the streamed chain gen | dbl") }, "\(jobs)")
    }
}
