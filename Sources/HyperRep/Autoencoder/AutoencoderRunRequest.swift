// What one `hz-train` run is asked to do and what it reports: the request (the command line,
// parsed, with its AutoencoderRunSettings), the files it writes, the views made elsewhere, the result.
import ZooStore

/// Views made elsewhere (hz-augment's view stream), one epoch at a time, [2, count, P] per epoch.
public protocol AutoencoderViewSource: AnyObject {
    /// Epochs read (or skipped) so far.
    var epochsRead: Int { get }
    /// The augmentation the views were made with (a new run records it as its own).
    var augmentOptions: AugmentOptions { get }
    /// Where the views come from, for the log line ("stdin (hz-augment seed 7)").
    var origin: String { get }
    func skipEpoch() throws
    func readEpoch(into views: UnsafeMutableBufferPointer<Float>) throws
    /// Checks that the stream ends here.
    func finish() throws
}

/// The files of one run: the finished AE and metrics, and where they are written meanwhile.
public struct AutoencoderRunFiles: Sendable {
    public let output: String
    public init(output: String) { self.output = output }
    public var partial: String { AtomicOutput.partialPath(for: output) }
    public var metrics: String { output + ".metrics.jsonl" }
    public var metricsPartial: String { AtomicOutput.partialPath(for: metrics) }
}

/// What a run is asked to do (the command line, parsed).
public struct AutoencoderRunRequest {
    public var zoo: String
    public var output: String
    /// Epochs to train in total (a resumed run continues up to this).
    public var epochs: Int
    public var zooEpochs: Set<Int>?
    public var splitSeed: UInt64?
    public var resume = false
    public var force = false
    /// What the command line gave: a new run's model and options (the defaults for the rest),
    /// and the values a resumed run checks against its own. Its --lr (learningRate) is the one
    /// value a resumed run takes, from the next epoch on.
    public var settings: AutoencoderRunSettings
    /// Whether the views come from a stream (the failure message then asks for a complete one).
    public var viewsGiven = false
    /// Opens the view stream for the table and training checkpoints (nil: augment here).
    public var openViews: ((ParameterTable, [Int]) throws -> AutoencoderViewSource)?

    public init(zoo: String, output: String, epochs: Int, settings: AutoencoderRunSettings) {
        self.zoo = zoo; self.output = output; self.epochs = epochs; self.settings = settings
    }
}

/// What a finished run reports (on the root rank; other ranks have no diagnostics).
public struct AutoencoderRunResult {
    public var lastEpoch: AutoencoderEpochMetrics?
    public var diagnostics: AutoencoderDiagnostics?
}
