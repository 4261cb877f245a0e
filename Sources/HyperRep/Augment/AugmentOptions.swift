// What a view of a checkpoint may change, with the paper's defaults.

/// How random erasing picks the values it zeroes.
public enum EraseMode: String, Codable, Sendable, Equatable, CaseIterable {
    /// One contiguous block of the flat row (the paper's default).
    case block
    /// Positions drawn independently (with replacement) from the whole row.
    case scatter
}

/// Augmentation settings for one view (research notes §5; GHRP `SimCLRDataset`).
public struct AugmentOptions: Codable, Sendable, Equatable {
    /// Permute neurons with a uniformly random function-preserving permutation.
    public var permute: Bool
    /// Map every view to the canonical form (neurons sorted) instead of permuting; a
    /// permutation-free baseline. Exclusive with `permute`.
    public var canonical: Bool
    /// Standard deviation σ of additive Gaussian noise (x + σε); 0 disables it.
    public var noise: Float
    /// Standard deviation σ of multiplicative Gaussian noise (x·(1 + σε)); 0 disables it.
    public var multiplicativeNoise: Float
    /// Probability that a view is erased at all (paper: 0.5); 0 disables erasing.
    public var eraseProbability: Float
    /// Range of the erased fraction of the row (paper: 0.02–0.33).
    public var eraseScale: ClosedRange<Float>
    /// Block or scatter erasing.
    public var eraseMode: EraseMode
    /// Precompute this many permutation gather indices and draw views from them (the paper's
    /// precomputed permutations); 0 draws a fresh permutation per view.
    public var permutationBank: Int

    public init(permute: Bool = true, canonical: Bool = false, noise: Float = 0, multiplicativeNoise: Float = 0,
                eraseProbability: Float = 0, eraseScale: ClosedRange<Float> = 0.02...0.33,
                eraseMode: EraseMode = .block, permutationBank: Int = 0) {
        self.permute = permute
        self.canonical = canonical
        self.noise = noise
        self.multiplicativeNoise = multiplicativeNoise
        self.eraseProbability = eraseProbability
        self.eraseScale = eraseScale
        self.eraseMode = eraseMode
        self.permutationBank = permutationBank
    }

    /// The paper's contrastive setting: permutation, erasing p 0.5 over 2–33 % (block), no noise.
    public static let paper = AugmentOptions(permute: true, eraseProbability: 0.5)

    /// Checks ranges; the message names the offending option.
    public func validate() throws {
        guard !(permute && canonical) else { throw TokenizerError("augment: permute and canonical exclude each other") }
        guard noise >= 0, multiplicativeNoise >= 0 else { throw TokenizerError("augment: noise must be ≥ 0") }
        guard (0...1).contains(eraseProbability) else { throw TokenizerError("augment: erase probability \(eraseProbability) is not in [0, 1]") }
        guard eraseScale.lowerBound >= 0, eraseScale.upperBound <= 1 else {
            throw TokenizerError("augment: erase scale \(eraseScale) is not within [0, 1]")
        }
        guard permutationBank >= 0 else { throw TokenizerError("augment: permutation bank \(permutationBank) must be ≥ 0") }
    }
}
