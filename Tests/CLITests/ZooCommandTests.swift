import Foundation
import Testing
import TestSupport
import ZooStore

/// hz-zoo end to end, as a real subprocess: help, errors, and resume after SIGKILL.
@Suite(.serialized) struct ZooCommandTests {
    /// The hz-zoo binary built beside the test bundle.
    static var binary: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("hz-zoo").path,
                          Fixtures.repositoryRoot.appendingPathComponent(".build/debug/hz-zoo").path]
            where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return dir.appendingPathComponent("hz-zoo").path
    }

    static let config = """
    {"name": "tiny", "architecture": {"family": "mlp", "hidden": [12], "activation": "tanh"},
     "dataset": {"name": "synthetic", "synthetic_counts": [600, 40, 40]},
     "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
     "batch_size": 10, "epochs": 6, "seeds": {"start": 1, "count": 3}}
    """

    /// The same with a grid mixing dropout 0 and 0.5: two module_list layouts in one file.
    static let dropoutGridConfig = """
    {"name": "tiny-hyp", "architecture": {"family": "mlp", "hidden": [12], "activation": "tanh"},
     "dataset": {"name": "synthetic", "synthetic_counts": [600, 40, 40]},
     "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
     "batch_size": 10, "epochs": 6, "seeds": {"start": 1, "count": 2}, "grid": {"dropout": [0, 0.5]}}
    """

    @discardableResult
    static func run(_ args: [String], until stop: ((Process) -> Bool)? = nil) throws -> (status: Int32, killed: Bool, stderr: String) {
        try ToolRunner.runKilling(URL(fileURLWithPath: binary), args, until: stop)
    }

    /// The epoch recorded in a trainer state file (magic, UInt64 length, JSON header, floats).
    static func stateEpoch(_ path: String) -> Int? {
        guard let d = FileManager.default.contents(atPath: path), d.count > 16 else { return nil }
        let n = d.subdata(in: 8..<16).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard n > 0, 16 + n <= d.count,
              let header = try? JSONSerialization.jsonObject(with: d.subdata(in: 16..<(16 + n))) as? [String: Any] else { return nil }
        return header["epoch"] as? Int
    }

    @Test func helpTeachesTheCommand() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["--help"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        for needle in ["CONFIG.json", "--models", "--epochs", "--train-size", "--seed", "--threads", "resumes", "fmnist-cnn-s.json"] {
            #expect(text.contains(needle), "help lacks \(needle)")
        }
    }

    @Test func refusesBadConfigsAndExistingOutputs() throws {
        let dir = TemporaryDirectory()
        let bad = dir.path("bad.json")
        try Data(#"{"architecture": {"family": "cnn_s"}, "epochs": 1}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let r = try Self.run([bad, "-o", dir.path("z.h5"), "-q"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.json") && r.stderr.contains("dataset"), "\(r.stderr)")
        let good = dir.path("good.json")
        try Data(Self.config.utf8).write(to: URL(fileURLWithPath: good))
        try Self.run([good, "-o", dir.path("z.h5"), "-q", "--epochs", "0"])
        let again = try Self.run([good, "-o", dir.path("z.h5"), "-q", "--epochs", "0"])
        #expect(again.status != 0 && again.stderr.contains("--force"), "\(again.stderr)")
    }

    /// Kill hz-zoo mid-run with SIGKILL, run it again, and compare with an uninterrupted run:
    /// a one-architecture zoo, and a grid mixing dropout 0 and 0.5 (two architecture groups).
    @Test(arguments: [false, true]) func resumesAfterKillWithIdenticalContent(dropoutGrid: Bool) throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        try Data((dropoutGrid ? Self.dropoutGridConfig : Self.config).utf8).write(to: URL(fileURLWithPath: cfg))
        let whole = dir.path("whole.h5"), resumed = dir.path("resumed.h5")
        let first = try Self.run([cfg, "-o", whole, "-q", "--threads", "2"])
        #expect(first.status == 0, "\(first.stderr)")

        // Kill once the trainer state shows a finished training epoch (epoch ≥ 2 of 6).
        let state = resumed + ".partial.trainer"
        let cut = try Self.run([cfg, "-o", resumed, "-q", "--threads", "2"]) { _ in
            Self.stateEpoch(state).map { $0 >= 2 } ?? false
        }
        #expect(cut.killed, "hz-zoo finished before it could be killed; the test needs a slower run")
        #expect(!FileManager.default.fileExists(atPath: resumed))
        #expect(FileManager.default.fileExists(atPath: resumed + ".partial"))
        let second = try Self.run([cfg, "-o", resumed, "-q", "--threads", "1"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state))

        let a = try ZooReader(path: whole), b = try ZooReader(path: resumed)
        defer { a.close(); b.close() }
        #expect(a.checkpointCount == (dropoutGrid ? 4 : 3) * 7 && b.checkpointCount == a.checkpointCount)
        #expect(a.models == b.models)
        #expect(a.layouts == b.layouts)
        guard dropoutGrid else {
            #expect(a.formatVersion == 1 && a.layouts.map(\.name) == ["mlp_784-12-10"])
            try expectSameContent(a, b)
            return
        }
        // Two groups: Linear, act, [Dropout,] Linear numbers the last layer 2 or 3.
        #expect(a.formatVersion == 2)
        #expect(a.layouts.map(\.name) == ["mlp_784-12-10", "mlp_784-12-10_dropout"])
        #expect(a.layouts.map { $0.table.layers.map(\.prefix) } == [["module_list.0", "module_list.2"], ["module_list.0", "module_list.3"]])
        for r in 0..<a.checkpointCount {
            let dropout = a.model(row: r).hyperparameters["model::dropout"]
            #expect(dropout == .number(a.architecture(ofRow: r).hasSuffix("_dropout") ? 0.5 : 0), "row \(r)")
        }
        try expectSameContent(a, b)
        // h5py (tools/zoo_to_numpy.py) gives a dropout model's rows the shifted names.
        if let python = ProcessInfo.processInfo.environment["HYPERZOO_PYTHON"] {
            let row = a.layoutRows[1].lowerBound
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [Fixtures.repositoryRoot.appendingPathComponent("tools/zoo_to_numpy.py").path, resumed, "--json", "--rows", "\(row)"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let checkpoint = (json?["checkpoints_read"] as? [[String: Any]])?.first
            #expect(checkpoint?["model"] as? String == a.model(row: row).id)
            #expect((checkpoint?["state_dict"] as? [String: Any]).map { Set($0.keys) } == Set(a.table(ofRow: row).entries.map(\.name)))
            #expect(a.table(ofRow: row).entries.map(\.name).contains("module_list.3.weight"))
        }
    }

    /// `--checkpoint-epochs 0,2,5` of 6 epochs keeps exactly those checkpoints, each equal (rows and
    /// metrics) to the same epoch of a run that keeps every epoch; a kill after an epoch that is not
    /// kept (3) resumes to the same file.
    @Test func keepsOnlyChosenCheckpointsAndResumes() throws {
        let dir = TemporaryDirectory()
        let cfg = dir.path("tiny.json")
        try Data(Self.config.utf8).write(to: URL(fileURLWithPath: cfg))
        let every = dir.path("every.h5"), chosen = dir.path("chosen.h5"), resumed = dir.path("resumed.h5")
        #expect(try Self.run([cfg, "-o", every, "-q", "--threads", "2"]).status == 0)
        let kept = try Self.run([cfg, "-o", chosen, "-q", "--threads", "2", "--checkpoint-epochs", "0,2,5"])
        #expect(kept.status == 0, "\(kept.stderr)")
        let state = resumed + ".partial.trainer"
        let cut = try Self.run([cfg, "-o", resumed, "-q", "--threads", "2", "--checkpoint-epochs", "0,2,5"]) { _ in
            Self.stateEpoch(state).map { $0 >= 3 } ?? false
        }
        #expect(cut.killed, "hz-zoo finished before it could be killed; the test needs a slower run")
        let second = try Self.run([cfg, "-o", resumed, "-q", "--threads", "1", "--checkpoint-epochs", "0,2,5"])
        #expect(second.status == 0, "\(second.stderr)")

        let all = try ZooReader(path: every), some = try ZooReader(path: chosen), again = try ZooReader(path: resumed)
        defer { all.close(); some.close(); again.close() }
        #expect(Set(some.epoch) == [0, 2, 5] && some.checkpointCount == 3 * 3)
        try expectSameContent(some, again, finalEpoch: 5)
        let rowsAll = try all.readRows(0..<all.checkpointCount), rowsSome = try some.readRows(0..<some.checkpointCount)
        let width = some.table.parameterCount
        for r in 0..<some.checkpointCount {
            guard let match = (0..<all.checkpointCount).first(where: {
                all.modelIndex[$0] == some.modelIndex[r] && all.epoch[$0] == some.epoch[r] }) else {
                Issue.record("row \(r) (epoch \(some.epoch[r])) has no twin in the every-epoch zoo"); continue
            }
            #expect(Array(rowsSome[(r * width)..<((r + 1) * width)]) == Array(rowsAll[(match * width)..<((match + 1) * width)]),
                    "row \(r) differs from the every-epoch run")
            #expect(some.metrics(row: r) == all.metrics(row: match))
        }
        // A list that names an epoch beyond --epochs is refused before anything is written.
        let beyond = try Self.run([cfg, "-o", dir.path("beyond.h5"), "-q", "--checkpoint-epochs", "0,9"])
        #expect(beyond.status != 0 && beyond.stderr.contains("9"), "\(beyond.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("beyond.h5")))
    }

    /// The resumed zoo `b` holds exactly what the uninterrupted run `a` wrote, and training learned.
    func expectSameContent(_ a: ZooReader, _ b: ZooReader, finalEpoch: Int = 6) throws {
        #expect(a.modelIndex == b.modelIndex && a.epoch == b.epoch)
        #expect(a.table == b.table && a.config == b.config)
        let rowsA = try a.readRows(0..<a.checkpointCount), rowsB = try b.readRows(0..<b.checkpointCount)
        let sameRows = rowsA == rowsB
        #expect(sameRows, "checkpoint rows differ after resuming")
        for r in 0..<a.checkpointCount { #expect(a.metrics(row: r) == b.metrics(row: r)) }
        // Epoch 0 rows are the untrained models; later epochs learn.
        let acc = (0..<a.checkpointCount).map { a.metrics(row: $0).testAccuracy }
        let final = zip(a.epoch, acc).filter { $0.0 == finalEpoch }.map(\.1)
        let initial = zip(a.epoch, acc).filter { $0.0 == 0 }.map(\.1)
        #expect(final.reduce(0, +) > initial.reduce(0, +) + 0.5)
    }
}
