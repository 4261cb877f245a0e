// The words a report opens with: what its numbers mean for the question hyperzoo exists to
// answer. Are the sampled models better starting points than training from scratch (B_T), at
// each fine-tuning epoch, with the bootstrap interval of the difference? Are they new models or
// copies of training models (novelty)? Do they beat the noise control, training models plus
// noise at the same novelty? A difference counts as better or worse only when its 95% interval
// excludes 0.

import Foundation

/// A sampled population and the noise control it is compared with.
public struct NoiseControlPairing: Codable, Sendable, Equatable {
    public var population: String
    public var control: String
    /// Median relative distance to the nearest training model, as measured in this report (NaN
    /// without novelty).
    public var populationNovelty: Double
    public var controlNovelty: Double
    /// "matched_population" (the control was made with --match-novelty of this population) or
    /// "nearest novelty" (the control whose measured novelty is within 10% of the population's).
    public var matchedBy: String

    public init(population: String, control: String, populationNovelty: Double, controlNovelty: Double, matchedBy: String) {
        self.population = population; self.control = control; self.populationNovelty = populationNovelty
        self.controlNovelty = controlNovelty; self.matchedBy = matchedBy
    }

    /// The experiment name of the comparisons of sampled populations with their controls.
    public static let experiment = "against the noise control"

    /// Pairs every sampled population with a control (role "control"): the one made to match it,
    /// else the one of nearest measured novelty when within 10% (relative) of the population's.
    public static func pair(_ populations: [PopulationResult], novelty: [NoveltyResult]) -> [NoiseControlPairing] {
        let controls = populations.filter { $0.role == "control" }
        guard !controls.isEmpty else { return [] }
        func median(_ name: String) -> Double { novelty.first { $0.population == name }?.relativeDistance.median ?? .nan }
        var out: [NoiseControlPairing] = []
        for s in populations where s.role == "sampled" {
            let n = median(s.name)
            // Every control made for this population (a noise control and a scale-matched one).
            let matched = controls.filter { $0.details["matched_population"] == s.name }
            if !matched.isEmpty {
                out += matched.map { c in
                    NoiseControlPairing(population: s.name, control: c.name, populationNovelty: n, controlNovelty: median(c.name),
                                        matchedBy: "matched_population")
                }
            } else if n.isFinite, let c = controls.filter({ median($0.name).isFinite }).min(by: { abs(median($0.name) - n) < abs(median($1.name) - n) }),
                      abs(median(c.name) - n) <= 0.1 * n {
                out.append(NoiseControlPairing(population: s.name, control: c.name, populationNovelty: n, controlNovelty: median(c.name),
                                               matchedBy: "nearest novelty"))
            }
        }
        return out
    }
}

/// Builds the plain-language summary of a report.
public enum ReportSummary {
    /// One line per finding, most important first.
    public static func lines(for report: EvaluationReport) -> [String] {
        let sampled = report.populations.filter { $0.role == "sampled" }
        var out: [String] = []
        if sampled.isEmpty {
            out.append("Only \(report.populations.filter { $0.role != "sampled" }.map(\.name).joined(separator: ", ")) were evaluated: there is no sampled population to judge.")
        }
        let comparisons = report.comparisons ?? []
        for s in sampled {
            let scratch = comparisons.filter { $0.experiment == "in-distribution" && $0.population == s.name && $0.baseline == "B_T" }
            if !scratch.isEmpty {
                out.append("\(s.name) against training from scratch (B_T): " + scratch.map(verdict).joined(separator: "; ") + ".")
                if !scratch.contains(where: { $0.meanDifferenceInterval.low > 0 }) {
                    out.append("\(s.name) is not a better starting point than training from scratch at any evaluated epoch. "
                        + "Small zoos and short autoencoder training (the quickstart's size) can end this way; the paper-size "
                        + "experiment is fixtures/pipelines/paper-fmnist.json, and docs/RESULTS.md says what it found.")
                }
            }
            if let n = report.novelty.first(where: { $0.population == s.name }) {
                out.append(noveltyLine(n))
            }
            let pairings = (report.noiseControls ?? []).filter { $0.population == s.name }
            for pairing in pairings {
                let against = comparisons.filter { $0.experiment == NoiseControlPairing.experiment && $0.population == s.name && $0.baseline == pairing.control }
                guard !against.isEmpty else { continue }
                let scaled = report.populations.first { $0.name == pairing.control }?.details["scale_matched"] == "true"
                let what = scaled ? "scale-matched control \(pairing.control) (training models plus noise, each tensor rescaled to its weight scale; novelty "
                                  : "noise control \(pairing.control) (training models plus noise at novelty "
                out.append("\(s.name) against its \(what)"
                    + "\(number(pairing.controlNovelty)) vs \(number(pairing.populationNovelty))): " + against.map(verdict).joined(separator: "; ")
                    + ". " + (scaled ? scaleControlVerdict(against) : noiseControlVerdict(against)))
            }
            if pairings.isEmpty, report.populations.contains(where: { $0.role == "control" }) {
                out.append("\(s.name): no noise control at equal novelty was evaluated (make one with hz-sample ZOO.h5 --sampler noise-control --match-novelty \(s.name).h5).")
            }
        }
        for d in report.diagnostics ?? [] { out += d.warnings.map { "Warning: " + $0 } }
        return out
    }

    /// "epoch 1: better by 2.1 points (95% interval 0.4 to 3.9)".
    /// The sentence after the per-epoch comparisons with the noise control. "Adds something" only
    /// when the sampler is better at every evaluated epoch; better at some epochs and worse at
    /// others is said as such (a paper-regime run was better only at epoch 5 by under a point).
    static func noiseControlVerdict(_ against: [PairwiseComparison]) -> String {
        let better = against.filter { $0.meanDifferenceInterval.low > 0 }.map { "\($0.epoch)" }
        let worse = against.filter { $0.meanDifferenceInterval.high < 0 }.map { "\($0.epoch)" }
        if better.isEmpty {
            return "Not better than the noise control at any epoch: the sampler adds nothing over perturbing training models."
        }
        if better.count == against.count {
            return "Better than the noise control at every evaluated epoch: the sampler adds something the noise does not."
        }
        let epochs = { (list: [String]) in (list.count == 1 ? "epoch " : "epochs ") + list.joined(separator: ", ") }
        return "Better than the noise control only at \(epochs(better))" + (worse.isEmpty ? "" : " and worse at \(epochs(worse))")
            + ": at equal novelty the sampler does not consistently beat perturbing training models."
    }

    /// The verdict against the scale-matched control: better at every epoch, or not.
    static func scaleControlVerdict(_ against: [PairwiseComparison]) -> String {
        if against.allSatisfy({ $0.meanDifferenceInterval.low > 0 }) {
            return "Better than zoo models at its own weight scale at every evaluated epoch: the gain is not only smaller weights."
        }
        if against.contains(where: { $0.meanDifferenceInterval.high < 0 }) {
            return "Zoo models shrunk to the samples' weight scale do better at some epochs: what the samples gain may be only their smaller weights."
        }
        return "Not clearly better than zoo models at its own weight scale: what the samples gain may be only their smaller weights."
    }

    static func verdict(_ c: PairwiseComparison) -> String {
        let i = c.meanDifferenceInterval
        let interval = "95% interval \(points(i.low)) to \(points(i.high))"
        guard c.meanDifference.isFinite, i.low.isFinite, i.high.isFinite else { return "epoch \(c.epoch): not measurable" }
        if i.low > 0 { return "epoch \(c.epoch): better by \(points(c.meanDifference)) points (\(interval))" }
        if i.high < 0 { return "epoch \(c.epoch): worse by \(points(-c.meanDifference)) points (\(interval))" }
        return "epoch \(c.epoch): no clear difference (\(points(c.meanDifference)) points, \(interval))"
    }

    static func noveltyLine(_ n: NoveltyResult) -> String {
        let median = n.relativeDistance.median
        let agreement = 1 - n.disagreement.mean
        let agreementText = agreement.isFinite ? ", and its predictions agree with that model's on \(String(format: "%.0f", agreement * 100))% of test images" : ""
        let head = "\(n.population): median distance to the nearest training model \(number(median)) × the typical distance between training models\(agreementText)"
        guard median.isFinite else { return head + "." }
        if median < PopulationDiagnostics.nearCopyThreshold {
            return head + ": below \(PopulationDiagnostics.nearCopyThreshold), so these are near copies of training models, not new models."
        }
        return head + ": new models, not copies (threshold \(PopulationDiagnostics.nearCopyThreshold))."
    }

    static func points(_ v: Double) -> String { String(format: "%.1f", v * 100) }
    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : "–" }
}
