// hz-train over MPI through real mpirun (2 ranks on loopback): the data-parallel run trains the
// AE one process trains, a 2-rank checkpoint resumes with 1 rank as it does with 2, only rank 0
// writes, and a failure on one rank ends the job instead of leaving the other waiting.
import Foundation
import Testing
import TestSupport
import HyperRep

@Suite(.serialized) struct TrainMPITests {
    /// A tiny AE with dropout and a 2-layer head (BatchNorm in the head), 3 steps per epoch.
    /// SGD, because Adam divides by √v: parameters whose true gradient is exactly 0 (attention key
    /// biases, the Linear bias before each BatchNorm) get round-off-sized gradients that Adam turns
    /// into steps of up to lr each, so there two runs differ by up to steps × lr whatever the rank
    /// count. τ = 0.5, because at τ = 0.1 with 4 models per batch a fresh AE's contrastive loss
    /// (nearly equal latents, normalised by BatchNorm over 4 rows) amplifies round-off about 1000×
    /// per step; the exact τ = 0.1 step is checked in HyperRepTests/DataParallelStepTests.
    static let tiny = ["--width", "16", "--ff-width", "32", "--latent", "8", "--head", "2,16,8", "--batch-size", "4",
                       "--dropout", "0.1", "--seed", "5", "--optimizer", "sgd", "--lr", "0.001", "--temperature", "0.5"]
    /// 2 ranks vs 1 differ only by float summation order (the gradient sum over ranks, the mean
    /// of the ranks' reconstruction losses, BLAS on fewer rows). Measured relative differences after
    /// 9 steps: weights 7e-8, losses 4e-7, BatchNorm statistics 1e-6, SGD momentum 2e-6 (resumed
    /// with 1 rank vs 2: at most 5e-6).
    static let tolerance: Float = 1e-5

    func zoo(in dir: TemporaryDirectory) throws -> String {
        let source = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        let converted = try ToolRunner.run("hz-convert", [source, "-o", dir.path("zoo.h5")])
        try #require(converted.status == 0, "\(converted.stderr)")
        return dir.path("zoo.h5")
    }

    /// The largest difference between two runs' weights, BatchNorm statistics, optimizer moments
    /// and per-epoch losses, each relative to that quantity's largest magnitude (at least 1);
    /// their epochs, optimizer steps and dropout streams must be equal.
    func difference(_ a: String, _ b: String) throws -> Float {
        let (ma, sa) = try AutoencoderCheckpoint.load(path: a), (mb, sb) = try AutoencoderCheckpoint.load(path: b)
        let ta = try #require(sa), tb = try #require(sb)
        #expect(ta.epoch == tb.epoch && ta.optimizerSteps == tb.optimizerSteps)
        #expect(ta.dropoutStream == tb.dropoutStream, "the dropout stream must advance as for the whole batch")
        func relative(_ x: [Float], _ y: [Float]) -> Float {
            #expect(x.count == y.count)
            let scale = max(1, x.map(abs).max() ?? 0)
            return (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / scale
        }
        let losses = { (t: AutoencoderTrainingState) in t.history.flatMap { [$0.trainLoss, $0.trainContrast, $0.validationLoss] } }
        let parts = [relative(ma.parameters.valuesArray(), mb.parameters.valuesArray()),
                     relative(ma.buffers.valuesArray(), mb.buffers.valuesArray()),
                     relative(ta.optimizerState, tb.optimizerState),
                     relative(losses(ta), losses(tb))]
        print("relative differences: weights \(parts[0]) BatchNorm statistics \(parts[1]) optimizer state \(parts[2]) losses \(parts[3])")
        return parts.max()!
    }

    @Test(.enabled(if: MPIRunner.enabled && ToolRunner.isBuilt("hz-train"), "needs mpirun (openmpi-bin) and hz-train built"))
    func twoRanksTrainTheAEOneProcessTrains() throws {
        let dir = TemporaryDirectory("train-mpi")
        let zoo = try zoo(in: dir)
        let one = try ToolRunner.run("hz-train", [zoo, "-o", dir.path("one.h5"), "--epochs", "3"] + Self.tiny)
        #expect(one.status == 0, "\(one.stderr)")
        let two = try MPIRunner.run(ranks: 2, "hz-train", [zoo, "-o", dir.path("two.h5"), "--epochs", "3", "--json"] + Self.tiny)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("2 MPI ranks"), "\(two.stderr)")
        // Rank 0 alone prints (one JSON object, one line per epoch) and writes (no stray files).
        #expect(two.stdout.split(separator: "\n").count == 1, "\(two.stdout)")
        #expect(two.stderr.components(separatedBy: "epoch 3/3").count == 2, "\(two.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        #expect(files == ["one.h5", "one.h5.metrics.jsonl", "two.h5", "two.h5.metrics.jsonl", "zoo.h5"])
        let d = try difference(dir.path("one.h5"), dir.path("two.h5"))
        print("hz-train 2 ranks vs 1 after 9 steps: max difference \(d)")
        #expect(d <= Self.tolerance)
    }

    @Test(.enabled(if: MPIRunner.enabled && ToolRunner.isBuilt("hz-train"), "needs mpirun (openmpi-bin) and hz-train built"))
    func aTwoRankRunResumesWithOneRankAsWithTwo() throws {
        let dir = TemporaryDirectory("train-mpi-resume")
        let zoo = try zoo(in: dir)
        let first = try MPIRunner.run(ranks: 2, "hz-train", [zoo, "-o", dir.path("two.h5"), "--epochs", "2"] + Self.tiny)
        #expect(first.status == 0, "\(first.stderr)")
        for suffix in ["", ".metrics.jsonl"] {
            try FileManager.default.copyItem(atPath: dir.path("two.h5" + suffix), toPath: dir.path("one.h5" + suffix))
        }
        let withTwo = try MPIRunner.run(ranks: 2, "hz-train", [zoo, "-o", dir.path("two.h5"), "--epochs", "4", "--resume"])
        #expect(withTwo.status == 0, "\(withTwo.stderr)")
        let withOne = try ToolRunner.run("hz-train", [zoo, "-o", dir.path("one.h5"), "--epochs", "4", "--resume"])
        #expect(withOne.status == 0, "\(withOne.stderr)")
        let d = try difference(dir.path("one.h5"), dir.path("two.h5"))
        print("hz-train 2-rank checkpoint resumed with 1 rank vs 2 ranks: max difference \(d)")
        #expect(d <= Self.tolerance)
        #expect(try AutoencoderCheckpoint.load(path: dir.path("one.h5")).training?.epoch == 4)
    }

    @Test(.enabled(if: MPIRunner.enabled && ToolRunner.isBuilt("hz-train"), "needs mpirun (openmpi-bin) and hz-train built"))
    func aFailureOnOneRankEndsEveryRank() throws {
        let dir = TemporaryDirectory("train-mpi-fail")
        let zoo = try zoo(in: dir)
        // Only rank 0 writes: its first checkpoint fails (no such folder) while rank 1 is already
        // in the next epoch's collectives. MPI_Abort must end rank 1 too (mpirun's timeout would
        // report a hang as status ≠ 1 and its own message).
        let started = Date()
        let failed = try MPIRunner.run(ranks: 2, "hz-train", [zoo, "-o", dir.path("missing/ae.h5"), "--epochs", "3"] + Self.tiny,
                                       timeout: 120)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("hz-train fit (MPI rank 0 of 2): "), "\(failed.stderr)")
        #expect(!failed.stderr.contains("time limit"), "\(failed.stderr)")
        #expect(Date().timeIntervalSince(started) < 100)
        // A batch that does not split evenly is refused before training, on every rank.
        let uneven = try MPIRunner.run(ranks: 2, "hz-train", [zoo, "-o", dir.path("ae.h5"), "--epochs", "1"] + Self.tiny
                                       + ["--batch-size", "3"], timeout: 120)
        #expect(uneven.status != 0)
        #expect(uneven.stderr.contains("not a multiple of the 2 MPI ranks"), "\(uneven.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5")) && !FileManager.default.fileExists(atPath: dir.path("ae.h5.partial")))
    }
}
