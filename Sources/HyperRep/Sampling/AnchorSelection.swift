// Anchors: the training models a sampler is fitted to. The paper's "30" variants keep the
// checkpoints whose test accuracy is at least the 70% quantile of all loaded checkpoints
// (torch.quantile, linear interpolation), i.e. the top 30%, over the chosen epochs.

/// Selects anchor checkpoints by a metric.
public enum AnchorSelection {
    /// Indices of the checkpoints whose metric is ≥ the (1 − fraction) quantile of the eligible
    /// ones; NaN metrics and ineligible checkpoints are never selected.
    ///
    /// - Parameters:
    ///   - fraction: the top fraction to keep, in (0, 1]; 1 keeps every eligible checkpoint.
    ///   - metric: one value per checkpoint `[C]` (e.g. test accuracy).
    ///   - eligible: per checkpoint `[C]`, whether it may be chosen (e.g. its epoch is selected
    ///     and it belongs to the training split); nil means all.
    /// - Returns: ascending checkpoint indices.
    public static func top(fraction: Double, of metric: [Float], eligible: [Bool]? = nil) -> [Int] {
        precondition(fraction > 0 && fraction <= 1, "anchor fraction must be in (0, 1]")
        precondition(eligible == nil || eligible!.count == metric.count)
        let candidates = metric.indices.filter { (eligible?[$0] ?? true) && !metric[$0].isNaN }
        guard !candidates.isEmpty else { return [] }
        let sorted = candidates.map { Double(metric[$0]) }.sorted()
        let threshold = quantile(sorted: sorted, 1 - fraction)
        return candidates.filter { Double(metric[$0]) >= threshold }
    }
}

/// Linear-interpolation quantile of ascending `sorted` values (numpy's and torch's default).
///
/// - Parameter q: in [0, 1].
public func quantile(sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty, "quantile of no values")
    let position = q * Double(sorted.count - 1)
    let lo = Int(position.rounded(.down))
    let hi = min(lo + 1, sorted.count - 1)
    let t = position - Double(lo)
    return sorted[lo] + (sorted[hi] - sorted[lo]) * t
}
