// The runner through real subprocesses (the fake /bin/sh operators): caching, overrides, --force,
// dry run, failure and resume, pipes, parallel stages, matrix runs.
import Foundation
import Pipeline
import Testing
import TestSupport

/// Runs `spec` once and returns the summary and the progress lines.
func runOnce(_ spec: PipelineSpec, _ ops: FakeOperators, run: Int = 0, options: RunOptions = RunOptions()) throws -> (RunSummary, [String]) {
    let plan = try PipelinePlan(spec: spec, run: spec.runs()[run], catalog: ops.catalog)
    let lines = LineSink()
    let summary = try PipelineRunner(plan: plan, options: options, say: { lines.append($0) }).run()
    return (summary, lines.lines)
}

// unchecked because: `stored` is only read and written while holding `lock`.
final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

func chainSpec(_ dir: TemporaryDirectory) -> String {
    """
    {"pipeline": "chain", "output": "\(dir.url.path)/run", "vars": {"n": 4},
     "stages": [
       {"name": "gen", "operator": "gen", "params": {"count": "${n}"}, "outputs": {"output": "nums.txt"}},
       {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "doubled.txt"}},
       {"name": "side", "operator": "gen", "params": {"count": 2}, "outputs": {"output": "side.txt"}},
       {"name": "join", "operator": "join", "inputs": {"part": "dbl.output"}, "params": {"part": []}, "outputs": {"output": "all.txt"}}
     ]}
    """
}

@Suite struct RunnerTests {
    @Test func runsThenSkipsEverythingCached() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "chain", "output": "\(dir.url.path)/run", "vars": {"n": 4},
             "stages": [
               {"name": "gen", "operator": "gen", "params": {"count": "${n}"}, "outputs": {"output": "nums.txt"}},
               {"name": "dbl", "operator": "double", "inputs": {"input": "gen.output"}, "outputs": {"output": "doubled.txt"}},
               {"name": "join", "operator": "join", "inputs": {"part": "dbl.output"}, "outputs": {"output": "all.txt"}}
             ]}
            """, in: dir)
        let (first, _) = try runOnce(spec, ops)
        #expect(first.ran == ["dbl", "gen", "join"])
        #expect(try String(contentsOfFile: dir.path("run/join/all.txt"), encoding: .utf8) == "2\n4\n6\n8\n")
        let lockText = try String(contentsOfFile: dir.path("run/pipeline.lock.json"), encoding: .utf8)

        let (second, lines) = try runOnce(spec, ops)
        #expect(second.cached == ["dbl", "gen", "join"])
        #expect(ops.calls.count == 3, "a cached run must start no stage: \(ops.calls)")
        #expect(lines.allSatisfy { $0.hasSuffix("cached") })
        // The lock is deterministic: unchanged by a cached run.
        #expect(try String(contentsOfFile: dir.path("run/pipeline.lock.json"), encoding: .utf8) == lockText)

        // A modified output is noticed and rebuilt.
        try "tampered\n".write(toFile: dir.path("run/dbl/doubled.txt"), atomically: true, encoding: .utf8)
        let (third, thirdLines) = try runOnce(spec, ops, options: RunOptions(dryRun: true))
        #expect(third.outcomes["dbl"] == .wouldRun(reason: "output 'output' was modified since it was made"))
        #expect(thirdLines.contains { $0.contains("join") && $0.contains("input 'part' will be rebuilt by stage 'dbl'") })
        #expect(ops.calls.count == 3, "a dry run runs nothing")
    }

    /// A stage that succeeds with warnings on stderr (a collapsed AE, copied samples) has them
    /// shown under its "done" line, not only in its log.
    @Test func warningsOfAStageAreShownWhenItFinishes() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "warn", "output": "\(dir.url.path)/run",
             "stages": [{"name": "gen", "operator": "gen", "params": {"mode": "slow"}, "outputs": {"output": "nums.txt"}},
                        {"name": "quiet", "operator": "gen", "params": {"mode": "fast"}, "outputs": {"output": "nums.txt"}}]}
            """, in: dir)
        let (summary, lines) = try runOnce(spec, ops)
        #expect(summary.ran == ["gen", "quiet"])
        let warnings = lines.filter { $0.contains("hz-gen: warning: slow mode; try: --mode fast") }
        #expect(warnings.count == 1, "\(lines)")
        let done = lines.firstIndex { $0.contains("gen") && $0.contains("done in") && !$0.contains("quiet") }
        let shown = lines.firstIndex { $0.contains("hz-gen: warning:") }
        #expect(done != nil && shown == done.map { $0 + 1 }, "the warning follows its stage's done line: \(lines)")
    }

    /// A repeating argument takes a list of stage outputs, in list order (hz-eval's populations);
    /// a list for an argument that takes one value is refused with its JSON path.
    @Test func aListInputFeedsARepeatingArgumentInOrder() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "lists", "output": "\(dir.url.path)/run",
             "stages": [{"name": "a", "operator": "gen", "params": {"count": 2}, "outputs": {"output": "a.txt"}},
                        {"name": "b", "operator": "gen", "params": {"count": 3}, "outputs": {"output": "b.txt"}},
                        {"name": "all", "operator": "join", "inputs": {"part": ["b.output", "a.output", "b.output"]}, "outputs": {"output": "all.txt"}}]}
            """, in: dir)
        let (summary, _) = try runOnce(spec, ops)
        #expect(summary.ran == ["a", "all", "b"])
        #expect(try String(contentsOfFile: dir.path("run/all/all.txt"), encoding: .utf8) == "1\n2\n3\n1\n2\n1\n2\n3\n")
        let (again, _) = try runOnce(spec, ops)
        #expect(again.cached == ["a", "all", "b"])

        let bad = try loadSpec("""
            {"pipeline": "bad", "output": "\(dir.url.path)/bad",
             "stages": [{"name": "a", "operator": "gen", "outputs": {"output": "a.txt"}},
                        {"name": "d", "operator": "double", "inputs": {"input": ["a.output", "a.output"]}, "outputs": {"output": "d.txt"}}]}
            """, in: dir)
        #expect(throws: (any Error).self) { _ = try PipelinePlan(spec: bad, run: bad.runs()[0], catalog: ops.catalog) }
        do { _ = try PipelinePlan(spec: bad, run: bad.runs()[0], catalog: ops.catalog) } catch {
            #expect("\(error)".contains("stages[1].inputs.input") && "\(error)".contains("a list is not allowed"), "\(error)")
        }
    }

    @Test func overrideRerunsOnlyWhatDependsOnIt() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "a", "operator": "gen", "params": {"count": 3}, "outputs": {"output": "a.txt"}},
               {"name": "b", "operator": "gen", "params": {"count": 2}, "outputs": {"output": "b.txt"}},
               {"name": "da", "operator": "double", "inputs": {"input": "a.output"}, "outputs": {"output": "da.txt"}},
               {"name": "db", "operator": "double", "inputs": {"input": "b.output"}, "outputs": {"output": "db.txt"}}
             ]}
            """
        _ = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(ops.calls.count == 4)
        let (dry, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["a.count=5"]), ops, options: RunOptions(dryRun: true))
        #expect(dry.outcomes["a"] == .wouldRun(reason: "param count 3 → 5"))
        #expect(dry.outcomes["b"] == .cached && dry.outcomes["db"] == .cached)
        let (summary, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["a.count=5"]), ops)
        #expect(summary.ran == ["a", "da"])
        #expect(summary.cached == ["b", "db"])
        #expect(try String(contentsOfFile: dir.path("run/da/da.txt"), encoding: .utf8) == "2\n4\n6\n8\n10\n")

        // --force reruns a stage; its output is identical, so its dependant stays cached.
        let (forced, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["a.count=5"]), ops, options: RunOptions(force: ["b"]))
        #expect(forced.ran == ["b"])
        #expect(forced.cached == ["a", "da", "db"])
    }

    @Test func failureStopsDependantsAndResumeRunsTheRest() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "good", "operator": "gen", "params": {"count": 2}, "outputs": {"output": "g.txt"}},
               {"name": "bad", "operator": "gen", "params": {"count": 2, "fail": true}, "outputs": {"output": "b.txt"}},
               {"name": "after", "operator": "double", "inputs": {"input": "bad.output"}, "outputs": {"output": "a.txt"}},
               {"name": "fine", "operator": "double", "inputs": {"input": "good.output"}, "outputs": {"output": "f.txt"}}
             ]}
            """
        let (summary, lines) = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(summary.failed == ["bad"])
        #expect(summary.outcomes["bad"] == .failed(status: 3, log: dir.path("run/logs/bad.log")))
        #expect(summary.outcomes["after"] == .notRun(blockedBy: "bad"))
        #expect(summary.ran == ["fine", "good"])
        #expect(lines.contains { $0.contains("bad") && $0.contains("FAILED (exit 3); its log: \(dir.path("run/logs/bad.log"))") })
        #expect(lines.contains("    | gen: failing on purpose"))
        let log = try String(contentsOfFile: dir.path("run/logs/bad.log"), encoding: .utf8)
        #expect(log.hasPrefix("$ \(ops.bin)/hz-gen --count 2 --fail --output "))
        #expect(log.hasSuffix("# exit status 3 after") == false && log.contains("# exit status 3 after"))

        // Fix the stage and resume: only the failed stage and the one it blocked run.
        let (resumed, _) = try runOnce(try loadSpec(text, in: dir, overrides: ["bad.fail=false"]), ops)
        #expect(resumed.ran == ["after", "bad"])
        #expect(resumed.cached == ["fine", "good"])
    }

    @Test func streamedStagesShareARealPipe() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "src", "operator": "gen", "params": {"count": 50000}, "outputs": {"output": "-"}},
               {"name": "sink", "operator": "double", "inputs": {"input": "src.output"}, "outputs": {"output": "out.txt"}}
             ]}
            """
        let (summary, _) = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(summary.ran == ["sink", "src"])
        let out = try String(contentsOfFile: dir.path("run/sink/out.txt"), encoding: .utf8).split(separator: "\n")
        #expect(out.count == 50000 && out.last == "100000")
        #expect(ops.calls.contains { $0.hasPrefix("gen --count 50000 --output -") })
        #expect(ops.calls.contains { $0.hasPrefix("double --input - ") })
        let (again, _) = try runOnce(try loadSpec(text, in: dir), ops)
        #expect(again.cached == ["sink", "src"])
        // A stream needs exactly one reader.
        let orphan = try loadSpec("""
            {"pipeline": "p", "stages": [{"name": "src", "operator": "gen", "outputs": {"output": "-"}}]}
            """, in: dir)
        #expect(specMessages { _ = try PipelinePlan(spec: orphan, run: orphan.runs()[0], catalog: ops.catalog) }
                    == ["stages[0].outputs.output: a streamed output (\"-\") needs exactly one reading stage, found 0"])
    }

    @Test func independentStagesRunInParallel() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "p", "output": "\(dir.url.path)/run",
             "stages": [
               {"name": "one", "operator": "gen", "params": {"sleep": 0.4}, "outputs": {"output": "1"}},
               {"name": "two", "operator": "gen", "params": {"sleep": 0.4}, "outputs": {"output": "2"}}
             ]}
            """
        let (_, lines) = try runOnce(try loadSpec(text, in: dir), ops, options: RunOptions(jobs: 2))
        let firstDone = lines.firstIndex { $0.contains("done in") }!
        #expect(lines[..<firstDone].filter { $0.contains("running") }.count == 2, "\(lines)")
        let (_, serial) = try runOnce(try loadSpec(text, in: dir), ops, options: RunOptions(jobs: 1, force: ["one", "two"]))
        let serialDone = serial.firstIndex { $0.contains("done in") }!
        #expect(serial[..<serialDone].filter { $0.contains("running") }.count == 1, "\(serial)")
    }

    @Test func matrixRunsGetTheirOwnFolders() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "m", "output": "\(dir.url.path)/runs", "matrix": {"n": [1, 2]},
             "stages": [{"name": "g", "operator": "gen", "params": {"count": "${n}"}, "outputs": {"output": "g.txt"}}]}
            """, in: dir)
        for run in 0..<2 { _ = try runOnce(spec, ops, run: run) }
        #expect(try String(contentsOfFile: dir.path("runs/n=1/g/g.txt"), encoding: .utf8) == "1\n")
        #expect(try String(contentsOfFile: dir.path("runs/n=2/g/g.txt"), encoding: .utf8) == "1\n2\n")
        #expect(FileManager.default.fileExists(atPath: dir.path("runs/n=2/pipeline.lock.json")))
    }
}
