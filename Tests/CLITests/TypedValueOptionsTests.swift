// The free-form options are typed values the argument parser builds once: the ten epoch lists
// (EpochSelection), hz-sample's --anchors and --bandwidth, hz-augment's --erase-scale and
// hz-archive extract's --max-size. A good value reaches the library as it did when each was a
// string parsed in validate() and again in run(); a bad one is refused by the parser, exit 64,
// with the reason the hand-written check gave, and nothing is written.
import Foundation
@testable import HyperZooCLI
import HyperRep
import Testing
import TestSupport

@Suite struct TypedValueOptionsTests {
    @Test func everyEpochListOptionReachesItsCommandAsTheParsedSet() throws {
        let convert = try ConvertCommand.parse(["models/", "-o", "zoo.h5", "--epochs", "0,5,10-12"])
        #expect(convert.epochs?.epochs == [0, 5, 10, 11, 12] && convert.epochs?.text == "0,5,10-12")
        #expect(try ConvertCommand.parse(["models/", "-o", "zoo.h5"]).epochs == nil)

        let eval = try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "pop.h5", "--epochs", "5,0-1"])
        #expect(try eval.evaluationOptions().epochs == [0, 1, 5])
        #expect(try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "pop.h5"]).evaluationOptions().epochs == [0, 1, 5])

        let sample = try SampleCommand.parse(["ae.h5", "zoo.h5", "-o", "pop.h5", "--anchor-epochs", "25,21-22"])
        #expect(try sample.request.anchors.epochs == [21, 22, 25])
        #expect(try SampleCommand.parse(["ae.h5", "zoo.h5", "-o", "pop.h5"]).request.anchors.epochs == nil)

        #expect(try TokenizeCommand.parse(["zoo.h5", "--checkpoint-epochs", "1"]).selection.selection().epochs == [1])
        #expect(try AugmentCommand.parse(["zoo.h5", "--checkpoint-epochs", "0-1"]).selection.selection().epochs == [0, 1])
        #expect(try ZooCommand.parse(["config.json", "-o", "zoo.h5", "--checkpoint-epochs", "0,21-22"]).checkpointEpochs?.epochs == [0, 21, 22])
        #expect(try TrainCommand.Encode.parse(["ae.h5", "zoo.h5", "-o", "z.npy", "--epochs", "25"]).epochs?.epochs == [25])
        let probe = try TrainCommand.Probe.parse(["ae.h5", "zoo.h5", "--epochs", "1-4"])
        #expect(probe.epochs?.epochs == [1, 2, 3, 4] && probe.epochs?.text == "1-4")
        let reconstruct = try TrainCommand.Reconstruct.parse(["ae.h5", "zoo.h5", "--epochs", "4"])
        #expect(reconstruct.epochs?.epochs == [4] && reconstruct.epochs?.text == "4")
        #expect(try TrainCommand.Fit.parse(["zoo.h5", "-o", "ae.h5", "--zoo-epochs", "21-25"]).zooEpochs?.epochs == Set(21...25))
    }

    @Test func aBadEpochListKeepsEpochListsReasonAfterTheParsersPrefix() {
        do {
            _ = try TrainCommand.Fit.parse(["zoo.h5", "-o", "ae.h5", "--zoo-epochs", "3-1"])
            Issue.record("--zoo-epochs 3-1 was accepted")
        } catch {
            let message = TrainCommand.Fit.message(for: error)
            #expect(message.contains("The value '3-1' is invalid for '--zoo-epochs <list>'"), "\(message)")
            #expect(message.contains("--zoo-epochs: '3-1' is not an epoch or a range like 21-25"), "\(message)")
            #expect(TrainCommand.Fit.exitCode(for: error) == .validationFailure)
        }
        #expect(throws: (any Error).self) { try EpochSelection("", option: "--epochs") }
        #expect(throws: (any Error).self) { try EpochSelection("0-9999999999", option: "--epochs") }
    }

    @Test func samplerAugmentAndArchiveValuesAreTheOnesTheLibraryParsed() throws {
        let sample = try SampleCommand.parse(["ae.h5", "zoo.h5", "-o", "pop.h5", "--anchors", "TOP50", "--bandwidth", "2e-3"])
        #expect(try sample.request.anchors == AnchorSpec(rule: "top50"))
        #expect(sample.bandwidth.rule == .fixed(0.002))
        // The text as written reaches SamplerOptions (the population records it so).
        guard case .latent(let options) = try sample.request.method else { Issue.record("not a latent sampler"); return }
        #expect(options.bandwidth == "2e-3")
        let defaults = try SampleCommand.parse(["ae.h5", "zoo.h5", "-o", "pop.h5"])
        #expect(try defaults.request.anchors == AnchorSpec(rule: "top30") && defaults.bandwidth.rule == .scott)
        #expect(try SampleCommand.parse(["ae.h5", "zoo.h5", "-o", "pop.h5", "--anchors", "all"]).anchors.fraction == 1)

        #expect(try AugmentCommand.parse(["zoo.h5"]).options().eraseScale == AugmentOptions().eraseScale)
        #expect(try AugmentCommand.parse(["zoo.h5", "--erase-scale", "0.1-0.5"]).options().eraseScale == 0.1...0.5)

        #expect(try ArchiveCommand.Extract.parse(["a.tar", "-o", "out"]).maxSize.bytes == 64 << 30)
        #expect(try ByteCountLimit.parse("64G") == ByteCountLimit.extractionDefault, "the help's default is the default")
        #expect(try ArchiveCommand.Extract.parse(["a.tar", "-o", "out", "--max-size", "1M"]).maxSize.bytes == 1 << 20)
    }

    static let built = ["hz-convert", "hz-eval", "hz-sample", "hz-tokenize", "hz-augment", "hz-zoo", "hz-train", "hz-archive"]
        .allSatisfy(ToolRunner.isBuilt)

    /// One bad value per typed option: the tool, its arguments before the output, the option and
    /// value, and the reason stderr must carry.
    static let refusals: [(tool: String, leading: [String], option: String, value: String, reason: String)] = [
        ("hz-convert", ["models"], "--epochs", "3-1", "--epochs: '3-1' is not an epoch or a range like 21-25"),
        ("hz-eval", ["pop.h5", "--zoo", "zoo.h5"], "--epochs", "1,x", "--epochs: 'x' is not an epoch"),
        ("hz-sample", ["ae.h5", "zoo.h5"], "--anchor-epochs", "5-", "--anchor-epochs: '5-' is not an epoch"),
        ("hz-sample", ["ae.h5", "zoo.h5"], "--anchors", "top0", "--anchors 'top0' is not topN (1-100) or all"),
        ("hz-sample", ["ae.h5", "zoo.h5"], "--bandwidth", "wide", "--bandwidth 'wide' is not scott, silverman or a positive number"),
        ("hz-tokenize", ["zoo.h5"], "--checkpoint-epochs", "x", "--checkpoint-epochs: 'x' is not an epoch"),
        ("hz-augment", ["zoo.h5"], "--erase-scale", "0.5-0.2", "--erase-scale must look like 0.02-0.33 (0 ≤ low ≤ high ≤ 1), not '0.5-0.2'"),
        ("hz-zoo", ["config.json"], "--checkpoint-epochs", "0-99999999999", "--checkpoint-epochs: '0-99999999999' is not an epoch"),
        ("hz-train", ["encode", "ae.h5", "zoo.h5"], "--epochs", "x", "--epochs: 'x' is not an epoch"),
        ("hz-train", ["probe", "ae.h5", "zoo.h5"], "--epochs", "2,,3", "--epochs: '' is not an epoch"),
        ("hz-train", ["reconstruct", "ae.h5", "zoo.h5"], "--epochs", "-1", "--epochs: '-1' is not an epoch"),
        ("hz-train", ["fit", "zoo.h5"], "--zoo-epochs", "x", "--zoo-epochs: 'x' is not an epoch"),
        ("hz-archive", ["extract", "pop.tar"], "--max-size", "12Q", "--max-size: expected a size such as 500M or 64G (at most 8 EiB), got '12Q'"),
    ]

    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func aBadValueExits64WithTheReasonAndWritesNothing() throws {
        for refusal in Self.refusals {
            let dir = TemporaryDirectory()
            // `--option=value` so that a value starting with '-' reaches the parser as a value.
            let arguments = refusal.leading + ["-o", dir.path("out"), "\(refusal.option)=\(refusal.value)"]
            let result = try ToolRunner.run(refusal.tool, arguments, in: dir.url.path)
            let label = "\(refusal.tool) \(arguments.joined(separator: " "))"
            #expect(result.status == 64, "\(label): \(result)")
            #expect(result.stderr.contains("The value '\(refusal.value)' is invalid for '\(refusal.option) <"), "\(label): \(result.stderr)")
            #expect(result.stderr.contains(refusal.reason), "\(label): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty, "\(label) left files behind")
        }
    }

    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func helpStillShowsTheDefaultsOfTransformedOptions() throws {
        for (tool, subcommand, needle) in [("hz-eval", [String](), "(default: 0,1,5)"), ("hz-sample", [], "(default: scott)"),
                                           ("hz-sample", [], "(default: top30)"), ("hz-augment", [], "(default: 0.02-0.33)"),
                                           ("hz-archive", ["extract"], "(default: 64G)")] {
            let help = try ToolRunner.run(tool, subcommand + ["--help"])
            // Compared with the line breaks and indentation of the help's wrapping undone.
            #expect(help.status == 0 && help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains(needle), "\(tool) --help: \(help.stdout)")
        }
    }

    /// Good values through the real executables: an explicit --erase-scale equal to the default
    /// gives the same bytes as none, and --anchor-epochs / --anchors pick the anchors they name.
    @Test(.enabled(if: built, "needs the hz-* stages built (swift build)"))
    func goodValuesBehaveAsBeforeInTheRealExecutables() throws {
        let dir = TemporaryDirectory()
        try TokenStageCLITests.writeZoo(dir.path("zoo.h5"))
        let common = [dir.path("zoo.h5"), "--erase", "0.5", "--seed", "3", "--checkpoint-epochs", "1"]
        let implicit = try ToolRunner.run("hz-augment", common + ["-o", dir.path("a.h5")])
        let explicit = try ToolRunner.run("hz-augment", common + ["--erase-scale", "0.02-0.33", "-o", dir.path("b.h5")])
        let wider = try ToolRunner.run("hz-augment", common + ["--erase-scale", "0.5-1", "-o", dir.path("c.h5")])
        #expect(implicit.status == 0 && explicit.status == 0 && wider.status == 0, "\(implicit.stderr)\(explicit.stderr)\(wider.stderr)")
        let a = try Data(contentsOf: dir.url.appendingPathComponent("a.h5")), b = try Data(contentsOf: dir.url.appendingPathComponent("b.h5"))
        #expect(a == b, "an explicit default --erase-scale changed the views")
        #expect(try Data(contentsOf: dir.url.appendingPathComponent("c.h5")) != a, "--erase-scale was ignored")

        let sampled = try ToolRunner.run("hz-sample", [dir.path("zoo.h5"), "--sampler", "noise-control", "--novelty", "0", "--count", "2",
                                                       "--anchors", "all", "--anchor-epochs", "1", "-o", dir.path("pop.h5"), "--json"])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(sampled.stdout.utf8)) as? [String: Any]
        // Training-split models m0 and m1 at epoch 1.
        #expect(summary?["anchors"] as? Int == 2, "\(sampled.stdout)")
    }
}
