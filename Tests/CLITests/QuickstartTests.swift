// The quickstart spec end to end through the real stage executables, shrunk with --set overrides
// to a few seconds of work: zoo → train → sample → eval → archive, then a fully cached re-run.
import Foundation
import Testing
import TestSupport

@Suite struct QuickstartTests {
    /// True when every stage the quickstart uses is a real command in this build.
    static var stagesBuilt: Bool {
        ["zoo", "train", "sample", "eval", "archive", "pipeline"].allSatisfy { stage in
            let tool = ArchivePipelineCLITests.binFolder.appendingPathComponent("hz-\(stage)")
            guard FileManager.default.isExecutableFile(atPath: tool.path) else { return false }
            let process = Process()
            process.executableURL = tool
            process.arguments = ["--experimental-dump-help"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    static let tiny = [
        "zoo.models=4", "zoo.epochs=1", "zoo.checkpoint-epochs=0,1", "zoo.train-size=300",
        "train.epochs=2", "train.batch-size=2", "train.width=16", "train.ff-width=32", "train.latent=8", "train.zoo-epochs=1",
        "sample.count=2", "sample.anchors=all", "sample.anchor-epochs=1",
        "eval.models=2", "eval.epochs=0,1", "eval.train-subset=200", "eval.test-subset=200", "eval.bootstrap=20",
    ]

    /// The Model Zoos example checks against the real stage CLIs (positional names such as
    /// "zoo.h5", hz-train's default subcommand, the tokenize | augment stream).
    @Test(.enabled(if: ArchivePipelineCLITests.built, "needs the hz-* products built"))
    func exampleSpecsMatchTheStageCLIs() throws {
        let tester = ArchivePipelineCLITests()
        let spec = Fixtures.project.appendingPathComponent("pipelines/from-model-zoos.json").path
        let stages = ["convert", "tokenize", "augment", "train", "sample", "archive"]
        for stage in stages {
            let dumped = try tester.run("hz-\(stage)", ["--experimental-dump-help"])
            #expect(dumped.status == 0, "hz-\(stage) --experimental-dump-help: \(dumped.stderr.prefix(300))")
        }
        let validated = try tester.run("hz-pipeline", ["validate", spec])
        #expect(validated.status == 0, "\(validated.stderr)")
        let graph = try tester.run("hz-pipeline", ["graph", spec])
        #expect(graph.stdout.contains("3. augment  (hz-augment)  ← tokenize.output (pipe) as <input>"), "\(graph.stdout)")
        #expect(graph.stdout.contains("(hz-train)  ← convert.output as <zoo>"), "\(graph.stdout)")
    }

    @Test(.enabled(if: stagesBuilt, "needs hz-zoo, hz-train, hz-sample, hz-eval, hz-archive built as real stages"))
    func tinyQuickstartRunsEndToEnd() throws {
        let dir = TemporaryDirectory()
        let spec = Fixtures.project.appendingPathComponent("pipelines/quickstart.json").path
        let tester = ArchivePipelineCLITests()
        let arguments = ["run", spec, "--output", dir.path("run"), "--jobs", "2"] + Self.tiny.flatMap { ["--set", $0] }
        let first = try tester.run("hz-pipeline", arguments)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("  report: \(dir.path("run"))/eval/report/report.html"), "\(first.stdout)")
        #expect(first.stdout.contains("  archive: \(dir.path("run"))/archive/population.tar.zst"))
        #expect(FileManager.default.fileExists(atPath: dir.path("run/eval/report/report.html")))
        let verified = try tester.run("hz-archive", ["verify", dir.path("run/archive/population.tar.zst")])
        #expect(verified.status == 0, "\(verified.stderr)")

        let again = try tester.run("hz-pipeline", arguments)
        #expect(again.status == 0 && again.stdout.contains("0 ran, 5 cached"), "\(again.stdout)")
    }

    /// A pipeline stopped while hz-train runs resumes the AE on the next run instead of failing on
    /// its own partial ("an interrupted run exists; pass --resume"): the runner adds --resume for
    /// the interrupted attempt of the same command, and training continues after the last epoch.
    @Test(.enabled(if: stagesBuilt, "needs hz-zoo, hz-train, hz-sample, hz-eval, hz-archive built as real stages"), .timeLimit(.minutes(5)))
    func aStoppedTrainingStageResumesOnTheNextRun() throws {
        let dir = TemporaryDirectory()
        let spec = Fixtures.project.appendingPathComponent("pipelines/quickstart.json").path
        // 600 epochs of the tiny AE (about 10 ms each unloaded): long enough that the stop after
        // epoch 3 lands mid-training on a fast machine (150 finished before the stop arrived).
        let settings = Self.tiny.map { $0 == "train.epochs=2" ? "train.epochs=600" : $0 }
        let arguments = ["run", spec, "--output", dir.path("run"), "--jobs", "2"] + settings.flatMap { ["--set", $0] }
        let first = Process()
        first.executableURL = ArchivePipelineCLITests.binFolder.appendingPathComponent("hz-pipeline")
        first.arguments = arguments
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let metrics = dir.path("run/train/ae.h5.metrics.jsonl.partial")
        let deadline = Date().addingTimeInterval(180)
        var epochsBeforeStop = 0
        while Date() < deadline && first.isRunning {
            epochsBeforeStop = ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").split(separator: "\n").count
            if epochsBeforeStop >= 3 { break }
            usleep(20_000)
        }
        first.terminate()
        first.waitUntilExit()
        try #require(epochsBeforeStop >= 3, "training never got going before the stop")
        try #require(!FileManager.default.fileExists(atPath: dir.path("run/train/ae.h5")), "training finished before the stop: give it more epochs")
        #expect(FileManager.default.fileExists(atPath: dir.path("run/train/ae.h5.partial")))

        let again = try ArchivePipelineCLITests().run("hz-pipeline", arguments)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        let log = try String(contentsOfFile: dir.path("run/logs/train.log"), encoding: .utf8)
        #expect(log.hasPrefix("$ ") && log.split(separator: "\n")[0].hasSuffix(" --resume"), "\(log.prefix(400))")
        #expect(log.contains("hz-train: resuming the interrupted run"), "\(log.prefix(600))")
        #expect(!log.contains("epochs 1…600"), "training started over: \(log.prefix(600))")
        #expect(FileManager.default.fileExists(atPath: dir.path("run/train/ae.h5")))
    }
}
