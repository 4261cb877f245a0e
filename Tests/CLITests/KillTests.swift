// kill -9 at several points of every writing stage: while its temporary output is being written,
// the older output at the final path must stay byte for byte, and running the same command again
// must succeed, leaving the new output and nothing else of the killed run behind. (Resume to
// identical content is tested per stage: ZooCommandTests, ShardCommandTests, TrainRunSafetyTests.)
import Foundation
import Testing
import TestSupport
import ZooStore

@Suite struct KillTests {
    /// Delays after the stage's first temporary file appears at which it is killed (seconds).
    static let killPoints: [Double] = [0, 0.03, 0.12, 0.4]

    /// Runs `arguments` of `tool` (writing `output` in `dir` with --force over an existing file
    /// holding "keep"), kills it at each point, and checks the contract after each kill.
    func expectKillSafe(_ tool: String, _ arguments: [String], output: String, in dir: TemporaryDirectory) throws {
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.url.path))
        let outputPath = dir.path(output)
        var kills = 0
        for point in Self.killPoints {
            try? FileManager.default.removeItem(atPath: outputPath)
            try "keep".write(toFile: outputPath, atomically: false, encoding: .utf8)
            var appeared: Date?
            let run = try ToolRunner.runKilling(ToolRunner.executable(tool), arguments) { _ in
                if appeared == nil, Self.temporaries(in: dir, of: output, besides: before).count > 0 { appeared = Date() }
                return appeared.map { Date().timeIntervalSince($0) >= point } ?? false
            }
            let now = FileManager.default.contents(atPath: outputPath)
            if run.killed {
                kills += 1
            } else {
                #expect(run.status == 0, "\(tool): \(run.stderr.prefix(400))")
            }
            let again = try ToolRunner.run(tool, arguments, in: dir.url.path)
            #expect(again.status == 0, "\(tool) after a kill at \(point) s: \(again.stderr.prefix(400))")
            // After the kill the final path holds the old output or a complete new one (a kill
            // after the rename), which equals the rerun's (every stage here is deterministic).
            let complete = FileManager.default.contents(atPath: outputPath)
            #expect(now == Data("keep".utf8) || (now != nil && now == complete),
                    "\(tool) killed \(point) s into its write left \(now.map { "\($0.count) bytes that are neither the old output nor a complete new one" } ?? "no output")")
            let left = Self.temporaries(in: dir, of: output, besides: before)
            #expect(left.isEmpty, "\(tool) killed at \(point) s left \(left) after the next run")
        }
        // The workload must outlast the first kill points, or nothing here was tested.
        #expect(kills >= 2, "\(tool) was killed \(kills) times of \(Self.killPoints.count): it finished first")
    }

    /// Entries of `dir` that were not there before the test and are not the output itself.
    static func temporaries(in dir: TemporaryDirectory, of output: String, besides before: Set<String>) -> [String] {
        let now = (try? FileManager.default.contentsOfDirectory(atPath: dir.url.path)) ?? []
        return now.filter { !before.contains($0) && $0 != output }.sorted()
    }

    /// A CNN-s zoo of 300 checkpoints (about 3 MB), so that tokenizing it takes a while.
    static func writeLargerZoo(_ path: String) throws {
        let writer = try ZooWriter.create(path: path, architecture: "cnn_s", table: TokenStageCLITests.cnnS)
        for m in 0..<100 {
            try writer.addModel(ModelRecord(id: "m\(m)", seed: m, split: m % 7 == 0 ? .test : .train))
            for e in 0..<3 { try writer.appendCheckpoint(model: "m\(m)", epoch: e, row: TokenStageCLITests.row(m, e)) }
        }
        try writer.finish()
    }

    @Test func tokenize() throws {
        let dir = TemporaryDirectory()
        try Self.writeLargerZoo(dir.path("zoo.h5"))
        try expectKillSafe("hz-tokenize", [dir.path("zoo.h5"), "-o", dir.path("tokens.h5"), "--force"], output: "tokens.h5", in: dir)
    }

    @Test func augment() throws {
        let dir = TemporaryDirectory()
        try TokenStageCLITests.writeZoo(dir.path("zoo.h5"))
        try expectKillSafe("hz-augment", [dir.path("zoo.h5"), "--views", "40", "--permute", "-o", dir.path("views.h5"), "--force"],
                           output: "views.h5", in: dir)
    }

    @Test func convertImport() throws {
        let dir = TemporaryDirectory()
        try Self.writeLargerZoo(dir.path("zoo.h5"))
        let exported = try ToolRunner.run("hz-convert", [dir.path("zoo.h5"), "--to", "safetensors", "-o", dir.path("exported")])
        #expect(exported.status == 0, "\(exported.stderr)")
        try expectKillSafe("hz-convert", [dir.path("exported"), "-o", dir.path("imported.h5"), "--force"], output: "imported.h5", in: dir)
    }

    @Test func sample() throws {
        let dir = TemporaryDirectory()
        _ = try writeTinyZooAndAutoencoder(in: dir)
        try expectKillSafe("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "20000", "-o", dir.path("pop.h5"), "--force"],
                           output: "pop.h5", in: dir)
    }

    @Test func archive() throws {
        let dir = TemporaryDirectory()
        _ = try writeTinyZooAndAutoencoder(in: dir)
        let sampled = try ToolRunner.run("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "3000", "-o", dir.path("pop.h5")])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        try expectKillSafe("hz-archive", ["create", "-o", dir.path("pop.tar.zst"), "--population", dir.path("pop.h5"), "--force"],
                           output: "pop.tar.zst", in: dir)
    }
}
