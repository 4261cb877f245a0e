// Choice options are typed: each stage lists its choices in --help and --experimental-dump-help,
// refuses another value on the command line with the argument parser's message, and the
// pipeline refuses it at `hz-pipeline validate`, naming the stage, the param and the choices.
import Foundation
import Testing
import TestSupport

@Suite struct ChoiceOptionsCLITests {
    static let built = ["hz-pipeline", "hz-sample", "hz-eval", "hz-tokenize", "hz-archive", "hz-train"].allSatisfy(ToolRunner.isBuilt)

    /// The `allValues` of `--name` in a stage's `--experimental-dump-help`.
    func dumpedChoices(_ tool: String, _ subcommand: [String] = [], option name: String) throws -> [String]? {
        let dumped = try ToolRunner.run(tool, subcommand + ["--experimental-dump-help"])
        try #require(dumped.status == 0, "\(tool) --experimental-dump-help: \(dumped.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dumped.stdout.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            if names.contains(name) { return argument["allValues"] as? [String] }
        }
        return nil
    }

    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func stagesDumpTheirChoicesWithTodaysSpellings() throws {
        #expect(try dumpedChoices("hz-sample", option: "sampler") == ["kde", "kde-joint", "gaussian", "neigh", "uniform", "noise-control"])
        #expect(try dumpedChoices("hz-sample", option: "anchor-split") == ["train", "val", "test", "any"])
        #expect(try dumpedChoices("hz-sample", option: "anchor-metric")?.contains("test_acc") == true)
        #expect(try dumpedChoices("hz-sample", option: "box") == ["per-component", "cube"])
        #expect(try dumpedChoices("hz-eval", option: "scratch") == ["init", "zoo-test"])
        #expect(try dumpedChoices("hz-eval", option: "transfer") == ["digits", "fashion-mnist", "mnist", "svhn", "cifar10", "stl10", "none", "fmnist"])
        #expect(try dumpedChoices("hz-tokenize", option: "tokenizer") == ["neuron", "uniform"])
        #expect(try dumpedChoices("hz-tokenize", option: "split") == ["train", "val", "test"])
        #expect(try dumpedChoices("hz-archive", ["create"], option: "format") == ["tar.zst", "tar.gz", "zip", "tar"])
        // The recipe overrides and hz-train's switches (typed in issue 16).
        #expect(try dumpedChoices("hz-eval", option: "activation") == ["tanh", "relu", "leakyrelu", "sigmoid", "silu", "gelu"])
        #expect(try dumpedChoices("hz-eval", option: "optimizer") == ["adam", "adamw", "sgd"])
        #expect(try dumpedChoices("hz-eval", option: "initializer")?.contains("kaiming_uniform") == true)
        #expect(try dumpedChoices("hz-eval", option: "dataset")?.contains("fashion-mnist") == true)
        #expect(try dumpedChoices("hz-train", ["fit"], option: "bottleneck") == ["linear", "linear_bounded"])
        #expect(try dumpedChoices("hz-train", ["fit"], option: "decompression") == ["linear", "repeat"])
        #expect(try dumpedChoices("hz-train", ["fit"], option: "reduction") == ["global_mean", "layer_mean"])
        #expect(try dumpedChoices("hz-train", ["fit"], option: "optimizer") == ["adam", "adamw", "sgd"])
        #expect(try dumpedChoices("hz-train", ["reconstruct"], option: "split") == ["train", "val", "test"])
        // Free-form values stay strings: no choice list.
        #expect(try dumpedChoices("hz-sample", option: "bandwidth") == nil)
        #expect(try dumpedChoices("hz-eval", option: "normalization") == nil)
        #expect(try dumpedChoices("hz-train", ["fit"], option: "schedule") == nil)
    }

    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func aBadChoiceOnTheCommandLineIsRefusedWithTheChoices() throws {
        let dir = TemporaryDirectory()
        let result = try ToolRunner.run("hz-eval", ["p.h5", "--zoo", "zoo.h5", "-o", dir.path("report"), "--scratch", "fresh"])
        #expect(result.status != 0 && result.status < 128, "\(result)")
        #expect(result.stderr.contains("'fresh'") && result.stderr.contains("init") && result.stderr.contains("zoo-test"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("report")))
        let help = try ToolRunner.run("hz-eval", ["--help"])
        #expect(help.stdout.contains("init") && help.stdout.contains("zoo-test"), "\(help.stdout)")
        // An alias still parses, case-insensitively, as before the option was typed: the run gets
        // as far as the missing file, reported on the one error line of every stage.
        let alias = try ToolRunner.run("hz-eval", [dir.path("missing.h5"), "--zoo", dir.path("missing.h5"), "-o", dir.path("report"),
                                                   "--transfer", "FMNIST", "--baselines", "none"])
        #expect(alias.status == 1, "\(alias)")
        let lines = alias.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("hz-eval: ") && lines[0].contains("missing.h5"), "\(alias.stderr)")
    }

    func validate(_ stages: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let dir = TemporaryDirectory()
        for name in ["ae.h5", "zoo.h5"] { try Data().write(to: URL(fileURLWithPath: dir.path(name))) }
        let spec = dir.path("spec.json")
        try "{\"pipeline\": \"choices\", \"stages\": [\(stages)]}".write(toFile: spec, atomically: true, encoding: .utf8)
        return try ToolRunner.run("hz-pipeline", ["validate", spec], in: dir.url.path)
    }

    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func aSpecParamOutsideTheStageChoicesIsRefusedAtValidate() throws {
        let refused = try validate("""
            {"name": "draw", "operator": "sample", "inputs": {"ae.h5": {"file": "ae.h5"}, "zoo.h5": {"file": "zoo.h5"}},
             "params": {"sampler": "kde-2d", "anchor-split": "everything"}, "outputs": {"output": "p.h5"}}
            """)
        #expect(refused.status != 0 && refused.status < 128, "\(refused)")
        #expect(refused.stderr.contains("stages[0].params.sampler: stage 'draw': hz-sample --sampler: expected one of kde, kde-joint, gaussian, neigh, uniform, noise-control, found \"kde-2d\""), "\(refused.stderr)")
        #expect(refused.stderr.contains("stages[0].params.anchor-split: stage 'draw': hz-sample --anchor-split: expected one of train, val, test, any, found \"everything\""), "\(refused.stderr)")

        let accepted = try validate("""
            {"name": "draw", "operator": "sample", "inputs": {"ae.h5": {"file": "ae.h5"}, "zoo.h5": {"file": "zoo.h5"}},
             "params": {"sampler": "kde-joint", "anchor-split": "any", "box": "cube"}, "outputs": {"output": "p.h5"}}
            """)
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }
}
