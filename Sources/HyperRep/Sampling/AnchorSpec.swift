// Which zoo checkpoints are anchors: a split, a set of epochs, and "the top fraction by a metric"
// (the paper's "30" variants: top 30% by test accuracy over the loaded epochs).

import ZooStore

/// A rule selecting anchor checkpoints from a zoo.
public struct AnchorSpec: Sendable, Equatable, Codable {
    /// Fraction kept by `metric` (1 = every eligible checkpoint).
    public var fraction: Double
    public var metric: Metric
    /// Eligible epochs (nil = every stored epoch).
    public var epochs: [Int]?
    /// Eligible split (the models the autoencoder trained on: `.train`).
    public var split: Split?

    public init(fraction: Double = 0.3, metric: Metric = .testAccuracy, epochs: [Int]? = nil, split: Split? = .train) {
        self.fraction = fraction; self.metric = metric; self.epochs = epochs; self.split = split
    }

    /// Parses `topN` (top N percent, e.g. `top30`) or `all`.
    public init?(rule: String, metric: Metric = .testAccuracy, epochs: [Int]? = nil, split: Split? = .train) {
        let text = rule.lowercased()
        if text == "all" {
            self.init(fraction: 1, metric: metric, epochs: epochs, split: split)
        } else if text.hasPrefix("top"), let percent = Double(text.dropFirst(3)), percent > 0, percent <= 100 {
            self.init(fraction: percent / 100, metric: metric, epochs: epochs, split: split)
        } else {
            return nil
        }
    }

    /// The eligible checkpoint rows of `zoo` (split and epochs).
    public func eligibleRows(in zoo: ZooReader) -> [Int] {
        zoo.select(split: split, epochs: epochs.map(Set.init))
    }

    /// The anchor rows of `zoo`, ascending.
    /// - Throws: ``SamplingError`` when no checkpoint qualifies, naming the file and the rule.
    public func select(in zoo: ZooReader) throws -> [Int] {
        let eligible = eligibleRows(in: zoo)
        var mask = [Bool](repeating: false, count: zoo.checkpointCount)
        for r in eligible { mask[r] = true }
        let values = zoo.metricColumns[metric] ?? []
        let rows: [Int]
        if fraction >= 1 {
            rows = eligible
        } else {
            rows = AnchorSelection.top(fraction: fraction, of: values, eligible: mask)
        }
        guard !rows.isEmpty else {
            let epochText = epochs.map { " at epochs \($0.map(String.init).joined(separator: ","))" } ?? ""
            let reason = eligible.isEmpty ? "no \(split?.rawValue ?? "") checkpoints\(epochText)"
                : "no checkpoint with a known \(metric.rawValue)"
            throw SamplingError.invalidSetting("\(zoo.path): no anchors: \(reason) (check --anchor-epochs and the zoo's splits)")
        }
        return rows
    }

    /// A JSON description for population files and reports.
    public var json: JSONValue {
        var o: [String: JSONValue] = ["fraction": .number(fraction), "metric": .string(metric.rawValue)]
        o["epochs"] = epochs.map { .array($0.map { .number(Double($0)) }) } ?? .null
        o["split"] = split.map { .string($0.rawValue) } ?? .null
        return .object(o)
    }
}
