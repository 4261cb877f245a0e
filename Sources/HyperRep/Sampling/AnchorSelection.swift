// Anchors: the training models a sampler is fitted to. The paper's "30" variants keep the
// checkpoints whose test accuracy is at least the 70% quantile of all loaded checkpoints
// (torch.quantile, linear interpolation), i.e. the top 30%, over the chosen epochs.
//
// With distinct metric values that rule keeps exactly k = 1 + ⌊fraction · (n − 1)⌋ of n eligible
// checkpoints. With ties at the threshold it keeps every tied checkpoint (a zoo of 358 eligible
// checkpoints with many equal accuracies gave 203 "top 30%" anchors), so here the count is always
// that k, and ties are broken by checkpoint order: among equal metric values the checkpoint
// stored first (lower row) wins. The choice is deterministic and documented in docs/SAMPLING.md.

/// Selects anchor checkpoints by a metric.
public enum AnchorSelection {
    /// How many of `eligible` checkpoints the top `fraction` keeps: 1 + ⌊fraction · (n − 1)⌋,
    /// the count the paper's quantile rule gives on distinct values (n for fraction 1).
    public static func count(fraction: Double, eligible n: Int) -> Int {
        precondition(fraction > 0 && fraction <= 1, "anchor fraction must be in (0, 1]")
        guard n > 0 else { return 0 }
        // The small slack keeps 0.3 · 10 from becoming 3.0000000000000004 → 3, not 4 (or 2.999… → 2).
        return min(n, 1 + Int((fraction * Double(n - 1) + 1e-9).rounded(.down)))
    }

    /// Indices of the `count(fraction:eligible:)` checkpoints with the highest metric among the
    /// eligible ones; NaN metrics and ineligible checkpoints are never selected. Ties are broken
    /// by index (lower first), so the result has exactly that many entries.
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
        let k = count(fraction: fraction, eligible: candidates.count)
        let ranked = candidates.sorted { metric[$0] != metric[$1] ? metric[$0] > metric[$1] : $0 < $1 }
        return ranked.prefix(k).sorted()
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
