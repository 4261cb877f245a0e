// Every long-running stage draws a progress bar with a total (so an ETA) when stderr is a
// terminal, and draws nothing when it is not: each stage runs on tiny inputs twice, once under
// `script` (a pseudo-terminal) and once with stderr in a file.
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct ProgressOnTerminalTests {
    static var scriptInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    /// A stage invocation on the tiny inputs of `TinyWorld`, and the bar's label it must show.
    static let stages: [(command: String, label: String)] = [
        ("hz-zoo tiny-zoo.json -o z2.h5 --models 3 --epochs 4 --checkpoint-epochs 0,4", "training"),
        ("hz-train zoo.h5 -o a2.h5 --epochs 2 " + HelpExamplesTests.tinyAE.joined(separator: " "), "training"),
        ("hz-train reconstruct ae.h5 zoo.h5 --split test", "evaluating originals and reconstructions"),
        ("hz-augment zoo.h5 --split train --epochs 2 -o v.h5", "augmenting"),
        ("hz-sample ae.h5 zoo.h5 --count 8 -o p.h5", "decoding"),
        ("hz-eval kde30.h5 --zoo zoo.h5 --epochs 0,1 -o rep " + HelpExamplesTests.tinyEval.joined(separator: " "), "fine-tuning"),
        ("hz-archive create -o a.tar.zst --population kde30.h5", "archiving"),
        ("hz-archive verify pop.tar.zst", "verifying"),
        ("hz-archive extract pop.tar.zst -o x/", "extracting"),
        ("hz-convert zoos/tune_zoo_fmnist_uniform -o c.h5 --threads 1", "converting"),
        ("hz-convert zoo.h5 --to safetensors -o st/", "exporting"),
    ]

    /// A bar with a total: `label [####....] done/total unit rate/s ETA m:ss` or `... done`.
    static func hasBar(_ output: String, label: String) -> Bool {
        output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).contains { line in
            line.contains(label) && line.range(of: #"\[[#.]{24}\] \d+/\d+ .* (ETA [0-9:-]+|done)"#, options: .regularExpression) != nil
        }
    }

    @Test(.enabled(if: HelpExamplesTests.built && scriptInstalled, "needs the hz-* executables built and script(1)"))
    func longStagesShowABarOnATerminalAndNothingElsewhere() throws {
        let world = try TinyWorld()
        for stage in Self.stages {
            let place = try world.makePlace()
            defer { try? FileManager.default.removeItem(atPath: place) }
            let terminal = try world.shell("script -qec \(TinyWorld.quoted(stage.command)) /dev/null", in: place)
            #expect(terminal.status == 0, "\(stage.command) on a terminal: \(terminal.output.suffix(800))")
            #expect(Self.hasBar(terminal.output, label: stage.label), "\(stage.command) drew no '\(stage.label)' bar with a total on a terminal:\n\(terminal.output.suffix(800))")
            for name in ["z2.h5", "a2.h5", "a2.h5.metrics.jsonl", "v.h5", "p.h5", "rep", "a.tar.zst", "x", "c.h5", "st"] {
                try? FileManager.default.removeItem(atPath: "\(place)/\(name)")
            }
            let quiet = try world.shell(stage.command, in: place)
            #expect(quiet.status == 0, "\(stage.command): \(quiet.output.suffix(800))")
            #expect(!quiet.output.contains("\u{1B}[2K") && !quiet.output.contains("\r") && !Self.hasBar(quiet.output, label: stage.label),
                    "\(stage.command) drew a bar into a file:\n\(quiet.output.suffix(800))")
        }
    }

    /// hz-pipeline on a terminal shows the running stage's own bar (read from its progress file)
    /// and each finished stage's time; in a file only the stage lines.
    @Test(.enabled(if: HelpExamplesTests.built && scriptInstalled, "needs the hz-* executables built and script(1)"))
    func pipelineShowsTheStagesBarsOnATerminal() throws {
        let world = try TinyWorld()
        let place = try world.makePlace()
        defer { try? FileManager.default.removeItem(atPath: place) }
        try """
            {"pipeline": "p", "output": "runs/p", "stages": [
              {"name": "sample", "operator": "sample", "inputs": {"ae.h5": {"file": "ae.h5"}, "zoo.h5": {"file": "zoo.h5"}},
               "params": {"count": 1024, "batch-size": 1}, "outputs": {"output": "population.h5"}}]}
            """.write(toFile: "\(place)/p.json", atomically: true, encoding: .utf8)
        // 1,024 decodes one at a time keep the stage running past the runner's 0.5 s progress poll
        let terminal = try world.shell("script -qec 'hz-pipeline run p.json' /dev/null", in: place)
        #expect(terminal.status == 0, "\(terminal.output.suffix(800))")
        #expect(terminal.output.contains("sample"), "\(terminal.output)")
        #expect(terminal.output.contains("decoding"), "hz-pipeline did not show the stage's own bar:\n\(terminal.output)")
        let quiet = try world.shell("hz-pipeline run p.json --force sample", in: place)
        #expect(quiet.status == 0, "\(quiet.output.suffix(800))")
        #expect(!quiet.output.contains("\u{1B}[2K") && !quiet.output.contains("decoding ["), "\(quiet.output)")
    }
}
