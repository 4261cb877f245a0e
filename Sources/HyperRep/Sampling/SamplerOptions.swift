// One place that turns user-level options (what hz-sample's flags say) into a fitted sampler, so
// the command line, pipeline specs and tests build samplers the same way.

/// Options of every sampler; each sampler reads the ones that concern it.
public struct SamplerOptions: Sendable, Equatable, Codable {
    public var kind: SamplerKind
    /// Kernel bandwidth for `kde` and `kde-joint`: "scott", "silverman" or a number.
    public var bandwidth: String
    /// `kde` only: reproduce the official code's shared seeding (samples collapse onto anchors).
    public var paperSeeding: Bool
    /// `neigh`: map dimension M and box shape ("per-component" or "cube").
    public var mapDimension: Int
    public var box: String
    /// `uniform`: nil samples the anchors' bounding box; a value v samples U(−v, v) in every
    /// dimension (the official S_U is 1).
    public var uniformHalfWidth: Double?

    public init(kind: SamplerKind, bandwidth: String = "scott", paperSeeding: Bool = false, mapDimension: Int = 3,
                box: String = "per-component", uniformHalfWidth: Double? = nil) {
        self.kind = kind; self.bandwidth = bandwidth; self.paperSeeding = paperSeeding
        self.mapDimension = mapDimension; self.box = box; self.uniformHalfWidth = uniformHalfWidth
    }

    /// Fits the chosen sampler to `anchors` `[N, D]`.
    /// - Throws: ``SamplingError`` for invalid options or unusable anchors.
    public func makeSampler(anchors: LatentMatrix) throws -> any LatentSampler {
        if paperSeeding && kind != .kde {
            throw SamplingError.invalidSetting("--paper-seeding applies to the kde sampler only, not \(kind.rawValue)")
        }
        switch kind {
        case .kde:
            return try PerDimensionKDESampler(anchors: anchors, bandwidth: try bandwidthRule(),
                                              seeding: paperSeeding ? .paper : .independent)
        case .kdeJoint:
            return try JointKDESampler(anchors: anchors, bandwidth: try bandwidthRule())
        case .gaussian:
            return try GaussianSampler(anchors: anchors)
        case .neigh:
            guard let shape = NeighbourhoodSampler.BoxShape(rawValue: box) else {
                throw SamplingError.invalidSetting("neigh: box '\(box)' is not one of per-component, cube")
            }
            return try NeighbourhoodSampler(anchors: anchors, mapDimension: mapDimension, box: shape)
        case .uniform:
            if let v = uniformHalfWidth {
                return try UniformSampler(dimension: anchors.dimension, low: Float(-v), high: Float(v))
            }
            return try UniformSampler(anchors: anchors)
        }
    }

    func bandwidthRule() throws -> BandwidthRule {
        guard let rule = BandwidthRule(bandwidth) else {
            throw SamplingError.invalidSetting("bandwidth '\(bandwidth)' is not scott, silverman or a positive number")
        }
        return rule
    }

    /// The paper's population name for these options, e.g. "S_KDE30" for kde over the top 30%.
    public func populationName(anchorFraction: Double) -> String {
        let base: String
        switch kind {
        case .kde: base = paperSeeding ? "S_KDE(paper)" : "S_KDE"
        case .kdeJoint: base = "S_KDEjoint"
        case .gaussian: base = "S_Gauss"
        case .neigh: base = "S_Neigh"
        case .uniform: base = "S_U"
        }
        if kind == .uniform && uniformHalfWidth != nil { return base }
        let percent = Int((anchorFraction * 100).rounded())
        if percent >= 100 { return base }
        return paperSeeding ? "S_KDE\(percent)(paper)" : base + "\(percent)"
    }
}
