// What one evaluation run is asked to do (hz-eval's options as plain values), and the I/O that
// HyperRep cannot do itself (the CLI hands in Formats' dataset readers, the probe-report reader
// and progress bars).
import Nets
import ZooStore

/// An error of the evaluation stage: one line saying which input is wrong and what to do.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The options of one evaluation run. Defaults are hz-eval's.
public struct EvaluationOptions: Sendable {
    /// Population files written by hz-sample.
    public var populations: [String]
    /// The zoo the populations were sampled from (baselines, recipe, data, novelty).
    public var zoo: String
    /// The report folder; with `shard`, the part file.
    public var output: String
    /// Fine-tuning epochs reported (0 = as sampled is always added).
    public var epochs: [Int] = [0, 1, 5]
    /// Members per population and per baseline (the first n).
    public var models: Int = 20
    /// Any of "bt", "bf".
    public var baselines: [String] = ["bt", "bf"]
    /// B_T source: "init" or "zoo-test".
    public var scratch: String = "init"
    /// B_F's zoo epoch; nil = the zoo's last stored epoch.
    public var bfEpoch: Int?
    public var trainSubset = 0, testSubset = 0
    /// "" (none), "digits", "fashion-mnist" or a ``PaperDataset`` name.
    public var transfer = ""
    public var transferPath: String?
    public var transferTrainSubset = 0, transferTestSubset = 0
    public var ensembleSizes: [Int] = [3, 5]
    public var ensembleTrials = 20
    public var novelty = true
    public var seed: UInt64 = 0
    public var threads: Int = defaultThreadCount()
    public var bootstrap = 1000
    /// A `hz-train probe` report to join into the report.
    public var probe: String?
    /// Replace an existing report (or part file).
    public var force = false
    public var recipe = RecipeOverrides()
    /// Evaluate only this shard's members (member m belongs to shard m mod N) into a part file.
    public var shard: ZooShard?
    /// The command line recorded in the report.
    public var commandLine = ""
    /// "hyperzoo 0.1.0": the report's generator.
    public var generator = "hyperzoo"

    public init(populations: [String], zoo: String, output: String) {
        self.populations = populations; self.zoo = zoo; self.output = output
    }
}

/// What the evaluation needs from the layers above HyperRep.
public struct EvaluationEnvironment {
    /// Dataset file readers Nets cannot import (CIFAR-10's pickles: Formats).
    public var readers: DatasetReaders
    /// Reads the `--probe` report at a path.
    public var readProbe: (String) throws -> ProbeReport
    /// Starts a progress display for fine-tuning (label, total training images); returns its
    /// update (images done so far, from any thread) and finish calls.
    public var fineTuneProgress: (String, Int) -> (update: @Sendable (Int) -> Void, finish: () -> Void)

    public init(readers: DatasetReaders = DatasetReaders(),
                readProbe: @escaping (String) throws -> ProbeReport = { path in throw EvaluationError("--probe \(path): no probe reader") },
                fineTuneProgress: @escaping (String, Int) -> (update: @Sendable (Int) -> Void, finish: () -> Void) = { _, _ in ({ _ in }, {}) }) {
        self.readers = readers; self.readProbe = readProbe; self.fineTuneProgress = fineTuneProgress
    }
}
