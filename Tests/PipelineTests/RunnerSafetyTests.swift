// The runner never loses a user's data and caches like a build system (issues 15 and 19), through
// real subprocesses (the fake /bin/sh operators, and the real hz-pipeline where its process
// handling is the point).
import Foundation
import Pipeline
import Testing
import TestSupport
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct RunnerSafetyTests {
    // 15.1: a run folder it did not make is refused, and nothing in it is touched; --adopt moves
    // what is in the way aside instead of deleting it.
    @Test func neverDeletesAFolderItDidNotMake() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("victim/docs/thesis"), withIntermediateDirectories: true)
        try "years of work\n".write(toFile: dir.path("victim/docs/thesis/chapter1.tex"), atomically: true, encoding: .utf8)
        let text = """
            {"pipeline": "p", "output": "\(dir.path("victim"))",
             "stages": [{"name": "docs", "operator": "gen", "params": {"fail": true}, "outputs": {"output": "thesis"}}]}
            """
        let refused = specMessages { _ = try runOnce(try loadSpec(text, in: dir), ops) }
        #expect(refused.count == 1 && refused[0].contains("was not made by hz-pipeline") && refused[0].contains("--adopt"), "\(refused)")
        #expect(try String(contentsOfFile: dir.path("victim/docs/thesis/chapter1.tex"), encoding: .utf8) == "years of work\n")
        #expect(ops.calls.isEmpty, "nothing may run")

        let (summary, _) = try runOnce(try loadSpec(text, in: dir), ops, options: RunOptions(adopt: true))
        #expect(summary.failed == ["docs"])
        #expect(try String(contentsOfFile: dir.path("victim/.hyperzoo-displaced/docs/thesis/chapter1.tex"), encoding: .utf8) == "years of work\n")
    }

    // 15.1: inside its own run folder, a stage folder someone else made is refused unless
    // --force STAGE, which moves it aside.
    @Test func aStageFolderItDidNotMakeNeedsForce() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let one = """
            {"pipeline": "p", "output": "\(dir.path("run"))",
             "stages": [{"name": "a", "operator": "gen", "outputs": {"output": "a.txt"}}]}
            """
        _ = try runOnce(try loadSpec(one, in: dir), ops)
        try FileManager.default.createDirectory(atPath: dir.path("run/b"), withIntermediateDirectories: true)
        try "mine\n".write(toFile: dir.path("run/b/b.txt"), atomically: true, encoding: .utf8)
        let two = """
            {"pipeline": "p", "output": "\(dir.path("run"))",
             "stages": [{"name": "a", "operator": "gen", "outputs": {"output": "a.txt"}},
                        {"name": "b", "operator": "gen", "outputs": {"output": "b.txt"}}]}
            """
        let refused = specMessages { _ = try runOnce(try loadSpec(two, in: dir), ops) }
        #expect(refused.count == 1 && refused[0].contains("--force b"), "\(refused)")
        #expect(try String(contentsOfFile: dir.path("run/b/b.txt"), encoding: .utf8) == "mine\n")
        let (summary, _) = try runOnce(try loadSpec(two, in: dir), ops, options: RunOptions(force: ["b"]))
        #expect(summary.ran == ["b"] && summary.cached == ["a"])
        #expect(try String(contentsOfFile: dir.path("run/.hyperzoo-displaced/b/b.txt"), encoding: .utf8) == "mine\n")
    }

    // 19.8 (last clause): a failed attempt never costs the good result it was to replace.
    @Test func aFailedStageGivesBackItsPreviousResult() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.path("run"))",
             "stages": [{"name": "ae", "operator": "gen", "params": {"count": 3}, "outputs": {"output": "ae.h5"}}]}
            """
        _ = try runOnce(try loadSpec(text, in: dir), ops)
        let (failed, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["ae.fail=true"]), ops)
        #expect(failed.failed == ["ae"])
        #expect(try String(contentsOfFile: dir.path("run/ae/ae.h5"), encoding: .utf8) == "1\n2\n3\n")
        let (again, _) = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(again.cached == ["ae"])
        #expect(ops.calls.count == 2)
    }

    // 19.7: every result stays cached by content, whatever ran in between.
    @Test func theCacheRemembersEveryResult() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.path("run"))",
             "stages": [{"name": "sample", "operator": "gen", "params": {"count": 4}, "outputs": {"output": "pop.txt"}},
                        {"name": "eval", "operator": "double", "inputs": {"input": "sample.output"}, "outputs": {"output": "e.txt"}}]}
            """
        _ = try runOnce(try loadSpec(text, in: dir), ops)
        _ = try runOnce(try loadSpec(text, in: dir, overrides: ["sample.count=6"]), ops)
        #expect(ops.calls.count == 4)
        let (dry, _) = try runOnce(try loadSpec(text, in: dir), ops, options: RunOptions(dryRun: true))
        #expect(dry.cached == ["eval", "sample"] && dry.restored.sorted() == ["eval", "sample"])
        let (back, lines) = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(back.cached == ["eval", "sample"], "\(lines)")
        #expect(ops.calls.count == 4, "count=4 was made before: \(ops.calls)")
        #expect(try String(contentsOfFile: dir.path("run/eval/e.txt"), encoding: .utf8) == "2\n4\n6\n8\n")
        let (six, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["sample.count=6"]), ops)
        #expect(six.cached == ["eval", "sample"] && ops.calls.count == 4)
        #expect(try String(contentsOfFile: dir.path("run/sample/pop.txt"), encoding: .utf8).hasSuffix("5\n6\n"))
    }

    // 19.7: a sweep of 3 sampler values over one zoo and one AE runs the zoo and the AE once.
    @Test func sweepPointsShareTheirUpstreamStages() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "sweep", "output": "\(dir.path("runs"))", "matrix": {"sampler": [1, 2, 3]},
             "stages": [{"name": "zoo", "operator": "gen", "params": {"count": 3}, "outputs": {"output": "zoo.h5"}},
                        {"name": "ae", "operator": "double", "inputs": {"input": "zoo.output"}, "outputs": {"output": "ae.h5"}},
                        {"name": "sample", "operator": "gen", "params": {"count": "${sampler}"}, "outputs": {"output": "pop.h5"}},
                        {"name": "eval", "operator": "join", "inputs": {"part": "ae.output"}, "outputs": {"output": "r.txt"}}]}
            """, in: dir)
        #expect(spec.runs().count == 3)
        for run in 0..<3 { _ = try runOnce(spec, ops, run: run) }
        #expect(ops.calls.filter { $0.hasPrefix("gen --count 3 ") && $0.contains("/zoo/") }.count == 1, "\(ops.calls)")
        #expect(ops.calls.filter { $0.hasPrefix("double ") }.count == 1, "\(ops.calls)")
        #expect(ops.calls.filter { $0.contains("/sample/") }.count == 3)
        for point in ["sampler=1", "sampler=2", "sampler=3"] {
            #expect(try String(contentsOfFile: dir.path("runs/\(point)/ae/ae.h5"), encoding: .utf8) == "2\n4\n6\n")
        }
        // --set on a swept variable runs that one point (cached here); an unknown variable is refused.
        let one = try loadSpec(try String(contentsOfFile: spec.file, encoding: .utf8), in: dir, overrides: ["vars.sampler=2"])
        #expect(one.runs().map(\.id) == ["sampler=2"])
        let (summary, _) = try runOnce(one, ops)
        #expect(summary.ran.isEmpty)
        let unknown = specMessages { _ = try loadSpec(try String(contentsOfFile: spec.file, encoding: .utf8), in: dir, overrides: ["vars.smapler=2"]) }
        #expect(unknown.count == 1 && unknown[0].contains("no variable 'smapler'") && unknown[0].contains("sampler"), "\(unknown)")
    }

    // 15.9: a tiny spec whose matrix would expand to billions of runs is refused before expansion.
    @Test func aHugeMatrixIsRefusedBeforeExpansion() throws {
        let dir = TemporaryDirectory()
        let values = "[" + (0..<40).map(String.init).joined(separator: ",") + "]"
        let matrix = (0..<16).map { "\"v\($0)\": \(values)" }.joined(separator: ",")  // 40^16 overflows Int64... nearly
        let messages = specMessages { _ = try loadSpec("""
            {"pipeline": "p", "matrix": {\(matrix)}, "stages": [{"name": "a", "operator": "gen"}]}
            """, in: dir) }
        #expect(messages.count == 1 && messages[0].hasPrefix("matrix: expands to") && messages[0].contains("limit of 1000"), "\(messages)")
        let small = specMessages { _ = try loadSpec("""
            {"pipeline": "p", "matrix": {"a": \(values), "b": \(values)}, "stages": [{"name": "a", "operator": "gen"}]}
            """, in: dir) }
        #expect(small.count == 1 && small[0].contains("1600"), "\(small)")
    }

    // 15.12: params and args may not name paths outside the run folder unless the stage says so.
    @Test func pathsStayInsideTheRunFolder() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        func plan(_ stage: String) throws -> PipelinePlan {
            let spec = try loadSpec("""
                {"pipeline": "p", "output": "\(dir.path("run"))", "stages": [\(stage)]}
                """, in: dir)
            return try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog)
        }
        let escape = specMessages { _ = try plan(#"{"name": "a", "operator": "gen", "params": {"sleep": "../../x"}, "args": ["--output=/anywhere"], "outputs": {"output": "a"}}"#) }
        #expect(escape.count == 2, "\(escape)")
        #expect(escape.first { $0.hasPrefix("stages[0].params.sleep: '../../x' is a path outside the run folder") } != nil, "\(escape)")
        #expect(escape.first { $0.hasPrefix("stages[0].args[0]: '/anywhere' is a path outside") } != nil, "\(escape)")
        // An output is a name inside the stage folder: '..' or an absolute path is refused.
        for name in ["../../victim", "/anywhere", ".."] {
            let outward = specMessages { _ = try plan(#"{"name": "a", "operator": "gen", "outputs": {"output": "\#(name)"}}"#) }
            #expect(!outward.isEmpty && outward.allSatisfy { $0.hasPrefix("stages[0].outputs.output") }, "\(name): \(outward)")
        }
        _ = try plan(#"{"name": "a", "operator": "gen", "params": {"sleep": "${run_folder}/a/x"}, "outputs": {"output": "a"}}"#)
        _ = try plan(#"{"name": "a", "operator": "gen", "paths_outside_run_folder": true, "params": {"sleep": "/anywhere"}, "outputs": {"output": "a"}}"#)
    }

    // 19.8: validate and dry-run know that hz-train reads exactly as many epochs of views as
    // hz-augment makes; a broken stream names the stage that failed first.
    @Test func crossStageConstraintsAndTheCauseOfABrokenPipe() throws {
        let ops = try FakeOperators()
        try ops.addExtras()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.path("run"))",
             "stages": [{"name": "zoo", "operator": "gen", "outputs": {"output": "zoo.h5"}},
                        {"name": "augment", "operator": "augment", "inputs": {"input": "zoo.output"}, "params": {"epochs": 10, "split": "train"}, "outputs": {"output": "-"}},
                        {"name": "train", "operator": "train", "inputs": {"zoo": "zoo.output", "views": "augment.output"}, "params": {"epochs": 10}, "outputs": {"output": "ae.h5"}}]}
            """
        let spec = try loadSpec(text, in: dir, overrides: ["train.epochs=12"])
        let messages = specMessages { _ = try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog) }
        #expect(messages == ["stages[2].params.epochs: hz-train trains 12 epochs on the views of stage 'augment', which makes 10 augmentation epochs; hz-train needs exactly one augmentation epoch per epoch: give both stages the same epochs (e.g. one variable)"])
        let defaults = try loadSpec(text.replacingOccurrences(of: #""params": {"epochs": 10}, "outputs": {"output": "ae.h5"}"#, with: #""outputs": {"output": "ae.h5"}"#), in: dir)
        #expect(specMessages { _ = try PipelinePlan(spec: defaults, run: defaults.runs()[0], catalog: ops.catalog) }.first?.contains("trains 40 epochs") == true)

        let piped = try loadSpec("""
            {"pipeline": "p", "output": "\(dir.path("run2"))",
             "stages": [{"name": "src", "operator": "gen", "params": {"count": 2000000}, "outputs": {"output": "-"}},
                        {"name": "sink", "operator": "sink", "inputs": {"input": "src.output"}, "outputs": {"output": "out"}}]}
            """, in: dir)
        let (summary, lines) = try runOnce(piped, ops)
        #expect(summary.failed == ["sink", "src"], "\(lines)")
        #expect(summary.failedFirst == ["sink"] && summary.failureCauses == ["src": "sink"], "\(lines)")
        let sinkLine = lines.firstIndex { $0.contains("sink") && $0.contains("FAILED (exit 4)") }
        let srcLine = lines.firstIndex { $0.contains("src") && $0.contains("because 'sink' failed first") }
        #expect(sinkLine != nil && srcLine != nil && sinkLine! < srcLine!, "\(lines)")
    }

    // 14.3: the running stage's own progress reaches the runner's report.
    @Test func runningStagesReportTheirProgress() throws {
        let ops = try FakeOperators()
        try ops.addExtras()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "p", "output": "\(dir.path("run"))", "stages": [{"name": "slow", "operator": "report", "outputs": {"output": "r"}}]}
            """, in: dir)
        let plan = try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog)
        let runner = try PipelineRunner(plan: plan, options: RunOptions(reportsProgress: true), say: { _ in })
        let seen = LineSink()
        runner.onProgress = { stages in for stage in stages { seen.append("\(stage.label)|\(Int(stage.elapsed))|\(stage.progress)") } }
        let summary = try runner.run()
        #expect(summary.ran == ["slow"])
        #expect(seen.lines.contains { $0.hasPrefix("[1/1] slow|") && $0.hasSuffix("|working [####....] 3/10 steps 2/s ETA 0:04") }, "\(seen.lines)")
        // Without a listener, no stage is asked (nothing is written for nobody).
        let quiet = try PipelineRunner(plan: plan, options: RunOptions(force: ["slow"]), say: { _ in })
        try? FileManager.default.removeItem(atPath: dir.path("run/logs/slow.progress"))
        _ = try quiet.run()
        #expect(!FileManager.default.fileExists(atPath: dir.path("run/logs/slow.progress")))
    }
}

/// hz-pipeline itself as a process (signals are the point).
@Suite(.serialized) struct RunnerProcessTests {
    static var built: Bool { ToolRunner.isBuilt("hz-pipeline") }

    /// Runs hz-pipeline to the end; returns its exit status and stderr.
    func run(_ arguments: [String], tools: String, cache: String) throws -> (status: Int32, stderr: String) {
        let errPath = cache + "-stderr-\(UUID().uuidString.prefix(6))"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = try start(arguments, tools: tools, cache: cache, stderr: FileHandle(forWritingAtPath: errPath)!)
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    func start(_ arguments: [String], tools: String, cache: String, stderr: FileHandle = .nullDevice) throws -> Process {
        let process = Process()
        process.executableURL = ToolRunner.executable("hz-pipeline")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HYPERZOO_TOOLS"] = tools
        environment["XDG_CACHE_HOME"] = cache
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        return process
    }

    /// The pid of the running attempt of `stage`, from the run folder's state (waits up to 10 s).
    func stagePid(_ folder: String, _ stage: String, not old: Int32?) -> Int32? {
        for _ in 0..<200 {
            if let node = try? JSONValue.read(path: folder + "/.hyperzoo-run.json"),
               let pid = node["attempts"]?[stage]?["pid"]?.intValue, pid > 0, Int32(pid) != old { return Int32(pid) }
            usleep(50_000)
        }
        return nil
    }

    func waitGone(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { return true }
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            usleep(50_000)
        }
        return false
    }

    // 15.11: stopping the runner (SIGTERM, or SIGKILL) stops its stage; a second runner in the
    // same folder, or a stage left running, gets a clear message.
    @Test(.enabled(if: built, "needs hz-pipeline built")) func stagesDieWithTheirRunner() throws {
        let ops = try FakeOperators()
        try ops.addExtras()
        let dir = TemporaryDirectory()
        let specPath = dir.path("spec.json")
        try """
            {"pipeline": "p", "output": "\(dir.path("run"))", "stages": [{"name": "w", "operator": "wait", "outputs": {"output": "w"}}]}
            """.write(toFile: specPath, atomically: true, encoding: .utf8)
        var previous: Int32?
        for signal in [SIGTERM, SIGKILL] {
            let runner = try start(["run", specPath], tools: ops.bin, cache: dir.path("cache"))
            guard let pid = stagePid(dir.path("run"), "w", not: previous) else { Issue.record("the stage did not start"); runner.terminate(); return }
            previous = pid
            #expect(kill(pid, 0) == 0)
            if signal == SIGTERM {
                let second = try run(["run", specPath], tools: ops.bin, cache: dir.path("cache"))
                #expect(second.status == 1 && second.stderr.contains("another hz-pipeline (pid \(runner.processIdentifier)) is running"), "\(second)")
            }
            kill(runner.processIdentifier, signal)
            runner.waitUntilExit()
            if signal == SIGTERM { #expect(runner.terminationStatus == 128 + SIGTERM) }
            #expect(waitGone(pid), "stage \(pid) outlived its runner (signal \(signal))")
        }

        // A stage process an earlier runner left behind is named, with how to stop it.
        let orphan = Process()
        // (hz-gen stays a shell running its script, so its command line names it; hz-wait execs sleep.)
        orphan.executableURL = URL(fileURLWithPath: ops.bin + "/hz-gen")
        orphan.arguments = ["--sleep", "30", "--output", dir.path("x")]
        try """
            {"pipeline": "p", "output": "\(dir.path("run"))", "stages": [{"name": "w", "operator": "gen", "outputs": {"output": "w"}}]}
            """.write(toFile: specPath, atomically: true, encoding: .utf8)
        try orphan.run()
        defer { orphan.terminate() }
        let statePath = dir.path("run/.hyperzoo-run.json")
        let state = try String(contentsOfFile: statePath, encoding: .utf8)
        let node = try JSONValue.read(path: statePath)
        var attempts = node["attempts"]?.objectValue ?? [:]
        attempts["w"] = .object(["key": "k", "pid": .number(Double(orphan.processIdentifier))])
        guard case .object(var root) = node else { return }
        root["attempts"] = .object(attempts)
        try JSONValue.object(root).pretty.write(toFile: statePath, atomically: true, encoding: .utf8)
        usleep(200_000)
        let blocked = try run(["run", specPath], tools: ops.bin, cache: dir.path("cache"))
        #expect(blocked.status == 1 && blocked.stderr.contains("stage 'w' of an earlier hz-pipeline run is still running as pid \(orphan.processIdentifier)") && blocked.stderr.contains("kill -- -\(orphan.processIdentifier)"), "\(blocked) \(state)")
    }
}

// Backward compatibility: a run folder written by the previous runner (a lock and stage folders,
// no ownership record, no result cache) is recognised and its stages stay cached.
@Test func aRunFolderOfTheEarlierRunnerStaysCached() throws {
    let ops = try FakeOperators()
    let dir = TemporaryDirectory()
    let spec = try loadSpec("""
        {"pipeline": "p", "output": "\(dir.path("run"))",
         "stages": [{"name": "gen", "operator": "gen", "outputs": {"output": "n.txt"}},
                    {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "d.txt"}}]}
        """, in: dir)
    _ = try runOnce(spec, ops)
    let calls = ops.calls.count
    for name in [RunFolderState.fileName, ".hyperzoo-cache", ".hyperzoo-run.lock"] { try FileManager.default.removeItem(atPath: dir.path("run/\(name)")) }
    let (again, _) = try runOnce(spec, ops)
    #expect(again.cached == ["dbl", "gen"] && ops.calls.count == calls)
}
