// hz-train fed by hz-augment through a real shell pipe: the same seed and augmentation give the
// same AE as views made in process; broken streams are refused with one line and leave no AE.
import Foundation
import HyperRep
import Testing
import TestSupport

@Suite(.serialized) struct TrainViewStreamTests {
    static let tiny = "--width 16 --ff-width 32 --latent 8 --head 1,16,8 --batch-size 4 --epochs 2 --seed 5"

    /// The shared Model Zoos fixture as a zoo: 12 training and 4 validation checkpoints.
    static func zoo(in dir: TemporaryDirectory) throws {
        let fixture = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        let run = try StageBinaries.shell("hz-convert '\(fixture)' -o zoo.h5", in: dir.url.path)
        #expect(run.status == 0, "\(run.stderr)")
    }

    static func weights(_ path: String) throws -> [Float] {
        try AutoencoderCheckpoint.load(path: path).model.parameters.valuesArray()
    }

    static func metrics(_ path: String) throws -> [String] {
        // Per-epoch metrics without the wall-clock seconds.
        try String(contentsOfFile: path + ".metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { $0.replacingOccurrences(of: #""seconds":[0-9.e-]+,"#, with: "", options: .regularExpression) }
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train") && ToolRunner.isBuilt("hz-augment"), "needs the products built"))
    func pipedViewsTrainTheSameAEAsViewsMadeInProcess() throws {
        let dir = TemporaryDirectory("train-views")
        try Self.zoo(in: dir)
        let augment = "hz-augment zoo.h5 --split train --views 2 --epochs 2 --permute --erase 0.5"
        let oneEpoch = Self.tiny.replacingOccurrences(of: "--epochs 2", with: "--epochs 1")
        for command in ["hz-train zoo.h5 -o own.h5 \(Self.tiny)",
                        // Resumed from a stream: epoch 1 was trained in process, the stream's epoch 0 is skipped.
                        "hz-train zoo.h5 -o resumed.h5 \(oneEpoch) && \(augment) --seed 5 -o - | hz-train zoo.h5 --views - -o resumed.h5 --resume --epochs 2",
                        "\(augment) --seed 5 -o - | hz-train zoo.h5 --views - -o piped.h5 \(Self.tiny)",
                        "\(augment) --seed 5 -o views.h5 && hz-train zoo.h5 --views views.h5 -o file.h5 \(Self.tiny)",
                        "\(augment) --seed 6 -o - | hz-train zoo.h5 --views - -o other.h5 \(Self.tiny)"] {
            let run = try StageBinaries.shell("set -e; " + command, in: dir.url.path)
            #expect(run.status == 0, "\(command): \(run.stderr)")
        }
        let own = try Self.weights(dir.path("own.h5"))
        #expect(try Self.weights(dir.path("piped.h5")) == own)
        #expect(try Self.weights(dir.path("file.h5")) == own)
        #expect(try Self.weights(dir.path("resumed.h5")) == own)
        #expect(try Self.metrics(dir.path("piped.h5")) == Self.metrics(dir.path("own.h5")))
        #expect(try Self.metrics(dir.path("own.h5")).count == 2)
        // Other views (another augmentation seed) train another AE: the stream's views are used.
        #expect(try Self.weights(dir.path("other.h5")) != own)
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train") && ToolRunner.isBuilt("hz-augment"), "needs the products built"))
    func brokenOrMismatchedViewStreamsAreRefusedAndLeaveNoAE() throws {
        let dir = TemporaryDirectory("train-views-bad")
        try Self.zoo(in: dir)
        let written = try StageBinaries.shell("hz-augment zoo.h5 --split train --views 2 --epochs 2 --permute -o v.hzrs", in: dir.url.path)
        #expect(written.status == 0, "\(written.stderr)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path("v.hzrs"))))
        var corrupted = bytes
        corrupted[bytes.count / 4] ^= 0x10
        try Data(corrupted).write(to: URL(fileURLWithPath: dir.path("bad.hzrs")))
        let cases: [(command: String, message: String)] = [
            // Cut in epoch 2: epoch 1 was already checkpointed, and that partial AE is removed.
            ("head -c \(bytes.count * 3 / 4) v.hzrs | hz-train zoo.h5 --views - -o ae.h5 \(Self.tiny)",
             "stdin: stream truncated inside record"),
            ("cat bad.hzrs | hz-train zoo.h5 --views - -o ae.h5 \(Self.tiny)", "checksum mismatch: the stream is corrupted"),
            ("hz-augment zoo.h5 --views 2 --epochs 2 -o - | hz-train zoo.h5 --views - -o ae.h5 \(Self.tiny)",
             "split val, which is not a training checkpoint of the zoo"),
            ("hz-augment zoo.h5 --split train --views 2 --epochs 3 -o - | hz-train zoo.h5 --views - -o ae.h5 \(Self.tiny)",
             "3 augmentation epochs of views, hz-train trains 2"),
            ("hz-tokenize zoo.h5 - | hz-train zoo.h5 --views - -o ae.h5 \(Self.tiny)", "expected views from hz-augment"),
        ]
        for (command, message) in cases {
            let run = try StageBinaries.shell(command, in: dir.url.path)
            #expect(run.status != 0, "\(command)")
            let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("hz-train") && !$0.hasPrefix("hz-train: ") }
            #expect(lines.count == 1 && lines[0].contains(message), "\(command): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5")), "\(command)")
            #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5.metrics.jsonl")), "\(command)")
            // A stream cut after a finished epoch keeps that epoch where --resume finds it.
            if message.contains("truncated") {
                #expect(run.stderr.contains("epochs up to 1 are kept in ae.h5.partial: continue with --resume and a complete stream"), "\(run.stderr)")
                #expect(try AutoencoderCheckpoint.load(path: dir.path("ae.h5.partial")).training?.epoch == 1)
            }
            try? FileManager.default.removeItem(atPath: dir.path("ae.h5.partial"))
            try? FileManager.default.removeItem(atPath: dir.path("ae.h5.metrics.jsonl.partial"))
        }
        // A resumed run that meets a cut stream (in the epoch it resumes at) leaves its file as it was.
        let oneEpoch = Self.tiny.replacingOccurrences(of: "--epochs 2", with: "--epochs 1")
        #expect(try StageBinaries.shell("hz-train zoo.h5 -o ae.h5 \(oneEpoch)", in: dir.url.path).status == 0)
        let cut = try StageBinaries.shell("head -c \(bytes.count * 3 / 4) v.hzrs | hz-train zoo.h5 --views - -o ae.h5 --resume --epochs 2",
                                          in: dir.url.path)
        #expect(cut.status != 0 && cut.stderr.contains("stream truncated") && cut.stderr.contains("ae.h5 unchanged"), "\(cut.stderr)")
        #expect(try AutoencoderCheckpoint.load(path: dir.path("ae.h5")).training?.epoch == 1)

        // --force over an existing AE with a stream that breaks in epoch 2: before, the old AE and
        // its metrics were deleted. Now both stay as they were, and the new run's first epoch waits
        // in ae.h5.partial; resuming it with a complete stream gives the AE of an unbroken run.
        let oldAE = try Data(contentsOf: URL(fileURLWithPath: dir.path("ae.h5")))
        let oldMetrics = try Data(contentsOf: URL(fileURLWithPath: dir.path("ae.h5.metrics.jsonl")))
        let forced = try StageBinaries.shell("head -c \(bytes.count * 3 / 4) v.hzrs | hz-train zoo.h5 --views - -o ae.h5 --force \(Self.tiny)",
                                             in: dir.url.path)
        #expect(forced.status == 1 && forced.stderr.contains("ae.h5 unchanged; epochs up to 1 are kept in ae.h5.partial"), "\(forced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("ae.h5"))) == oldAE)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("ae.h5.metrics.jsonl"))) == oldMetrics)
        let finished = try StageBinaries.shell("cat v.hzrs | hz-train zoo.h5 --views - -o ae.h5 --resume --epochs 2", in: dir.url.path)
        #expect(finished.status == 0, "\(finished.stderr)")
        let straight = try StageBinaries.shell("cat v.hzrs | hz-train zoo.h5 --views - -o straight.h5 \(Self.tiny)", in: dir.url.path)
        #expect(straight.status == 0, "\(straight.stderr)")
        #expect(try Self.weights(dir.path("ae.h5")) == Self.weights(dir.path("straight.h5")))
        #expect(try Self.metrics(dir.path("ae.h5")) == Self.metrics(dir.path("straight.h5")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5.partial")))
    }
}
