// hz-tokenize and hz-augment as real processes: shell pipelines, HDF5 outputs, and streams that
// are cut or corrupted on the way.
import Foundation
import HDF5
import HyperRep
import Pipeline
import Testing
import TestSupport
import ZooStore

enum StageBinaries {
    /// The folder holding the built hz-* executables (beside the test bundle, or .build/debug).
    static var folder: String {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
                          Fixtures.repositoryRoot.appendingPathComponent(".build/debug").path,
                          Fixtures.repositoryRoot.appendingPathComponent(".build/release").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/hz-tokenize") } ?? candidates[1]
    }

    /// Runs `command` with /bin/sh in `directory`, the binaries first on PATH.
    static func shell(_ command: String, in directory: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = folder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

@Suite(.serialized) struct TokenStageCLITests {
    static let cnnS = try! ParameterTable(stateDict: [
        ("module_list.0.weight", [8, 1, 5, 5]), ("module_list.0.bias", [8]),
        ("module_list.3.weight", [6, 8, 5, 5]), ("module_list.3.bias", [6]),
        ("module_list.6.weight", [4, 6, 2, 2]), ("module_list.6.bias", [4]),
        ("module_list.9.weight", [20, 36]), ("module_list.9.bias", [20]),
        ("module_list.11.weight", [10, 20]), ("module_list.11.bias", [10]),
    ])

    static func row(_ model: Int, _ epoch: Int) -> [Float] {
        var s = RandomStreamForTests(seed: UInt64(model * 100 + epoch))
        return (0..<cnnS.parameterCount).map { _ in s.next() }
    }

    /// A CNN-s zoo of 3 models × 2 epochs.
    static func writeZoo(_ path: String) throws {
        let writer = try ZooWriter.create(path: path, architecture: "cnn_s", table: cnnS)
        for m in 0..<3 {
            try writer.addModel(ModelRecord(id: "m\(m)", seed: m, split: m == 2 ? .test : .train))
            for e in 0..<2 {
                try writer.appendCheckpoint(model: "m\(m)", epoch: e, row: row(m, e), metrics: CheckpointMetrics(testAccuracy: Float(m * 10 + e) / 100))
            }
        }
        try writer.finish()
    }

    @Test func tokenizePipedIntoAugmentWritesViews() throws {
        let dir = TemporaryDirectory()
        try Self.writeZoo(dir.path("zoo.h5"))
        let run = try StageBinaries.shell("hz-tokenize zoo.h5 - | hz-augment - --views 2 --permute --seed 3 -o views.h5", in: dir.url.path)
        #expect(run.status == 0, "\(run.stderr)")
        let file = try File(path: dir.path("views.h5"))
        #expect(file.attributes["format"]?.stringValue == "hyperzoo.views")
        let views = try file.openDataset("views")
        #expect(try views.shape == [6, 2, 48, 201])
        let checkpoints = try file.openDataset("index/checkpoint").read(as: Int64.self)
        #expect(checkpoints == [0, 1, 2, 3, 4, 5])
        #expect(try file.openDataset("index/model_id").readStrings() == ["m0", "m0", "m1", "m1", "m2", "m2"])
        // Every view is a neuron permutation of its checkpoint: same multiset of values, other order.
        let layout = try TokenLayout(table: Self.cnnS)
        let values = try views.read(as: Float.self)
        for sample in 0..<6 {
            let original = Self.row(sample / 2, sample % 2)
            let tw = 48 * 201
            let v0 = layout.detokenize(Array(values[(sample * 2 * tw)..<(sample * 2 * tw + tw)]))
            let v1 = layout.detokenize(Array(values[(sample * 2 * tw + tw)..<((sample + 1) * 2 * tw)]))
            #expect(v0.sorted() == original.sorted() && v1.sorted() == original.sorted())
            #expect(v0 != original && v0 != v1)
        }
        // Same seed, same bytes; the stream between two processes is deterministic.
        let again = try StageBinaries.shell("hz-augment zoo.h5 --views 2 --permute --seed 3 -o again.h5", in: dir.url.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try File(path: dir.path("again.h5")).openDataset("views").read(as: Float.self) == values)
    }

    @Test func tokenFilesRoundTripAndFeedAugment() throws {
        let dir = TemporaryDirectory()
        try Self.writeZoo(dir.path("zoo.h5"))
        let run = try StageBinaries.shell("hz-tokenize zoo.h5 --tokenizer uniform --token-size 32 --split train --checkpoint-epochs 1 -o tokens.h5"
                                          + " && hz-augment tokens.h5 --views 1 --noise 0.01 --erase 0.5 -o - | hz-augment - --views 2 -o twice.h5 2> err.txt;"
                                          + " cat err.txt >&2", in: dir.url.path)
        #expect(run.status == 0, "\(run.stderr)")
        let file = try File(path: dir.path("tokens.h5"))
        let tokens = try file.openDataset("tokens")
        let tokenizer = try UniformTokenizer(table: Self.cnnS, tokenSize: 32)
        #expect(try tokens.shape == [2, tokenizer.tokenCount, 32])
        #expect(try file.openDataset("index/checkpoint").read(as: Int64.self) == [1, 3])
        let values = try tokens.read(as: Float.self)
        let back = tokenizer.detokenize(Array(values[0..<tokenizer.tokenValueCount]))
        #expect(back.map(\.bitPattern) == Self.row(0, 1).map(\.bitPattern))
        // A view stream is not re-augmented: the second stage refuses it with a clear message.
        #expect(run.stderr.contains("already a view stream"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("twice.h5")))
    }

    @Test func topKSelectsTheBestCheckpoints() throws {
        let dir = TemporaryDirectory()
        try Self.writeZoo(dir.path("zoo.h5"))
        let run = try StageBinaries.shell("hz-tokenize zoo.h5 --top-k 3 --metric test_acc -o top.h5 --json > summary.json", in: dir.url.path)
        #expect(run.status == 0, "\(run.stderr)")
        // test_acc = (10·model + epoch) / 100: the best rows are m2e1, m2e0, m1e1.
        #expect(try File(path: dir.path("top.h5")).openDataset("index/checkpoint").read(as: Int64.self) == [5, 4, 3])
        let summary = try String(contentsOfFile: dir.path("summary.json"), encoding: .utf8)
        #expect(summary.contains("\"samples\":3"), "\(summary)")
        // Top-k on a stream cannot see metrics: refused with a hint.
        let refused = try StageBinaries.shell("hz-tokenize zoo.h5 - | hz-augment - --top-k 2 -o v.h5", in: dir.url.path)
        #expect(refused.status != 0 && refused.stderr.contains("top-k selection needs the zoo file"), "\(refused.stderr)")
    }

    @Test func truncatedStreamIsRejectedAndLeavesNoOutput() throws {
        let dir = TemporaryDirectory()
        try Self.writeZoo(dir.path("zoo.h5"))
        let run = try StageBinaries.shell("hz-tokenize zoo.h5 - | head -c 60000 | hz-augment - --views 2 -o views.h5", in: dir.url.path)
        #expect(run.status != 0)
        #expect(run.stderr.contains("stdin: stream truncated inside record"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("views.h5")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("views.h5.partial")))
    }

    @Test func corruptedStreamIsRejected() throws {
        let dir = TemporaryDirectory()
        try Self.writeZoo(dir.path("zoo.h5"))
        #expect(try StageBinaries.shell("hz-tokenize zoo.h5 -o tokens.hzrs", in: dir.url.path).status == 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path("tokens.hzrs"))))
        bytes[bytes.count - 5000] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("bad.hzrs")))
        let run = try StageBinaries.shell("cat bad.hzrs | hz-augment - --permute -o views.h5", in: dir.url.path)
        #expect(run.status != 0)
        #expect(run.stderr.contains("checksum mismatch: the stream is corrupted"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("views.h5")))
    }
}

/// A tiny deterministic generator for test rows (values in [-0.5, 0.5)).
struct RandomStreamForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
}
