// Free-form option values that are neither a choice nor a list (a rule, a range, a size), parsed
// once by the argument parser with `@Option(transform:)`. A transform's error is printed after the
// parser's "The value 'x' is invalid for '--option <name>':", so each keeps the reason it gave when
// it was checked by hand in validate(); the command exits 64 before it runs. A transform hides an
// option's default from --help, so the options spell it in their help text. Each default is the
// parse of that text (`try!` on a constant, covered by TypedValueOptionsTests), so it is exactly
// what typing it gives.
// (Choices: ArgumentChoices.swift; lists: ArgumentLists.swift; epoch lists: EpochSelection.swift.)
import ArgumentParser
import HyperRep

/// `hz-sample --anchors`: `topN` (the top N percent by --anchor-metric, 0 < N ≤ 100) or `all`,
/// read by HyperRep's `AnchorSpec(rule:)`.
struct AnchorRule: Equatable, Sendable {
    /// The fraction of eligible checkpoints kept (1 for `all`).
    let fraction: Double

    static func parse(_ text: String) throws -> AnchorRule {
        guard let spec = AnchorSpec(rule: text) else { throw ValidationError("--anchors '\(text)' is not topN (1-100) or all") }
        return AnchorRule(fraction: spec.fraction)
    }
}

/// `hz-sample --bandwidth`: `scott`, `silverman` or a positive number (HyperRep's `BandwidthRule`).
struct BandwidthChoice: Equatable, Sendable {
    let rule: BandwidthRule
    /// The text as given: SamplerOptions takes it, and the population file records it as written.
    let text: String

    static func parse(_ text: String) throws -> BandwidthChoice {
        guard let rule = BandwidthRule(text) else { throw ValidationError("--bandwidth '\(text)' is not scott, silverman or a positive number") }
        return BandwidthChoice(rule: rule, text: text)
    }
}

/// `hz-augment --erase-scale`: the erased fraction of a row, `low-high` with 0 ≤ low ≤ high ≤ 1.
struct EraseScale: Equatable, Sendable {
    let range: ClosedRange<Float>

    static func parse(_ text: String) throws -> EraseScale {
        let bounds = text.split(separator: "-").map { Float($0) }
        guard bounds.count == 2, let low = bounds[0], let high = bounds[1], 0 <= low, low <= high, high <= 1 else {
            throw ValidationError("--erase-scale must look like 0.02-0.33 (0 ≤ low ≤ high ≤ 1), not '\(text)'")
        }
        return EraseScale(range: low...high)
    }
}

/// `hz-archive extract --max-size`: a byte count with an optional suffix K, M, G or T (powers of 1024).
struct ByteCountLimit: Equatable, Sendable {
    let bytes: Int64

    /// hz-archive extract's default, 64G (TypedValueOptionsTests checks it equals `parse("64G")`).
    static let extractionDefault = ByteCountLimit(bytes: 64 << 30)

    static func parse(_ text: String) throws -> ByteCountLimit {
        guard let bytes = ByteCountText.parse(text) else {
            throw ValidationError("--max-size: expected a size such as 500M or 64G (at most 8 EiB), got '\(text)'")
        }
        return ByteCountLimit(bytes: bytes)
    }
}
