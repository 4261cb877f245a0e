// The measurements of an evaluation before any statistics: every member's test accuracy and loss
// per reported epoch, with the run's context (seeds, settings, notes). A single run measures all
// members; a shard (`hz-eval --shard I/N`) measures members m with m mod N = I and stores its
// record in a part file; `hyperzoo merge-eval` joins the parts' records. Both then make the
// report with ``EvaluationRecord/report(generator:createdAt:ensembles:novelty:diagnostics:)``,
// so a merged report's statistics come from the same numbers by the same code.

/// Test metrics of some members of a population after one number of fine-tuning epochs.
public struct EpochMeasurement: Codable, Sendable, Equatable {
    public var epoch: Int
    /// Per member of the record's `members`, in that order.
    public var accuracies: [Double]
    public var losses: [Double]

    public init(epoch: Int, accuracies: [Double], losses: [Double]) {
        self.epoch = epoch; self.accuracies = accuracies; self.losses = losses
    }
}

/// One population's measured members.
public struct PopulationMeasurement: Codable, Sendable, Equatable {
    public var name: String
    /// "sampled", "control" or "baseline".
    public var role: String
    public var details: [String: String]
    /// Members of the whole population.
    public var modelCount: Int
    /// The member indices measured (all of 0..<modelCount in a single run).
    public var members: [Int]
    public var epochs: [EpochMeasurement]

    enum CodingKeys: String, CodingKey { case name, role, details, modelCount = "model_count", members, epochs }

    public init(name: String, role: String, details: [String: String], modelCount: Int, members: [Int], epochs: [EpochMeasurement]) {
        self.name = name; self.role = role; self.details = details; self.modelCount = modelCount; self.members = members; self.epochs = epochs
    }
}

/// The populations fine-tuned on a transfer target.
public struct TransferMeasurement: Codable, Sendable, Equatable {
    public var source: String
    public var target: String
    public var populations: [PopulationMeasurement]

    public init(source: String, target: String, populations: [PopulationMeasurement]) {
        self.source = source; self.target = target; self.populations = populations
    }
}

/// Everything a report is computed from, except ensembles and novelty (which need the whole
/// population's weights and are made by a single run only).
public struct EvaluationRecord: Codable, Sendable {
    /// Commands that made the inputs (their provenance).
    public var inputCommands: [String]
    /// The evaluation command lines (one per shard, then the merge).
    public var commands: [String]
    public var seeds: [String: UInt64]
    public var settings: [String: String]
    public var notes: [String]
    public var latentProjection: LatentProjection?
    public var probe: ProbeReport?
    /// The run seed (bootstrap seeds derive from it) and the bootstrap resamples.
    public var seed: UInt64
    public var resamples: Int
    public var populations: [PopulationMeasurement]
    public var transfers: [TransferMeasurement]

    enum CodingKeys: String, CodingKey {
        case inputCommands = "input_commands", commands, seeds, settings, notes, latentProjection = "latent_projection", probe
        case seed, resamples, populations, transfers
    }

    public init(inputCommands: [String], commands: [String], seeds: [String: UInt64], settings: [String: String], notes: [String],
                latentProjection: LatentProjection? = nil, probe: ProbeReport? = nil, seed: UInt64, resamples: Int,
                populations: [PopulationMeasurement], transfers: [TransferMeasurement] = []) {
        self.inputCommands = inputCommands; self.commands = commands; self.seeds = seeds; self.settings = settings; self.notes = notes
        self.latentProjection = latentProjection; self.probe = probe; self.seed = seed; self.resamples = resamples
        self.populations = populations; self.transfers = transfers
    }

    /// A population's report entry from measurements of all its members.
    func result(_ m: PopulationMeasurement) -> PopulationResult {
        PopulationResult(name: m.name, role: m.role, details: m.details, modelCount: m.modelCount, epochs: m.epochs.map {
            EpochResult(epoch: $0.epoch, accuracies: $0.accuracies, losses: $0.losses,
                        bootstrapSeed: PopulationEvaluator.bootstrapSeed(seed, name: m.name, epoch: $0.epoch), resamples: resamples)
        })
    }

    /// The report: statistics of every population, the pairwise comparisons (in-distribution,
    /// each transfer, then sampled populations against their noise controls) and the summary.
    public func report(generator: String, createdAt: String, ensembles: [EnsembleResult] = [], novelty: [NoveltyResult] = [],
                       diagnostics: [PopulationDiagnostics] = []) -> EvaluationReport {
        let results = populations.map(result)
        var comparisons = PairwiseComparison.compareSampledWithBaselines(results, experiment: "in-distribution", seed: seed, resamples: resamples)
        var transferResults: [TransferResult] = []
        for t in transfers {
            let transferred = t.populations.map(result)
            transferResults.append(TransferResult(source: t.source, target: t.target, populations: transferred))
            comparisons += PairwiseComparison.compareSampledWithBaselines(
                transferred, experiment: TransferResult.experimentName(source: t.source, target: t.target), seed: seed, resamples: resamples)
        }
        let pairings = NoiseControlPairing.pair(results, novelty: novelty)
        let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        comparisons += PairwiseComparison.compare(pairings.map { (byName[$0.population]!, byName[$0.control]!) },
                                                  experiment: NoiseControlPairing.experiment, seed: seed, resamples: resamples)
        var report = EvaluationReport(
            generator: generator, createdAt: createdAt, commands: inputCommands + commands, seeds: seeds, settings: settings,
            populations: results, ensembles: ensembles, transfers: transferResults, novelty: novelty,
            latentProjection: latentProjection, notes: notes, comparisons: comparisons)
        report.diagnostics = diagnostics
        report.noiseControls = pairings
        report.probe = probe
        report.summary = ReportSummary.lines(for: report)
        return report
    }
}
