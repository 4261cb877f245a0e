// `hz-sample` / `hyperzoo sample`: draw new weights from a hyper-representation's latent space.
// Anchors are selected in the zoo, encoded with the autoencoder, a sampler is fitted to their
// latents, and the samples are decoded into a population file (zoo layout, format
// hyperzoo.population) that hz-eval and hz-archive read.
import ArgumentParser
import Foundation
import HyperRep
import ZooStore

/// The sample stage.
public struct SampleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("sample"),
        abstract: "Sample a population of new models from an autoencoder's latent space.",
        discussion: """
        Anchors are checkpoints of the zoo (by default: training-split models, top 30% by test accuracy over all stored epochs, the paper's "30" variants). They are encoded, a sampler is fitted to their latents, and new latents are drawn and decoded into weights.

        Samplers:
          kde        S_KDE: a Gaussian KDE per latent dimension, an independent
                     random stream per dimension. --paper-seeding reproduces
                     the official code (one shared stream: every sample is an
                     anchor plus a tiny common shift), for comparison only.
          kde-joint  one multivariate Gaussian KDE over whole latents
          gaussian   one Gaussian with the anchors' mean and full covariance
          neigh      S_Neigh: uniform in the box of the anchors' top principal
                     components (PCA map), mapped back exactly; the paper
                     used UMAP (see docs/SAMPLING.md)
          uniform    S_U: uniform in the anchors' bounding box, or U(-v, v)
                     with --uniform-range v (the paper's S_U: v = 1)
          noise-control
                     not a latent sampler: the anchors themselves plus isotropic
                     Gaussian noise, scaled (by bisection) so the population's
                     novelty is --novelty X, or that of --match-novelty POP.h5,
                     within 0.001. Novelty is hz-eval's: the median over samples
                     of the distance to the nearest training model divided by the
                     typical (median pairwise) distance between training models.
                     Needs only the zoo: hz-sample zoo.h5 --sampler noise-control.
                     A sampler makes new good models only if it beats this
                     control at equal novelty (hz-eval shows them side by side).
                     --match-scale then rescales each parameter tensor to the
                     matched population's root-mean-square (C_scale(...)):
                     decoders shrink weights, and smaller tanh weights fine-tune
                     faster whatever the autoencoder learned.

        Diagnostics (every sampler; in --json output and the file's `diagnostics`): the spread
        ratio (mean pairwise distance among samples / typical distance between training models;
        below 0.1 the population has collapsed) and near copies (samples closer than 0.2 x the
        typical distance to a training model or anchor). Either prints a warning with what to try.

        The population file stores the weights (one model per sample, epoch 0) and root attributes sampler, anchors, seed, provenance and latent_projection (JSON). The same inputs and --seed give the same file contents.

        Examples:
          hz-sample ae.h5 zoo.h5 --sampler kde --count 100 -o kde30.h5
          hz-sample ae.h5 zoo.h5 --sampler kde --paper-seeding \\
              --bandwidth 0.002 -o kde30-paper.h5
          hz-sample ae.h5 zoo.h5 --sampler uniform --uniform-range 1 \\
              --anchors all -o su.h5 --json
          hz-sample zoo.h5 --sampler noise-control --match-novelty kde30.h5 \\
              --count 100 -o noise-kde30.h5
          hz-sample zoo.h5 --sampler noise-control --match-novelty kde30.h5 \\
              --match-scale --count 100 -o scale-kde30.h5
        """,
        version: HyperZooVersion.string
    )

    @Argument(help: ArgumentHelp("The autoencoder checkpoint (hz-train output, format hyperzoo.ae); --sampler noise-control takes only the zoo.", valueName: "ae.h5"))
    public var autoencoder: String

    @Argument(help: ArgumentHelp("The zoo the autoencoder was trained on (anchors come from it).", valueName: "zoo.h5"))
    public var zooArgument: String?

    /// The zoo: the second argument, or the only one for the noise control.
    var zoo: String { zooArgument ?? autoencoder }

    /// Whether the noise control runs (it needs no autoencoder).
    var isNoiseControl: Bool { sampler == .noiseControl }

    @OptionGroup var outputOptions: OutputOptions<OutputHelp>

    enum OutputHelp: OutputOptionsHelp {
        static var output: ArgumentHelp { ArgumentHelp("The population file to write (atomically, via <output>.partial).", valueName: "population.h5") }
        static var force: ArgumentHelp { "Replace an existing output." }
        static var json: ArgumentHelp { "Print a summary as JSON on stdout (for scripts)." }
    }

    @Option(help: ArgumentHelp("The sampler: a latent-space sampler, or noise-control (zoo models plus noise, no autoencoder).", valueName: "name"))
    var sampler: SamplerChoice = .latent(.kde)

    @Option(help: ArgumentHelp("noise-control: the novelty to reach (median relative distance to the nearest training model).", valueName: "x"))
    public var novelty: Double?

    @Option(help: ArgumentHelp("noise-control: reach the novelty of this population (sampled from the same zoo).", valueName: "population.h5"))
    public var matchNovelty: String?

    @Flag(help: "noise-control with --match-novelty: then rescale every parameter tensor to that population's RMS (C_scale(...)): does the sampler beat zoo models at its own weight scale?")
    public var matchScale = false

    @Flag(help: "kde only: reproduce the official code's per-dimension seeding (samples collapse onto anchors).")
    public var paperSeeding = false

    @Option(help: ArgumentHelp("Kernel bandwidth of kde/kde-joint: scott, silverman, or a number (the paper used 0.002). (default: scott)", valueName: "rule|h"),
            transform: BandwidthChoice.parse)
    var bandwidth = try! BandwidthChoice.parse("scott")

    @Option(help: ArgumentHelp("Models to sample.", valueName: "n"))
    public var count: Int = 100

    @Option(help: ArgumentHelp("Anchor rule: topN (the top N% by --anchor-metric, e.g. top30) or all. (default: top30)", valueName: "rule"),
            transform: AnchorRule.parse)
    var anchors = try! AnchorRule.parse("top30")

    @Option(help: ArgumentHelp("Metric ranking anchors: an accuracy, or a loss (lower ranks higher).", valueName: "metric"))
    public var anchorMetric: Metric = .testAccuracy

    @Option(help: ArgumentHelp("Epochs eligible as anchors, e.g. '21-25' or '25'. Default: every stored epoch.", valueName: "list"),
            transform: EpochSelection.parser("--anchor-epochs"))
    var anchorEpochs: EpochSelection?

    @Option(help: ArgumentHelp("Split eligible as anchors (any: every model).", valueName: "split"))
    var anchorSplit: SplitFilter = .only(.train)

    @Option(help: ArgumentHelp("neigh: dimensions of the PCA map.", valueName: "m"))
    public var mapDimension: Int = 3

    @Option(help: ArgumentHelp("neigh: the sampled box, per component or one cube over all components (as the official code).", valueName: "shape"))
    public var box: NeighbourhoodSampler.BoxShape = .perComponent

    @Option(help: ArgumentHelp("uniform: sample U(-v, v) in every dimension instead of the anchors' box (the paper's S_U is 1).", valueName: "v"))
    public var uniformRange: Double?

    @OptionGroup var seedOptions: SeedOptions<SeedHelpText>

    enum SeedHelpText: SeedHelp {
        static var seed: ArgumentHelp { ArgumentHelp("Seed of the sampler's random streams.", valueName: "seed") }
    }

    @Option(help: ArgumentHelp("Latents decoded per batch.", valueName: "n"))
    public var batchSize: Int = 256

    public init() {}

    public func validate() throws {
        if isNoiseControl {
            guard (novelty == nil) != (matchNovelty == nil) else {
                throw ValidationError("--sampler noise-control needs exactly one of --novelty X or --match-novelty POPULATION.h5")
            }
            if let novelty, !(novelty.isFinite && novelty >= 0) { throw ValidationError("--novelty must be a finite number ≥ 0") }
            if matchScale && matchNovelty == nil { throw ValidationError("--match-scale needs --match-novelty POPULATION.h5 (the population whose weight scale to match)") }
        } else {
            if matchScale { throw ValidationError("--match-scale applies to --sampler noise-control only") }
            if novelty != nil || matchNovelty != nil { throw ValidationError("--novelty and --match-novelty apply to --sampler noise-control only") }
            if zooArgument == nil { throw ValidationError("missing the zoo: hz-sample AE.h5 ZOO.h5 (only --sampler noise-control takes the zoo alone)") }
        }
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if paperSeeding && sampler != .latent(.kde) { throw ValidationError("--paper-seeding applies to --sampler kde only") }
        if let v = uniformRange, !(v > 0) { throw ValidationError("--uniform-range must be positive") }
    }

    /// The options as the library takes them (validated by `validate()`).
    var request: SamplingRequest {
        get throws {
            let method: SamplingRequest.Method
            switch sampler {
            case .latent(let kind):
                method = .latent(SamplerOptions(kind: kind, bandwidth: bandwidth.text, paperSeeding: paperSeeding,
                                                mapDimension: mapDimension, box: box.rawValue, uniformHalfWidth: uniformRange))
            case .noiseControl:
                method = .noiseControl(matchNovelty.map { .population(path: $0, matchScale: matchScale) } ?? .novelty(novelty ?? 0))
            }
            let epochs = anchorEpochs?.sorted
            let spec = AnchorSpec(fraction: anchors.fraction, metric: anchorMetric, epochs: epochs, split: anchorSplit.split)
            var r = SamplingRequest(autoencoder: zooArgument == nil ? nil : autoencoder, zoo: zoo, output: outputOptions.output, method: method, anchors: spec)
            r.count = count; r.seed = seedOptions.seed; r.batchSize = batchSize; r.force = outputOptions.force
            r.commandLine = CommandLine.arguments.joined(separator: " ")
            r.generator = "hyperzoo \(HyperZooVersion.string)"
            return r
        }
    }

    public func run() throws {
        try StageFailure.reporting(as: "hz-sample") {
            let bar = ProgressBar(label: "decoding", unit: "models")
            let summary = try SamplingRun.run(try request, decoding: { step in
                if let (done, total) = step { bar.update(done, of: total) } else { bar.finish() }
            }, note: { FileHandle.standardError.write(Data("hz-sample: note: \($0)\n".utf8)) })
            for warning in summary.diagnostics.warnings { FileHandle.standardError.write(Data("hz-sample: warning: \(warning)\n".utf8)) }
            if outputOptions.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
            } else {
                print("\(summary.output): \(summary.count) models (\(summary.population)) from \(summary.anchors) anchors, seed \(summary.seed)")
            }
        }
    }
}
