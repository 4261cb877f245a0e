import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import HyperRep
import ZooStore

/// A small report with every section filled.
func sampleReport() -> EvaluationReport {
    func population(_ name: String, role: String, base: Double) -> PopulationResult {
        let epochs = [0, 1, 5].map { e in
            let acc = (0..<12).map { base + 0.02 * Double(e) + 0.01 * sin(Double($0)) }
            return EpochResult(epoch: e, accuracies: acc, losses: acc.map { 1 - $0 }, bootstrapSeed: 1, resamples: 100)
        }
        return PopulationResult(name: name, role: role, details: ["sampler": name], modelCount: 12, epochs: epochs)
    }
    let pops = [population("S_KDE30", role: "sampled", base: 0.6), population("B_T", role: "baseline", base: 0.1),
                population("B_F <zoo>", role: "baseline", base: 0.7)]
    return EvaluationReport(
        generator: "hyperzoo test", createdAt: "2026-01-01T00:00:00Z",
        commands: ["hz-sample ae.h5 zoo.h5 --sampler kde -o pop.h5", "hz-eval pop.h5 --zoo zoo.h5"],
        seeds: ["sample": 1, "bootstrap": 2], settings: ["epochs": "0,1,5"], populations: pops,
        ensembles: [EnsembleResult(population: "S_KDE30", epoch: 5, size: 3, accuracies: [0.7, 0.72, 0.71], memberMeanAccuracy: 0.68, bootstrapSeed: 1)],
        transfers: [TransferResult(source: "fashion-mnist", target: "digits", populations: pops)],
        novelty: [NoveltyResult(population: "S_KDE30", relativeDistances: [0.01, 0.2, 0.5, .nan], disagreements: [0, 0.1, 0.3, 0.2], typicalDistance: 3, bootstrapSeed: 1)],
        latentProjection: LatentProjection(method: "pca of training latents", explainedVariance: [0.5, 0.2],
                                           training: [[0, 0], [1, 1], [2, 0.5]], anchors: [[1, 1]], samples: ["S_KDE30": [[1.1, 0.9], [0.5, 0.4]]]),
        notes: ["a note with <markup> & ampersand"],
        comparisons: PairwiseComparison.compareSampledWithBaselines(pops, experiment: "in-distribution", seed: 1, resamples: 50)
            + PairwiseComparison.compareSampledWithBaselines(pops, experiment: TransferResult.experimentName(source: "fashion-mnist", target: "digits"),
                                                             seed: 1, resamples: 50))
}

@Suite struct ReportTests {
    @Test func jsonRoundTripsIncludingNaN() throws {
        let report = sampleReport()
        let data = try report.jsonData()
        let back = try EvaluationReport.decode(data)
        #expect(back.populations.count == 3)
        #expect(back.novelty[0].relativeDistances[3].isNaN)
        #expect(back.populations[0].epochs[2].accuracy.mean == report.populations[0].epochs[2].accuracy.mean)
        #expect(try back.jsonData() == data, "encoding is not deterministic")
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"meanInterval\""))
    }

    @Test func htmlIsSelfContainedAndEverySVGIsWellFormedXML() throws {
        let html = ReportHTML.render(sampleReport())
        // For eyeballing: HYPERZOO_REPORT_PREVIEW=/tmp/x.html writes the page (tools/render-report shoots it).
        if let preview = ProcessInfo.processInfo.environment["HYPERZOO_REPORT_PREVIEW"] {
            try html.write(toFile: preview, atomically: true, encoding: .utf8)
        }
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(html.contains("a note with &lt;markup&gt; &amp; ampersand"))
        // Charts: curves (ID + transfer), two distributions, latent map, novelty histogram.
        var svgs: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            svgs.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        #expect(svgs.count == 6)
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "malformed SVG: \(parser.parserError.map { "\($0)" } ?? "?")")
        }
        #expect(svgs[0].contains("<polyline") && svgs[0].contains("<polygon"))
        #expect(html.contains("B_F &lt;zoo&gt;"))
        // The tests tables: one in-distribution, one for the transfer, 2 baselines × 3 epochs each, well-formed.
        let tables = html.components(separatedBy: "<h3>Sampled populations against baselines</h3>").dropFirst()
        #expect(tables.count == 2)
        for t in tables {
            let table = String(t[t.range(of: "<table>")!.lowerBound..<t.range(of: "</table>")!.upperBound])
            #expect(table.components(separatedBy: "<tr>").count == 1 + 1 + 6)
            let parser = XMLParser(data: Data(table.utf8))
            #expect(parser.parse(), "malformed table: \(parser.parserError.map { "\($0)" } ?? "?")")
        }
    }

    @Test func summaryStatesTheOutcomeInWordsAboveTheChartsAndPairsTheNoiseControl() throws {
        func population(_ name: String, role: String, base: Double, details: [String: String] = [:]) -> PopulationResult {
            let epochs = [0, 1].map { e in
                EpochResult(epoch: e, accuracies: (0..<10).map { base + 0.01 * Double(e) + 0.005 * sin(Double($0)) }, losses: [],
                            bootstrapSeed: 1, resamples: 50)
            }
            return PopulationResult(name: name, role: role, details: details, modelCount: 10, epochs: epochs)
        }
        // S_KDE30 beats scratch at epoch 0 but not at epoch 1 (equal), and loses to its noise control.
        let sampled = population("S_KDE30", role: "sampled", base: 0.6)
        var scratch = population("B_T", role: "baseline", base: 0.1)
        scratch.epochs[1] = sampled.epochs[1]
        let control = population("C_noise(S_KDE30)", role: "control", base: 0.7, details: ["matched_population": "S_KDE30"])
        let all = [sampled, control, scratch]
        let novelty = [NoveltyResult(population: "S_KDE30", relativeDistances: [0.05, 0.06, 0.07], disagreements: [0.01, 0.02, 0.03],
                                     typicalDistance: 2, bootstrapSeed: 1, resamples: 30),
                       NoveltyResult(population: "C_noise(S_KDE30)", relativeDistances: [0.06, 0.06, 0.06], disagreements: [0, 0, 0],
                                     typicalDistance: 2, bootstrapSeed: 1, resamples: 30)]
        #expect(novelty[0].relativeDistance.bootstrapResamples == 30)
        var report = EvaluationReport(generator: "t", createdAt: "c", commands: [], seeds: [:], settings: [:], populations: all,
                                      novelty: novelty, comparisons: PairwiseComparison.compareSampledWithBaselines(all, experiment: "in-distribution", seed: 1, resamples: 50))
        report.noiseControls = NoiseControlPairing.pair(all, novelty: novelty)
        #expect(report.noiseControls == [NoiseControlPairing(population: "S_KDE30", control: "C_noise(S_KDE30)", populationNovelty: 0.06,
                                                             controlNovelty: 0.06, matchedBy: "matched_population")])
        report.comparisons! += PairwiseComparison.compare([(sampled, control)], experiment: NoiseControlPairing.experiment, seed: 1, resamples: 50)
        let lines = ReportSummary.lines(for: report)
        #expect(lines[0].hasPrefix("S_KDE30 against training from scratch (B_T): epoch 0: better by 50.0 points (95% interval"))
        #expect(lines[0].contains("epoch 1: no clear difference"))
        #expect(lines[1].contains("near copies of training models") && lines[1].contains("agree with that model's on 98%"))
        #expect(lines[2].contains("against its noise control C_noise(S_KDE30)") && lines[2].contains("epoch 0: worse by 10.0 points")
                && lines[2].contains("the sampler adds nothing"))
        report.summary = lines
        let html = ReportHTML.render(report)
        let summaryAt = html.range(of: "<h2>Summary</h2>")!.lowerBound
        #expect(summaryAt < html.range(of: "<svg")!.lowerBound)
        #expect(html.contains("Against the noise control at equal novelty"))
        let back = try EvaluationReport.decode(try report.jsonData())
        #expect(back.summary == lines && back.noiseControls == report.noiseControls)

        // Here S_KDE30 beats scratch at epoch 0, so no "not a better starting point" line; a
        // population that never beats B_T gets one, pointing at the paper-size experiment.
        #expect(!lines.contains { $0.contains("not a better starting point") })
        let weak = population("S_weak", role: "sampled", base: 0.1)
        let losing = [weak, population("B_T", role: "baseline", base: 0.3)]
        let lost = EvaluationReport(generator: "t", createdAt: "c", commands: [], seeds: [:], settings: [:], populations: losing, novelty: [],
                                    comparisons: PairwiseComparison.compareSampledWithBaselines(losing, experiment: "in-distribution", seed: 1, resamples: 50))
        let weakLines = ReportSummary.lines(for: lost)
        #expect(weakLines[0].contains("epoch 0: worse by 20.0 points"), "\(weakLines)")
        #expect(weakLines[1].hasPrefix("S_weak is not a better starting point than training from scratch")
                && weakLines[1].contains("fixtures/pipelines/paper-fmnist.json"), "\(weakLines)")
    }

    /// Better than the noise control at one epoch and worse at the others is "mixed", never
    /// "adds something" (the paper-regime run: worse by 9 and 8 points at epochs 0 and 1, better
    /// by 0.9 at epoch 5, was summarised as "the sampler adds something the noise does not").
    @Test func aMixedResultAgainstTheNoiseControlIsNotCalledAGain() {
        func population(_ name: String, _ role: String, _ means: [Int: Double]) -> PopulationResult {
            let epochs = means.keys.sorted().map { e in
                EpochResult(epoch: e, accuracies: (0..<20).map { means[e]! + 0.004 * sin(Double($0)) }, losses: [], bootstrapSeed: 1, resamples: 200)
            }
            return PopulationResult(name: name, role: role, details: [:], modelCount: 20, epochs: epochs)
        }
        let sampled = population("S", "sampled", [0: 0.16, 1: 0.55, 5: 0.693])
        let control = population("C", "control", [0: 0.25, 1: 0.64, 5: 0.684])
        let mixed = PairwiseComparison.compare([(sampled, control)], experiment: "noise-control", seed: 1, resamples: 200)
        let text = ReportSummary.noiseControlVerdict(mixed)
        #expect(text.hasPrefix("Better than the noise control only at epoch 5 and worse at epochs 0, 1"), "\(text)")
        #expect(!text.contains("adds something"))
        let better = population("S", "sampled", [0: 0.30, 1: 0.70, 5: 0.70])
        let all = PairwiseComparison.compare([(better, control)], experiment: "noise-control", seed: 1, resamples: 200)
        #expect(ReportSummary.noiseControlVerdict(all).contains("at every evaluated epoch: the sampler adds something"))
        let worse = population("S", "sampled", [0: 0.1, 1: 0.5, 5: 0.6])
        let none = PairwiseComparison.compare([(worse, control)], experiment: "noise-control", seed: 1, resamples: 200)
        #expect(ReportSummary.noiseControlVerdict(none).hasPrefix("Not better than the noise control at any epoch"))
    }

    /// A population with both a noise control and a scale-matched control gets a line for each;
    /// the scale-matched one says whether the gain may be only smaller weights.
    @Test func bothControlsOfAPopulationArePairedAndJudged() {
        func population(_ name: String, _ role: String, _ base: Double, _ details: [String: String] = [:]) -> PopulationResult {
            let epochs = [0, 25].map { e in
                EpochResult(epoch: e, accuracies: (0..<12).map { base + 0.1 * Double(e) / 25 + 0.004 * sin(Double($0)) }, losses: [],
                            bootstrapSeed: 1, resamples: 100)
            }
            return PopulationResult(name: name, role: role, details: details, modelCount: 12, epochs: epochs)
        }
        let sampled = population("S_KDE30", "sampled", 0.16)
        let noise = population("C_noise(S_KDE30)", "control", 0.10, ["matched_population": "S_KDE30"])
        let scale = population("C_scale(S_KDE30)", "control", 0.19, ["matched_population": "S_KDE30", "scale_matched": "true"])
        let all = [sampled, noise, scale]
        let novelty = all.map { NoveltyResult(population: $0.name, relativeDistances: [0.6, 0.6], disagreements: [0.9, 0.9],
                                              typicalDistance: 2, bootstrapSeed: 1, resamples: 30) }
        var report = EvaluationReport(generator: "t", createdAt: "c", commands: [], seeds: [:], settings: [:], populations: all,
                                      novelty: novelty, comparisons: [])
        report.noiseControls = NoiseControlPairing.pair(all, novelty: novelty)
        #expect(report.noiseControls?.map(\.control) == ["C_noise(S_KDE30)", "C_scale(S_KDE30)"])
        report.comparisons = PairwiseComparison.compare([(sampled, noise), (sampled, scale)], experiment: NoiseControlPairing.experiment,
                                                        seed: 1, resamples: 100)
        let lines = ReportSummary.lines(for: report)
        let noiseLine = lines.first { $0.contains("against its noise control C_noise(S_KDE30)") }
        let scaleLine = lines.first { $0.contains("against its scale-matched control C_scale(S_KDE30)") }
        #expect(noiseLine?.contains("adds something the noise does not") == true, "\(lines)")
        #expect(scaleLine?.contains("worse by 3.0 points") == true && scaleLine?.contains("may be only their smaller weights") == true, "\(lines)")
    }

    /// The scale-matched control's rescaling: every tensor's RMS becomes the reference's.
    @Test func scaleMatchingGivesEveryTensorTheReferenceRMS() throws {
        let table = try ParameterTable(entries: [
            ParameterEntry(name: "w", shape: [2, 2], offset: 0, layer: 0, kind: .linear, role: .weight),
            ParameterEntry(name: "b", shape: [2], offset: 4, layer: 0, kind: .linear, role: .bias),
        ])
        let rows: [Float] = [1, -1, 2, 0, 0.5, 0.5, /* model 2 */ 3, 1, -2, 1, 0.1, -0.3]
        let reference: [Float] = [0.1, 0.2, -0.1, 0.3, 4, 4, /* */ 0.2, 0, 0.1, -0.2, 3, 5, /* */ 0, 0.1, 0.1, 0.1, 4, 2]
        let factors = try ScaleMatching.factors(of: rows, toMatch: reference, table: table)
        var scaled = rows
        ScaleMatching.apply(factors, to: &scaled, table: table)
        func rms(_ v: [Float], _ r: Range<Int>) -> Double {
            var s = 0.0, n = 0
            for start in stride(from: 0, to: v.count, by: 6) { for i in r { s += Double(v[start + i] * v[start + i]); n += 1 } }
            return (s / Double(n)).squareRoot()
        }
        for entry in table.entries {
            #expect(abs(rms(scaled, entry.range) - rms(reference, entry.range)) < 1e-5, "\(entry.name)")
        }
        #expect(throws: SamplingError.self) { try ScaleMatching.factors(of: [1, 2, 3], toMatch: reference, table: table) }
        #expect(throws: SamplingError.self) { try ScaleMatching.factors(of: rows.map { $0 * .infinity }, toMatch: reference, table: table) }
    }

    @Test func ticksAreRoundAndCoverTheRange() {
        #expect(SVGPlot.niceTicks(0...1).count == 6)
        let t = SVGPlot.niceTicks(0.13...0.87)
        #expect(t.first! >= 0.13 && t.last! <= 0.87 && t.count >= 3)
    }
}
