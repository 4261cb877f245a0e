import Foundation
import Testing
import TestSupport
import ZooStore

/// `hz-zoo --shard mpi` under a real `mpirun -n 2` on loopback: the zoo rank 0 merges equals the
/// single-process zoo bit for bit, and a run stopped mid-training resumes every rank's shard.
@Suite(.serialized, .enabled(if: MPIRunner.enabled, "mpirun not found (install openmpi-bin libopenmpi-dev)"))
struct ZooMPICommandTests {
    func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    func mpirun() throws -> String {
        try #require(MPIRunner.mpirun, "HYPERZOO_REQUIRE_MPI=1 but mpirun is not on PATH (install openmpi-bin)")
    }

    @Test func twoRanksEqualTheSingleProcessZoo() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        try write(ZooCommandTests.dropoutGridConfig, cfg)
        let whole = dir.path("whole.h5"), zoo = dir.path("mpi.h5")
        let single = try ToolRunner.run("hz-zoo", [cfg, "-o", whole, "-q", "--threads", "2"])
        #expect(single.status == 0, "\(single.stderr)")
        let r = try MPIRunner.run(ranks: 2, "hz-zoo", [cfg, "-o", zoo, "-q", "--threads", "1", "--shard", "mpi"])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try ZooReader(path: whole), b = try ZooReader(path: zoo)
        defer { a.close(); b.close() }
        try ShardCommandTests.expectEqualZoos(a, b)
        #expect(b.metadata(ZooShard.attribute) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".shard-") }
        #expect(left.isEmpty, "shard files left after the merge: \(left)")

        let again = try MPIRunner.run(ranks: 2, "hz-zoo", [cfg, "-o", zoo, "-q", "--threads", "1", "--shard", "mpi"])
        #expect(again.status == 1 && again.stderr.contains("--force"), "\(again.stderr)")
        let plain = try ToolRunner.run("hz-zoo", [cfg, "-o", dir.path("x.h5"), "-q", "--shard", "mpi"])
        #expect(plain.status == 1 && plain.stderr.contains("mpirun"), "\(plain.stderr)")
        #expect(plain.stderr.split(separator: "\n").count == 1, "\(plain.stderr)")
    }

    /// The direct children of `pid` (mpirun's ranks), from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// Every rank is killed (SIGKILL) once rank 0's shard has saved epoch 2; the same command
    /// resumes both shards and the merged zoo equals the uninterrupted one.
    @Test func stoppedRunResumesEveryShard() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        // 4 models on 20,000 samples: slow enough (about 2 s) for the signal to land mid-run.
        try write(ZooCommandTests.config.replacingOccurrences(of: "\"count\": 3", with: "\"count\": 4")
            .replacingOccurrences(of: "[600, 40, 40]", with: "[20000, 40, 40]"), cfg)
        let whole = dir.path("whole.h5"), zoo = dir.path("mpi.h5")
        #expect(try ToolRunner.run("hz-zoo", [cfg, "-o", whole, "-q", "--threads", "2"]).status == 0)
        let arguments = [cfg, "-o", zoo, "-q", "--threads", "1", "--shard", "mpi"]

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try mpirun())
        p.arguments = MPIRunner.arguments(ranks: 2, "hz-zoo", arguments)
        p.environment = MPIRunner.environment()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let state = zoo + ".shard-0-of-2.h5.partial.trainer"
        var stopped = false
        while p.isRunning {
            if (ZooCommandTests.stateEpoch(state) ?? 0) >= 2 {
                // kill -9 of every rank (a node lost, an OOM kill); mpirun then ends the job.
                for rank in Self.children(of: p.processIdentifier) { kill(rank, SIGKILL) }
                stopped = true
                break
            }
            usleep(2_000)
        }
        p.waitUntilExit()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        try #require(stopped && p.terminationStatus != 0, "the run finished before it could be stopped: status \(p.terminationStatus), \(p.terminationReason == .exit ? "exit" : "signal"), files \(files)")
        #expect(!FileManager.default.fileExists(atPath: zoo))
        #expect(FileManager.default.fileExists(atPath: zoo + ".shard-0-of-2.h5.partial"))

        let resumed = try MPIRunner.run(ranks: 2, "hz-zoo", arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try ZooReader(path: whole), b = try ZooReader(path: zoo)
        defer { a.close(); b.close() }
        try ShardCommandTests.expectEqualZoos(a, b)
    }
}
