// Options and input/output plumbing shared by `hz-tokenize` and `hz-augment`.
import ArgumentParser
import Foundation
import Pipeline
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// Which checkpoints to read (`--split`, `--checkpoint-epochs`, `--top-k`, `--metric`).
public struct CheckpointSelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Keep models of this split only. Default: all.", valueName: "split"))
    public var split: Split?

    @Option(help: ArgumentHelp("Keep these checkpoint epochs only, e.g. 21-25 or 0,10,50. Default: all.", valueName: "list"),
            transform: EpochSelection.parser("--checkpoint-epochs"))
    var checkpointEpochs: EpochSelection?

    @Option(help: ArgumentHelp("Keep the k best checkpoints by --metric (zoo file input only).", valueName: "k"))
    public var topK: Int?

    @Option(help: ArgumentHelp("Metric for --top-k.", valueName: "metric"))
    public var metric: Metric = .testAccuracy

    public init() {}

    /// The selection, or a message saying which option is wrong.
    public func selection() throws -> ZooSelection {
        var s = ZooSelection()
        s.split = split
        s.epochs = checkpointEpochs?.epochs
        if let topK {
            guard topK > 0 else { throw ValidationError("--top-k must be at least 1") }
            s.topK = topK
        }
        s.metric = metric
        return s
    }
}

/// Where a token stage writes (`-o`, `--force`, `--json`). Its -o is declared here, not in
/// OutputOptions: it is optional, `-` (stdout) by default, since token stages chain in pipes.
public struct StreamOutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Output: - for a record stream on stdout (default), FILE.h5 for HDF5, any other FILE for a record-stream file.", valueName: "out"))
    public var output: String = "-"

    @OptionGroup var flags: OutputFlags<Help>

    enum Help: OutputFlagsHelp {
        static var force: ArgumentHelp { "Replace an existing output file." }
        static var json: ArgumentHelp { "Print a JSON summary (to stdout, or to stderr when the stream goes to stdout)." }
    }

    public var force: Bool { flags.force }
    public var json: Bool { flags.json }

    public init() {}
}

/// The token stages' output and summary (inputs: Pipeline's TokenStageEndpoints.openInput).
enum TokenStageIO {
    /// A sink for `-o` (TokenStageEndpoints.openOutput); a binary stream is never written to a terminal.
    static func openOutput(_ options: StreamOutputOptions) throws -> RecordSink {
        if options.output == "-" && isatty(STDOUT_FILENO) != 0 {
            throw ValidationError("refusing to write a binary record stream to the terminal; pipe it into the next stage or pass -o FILE")
        }
        return try TokenStageEndpoints.openOutput(options.output, force: options.force)
    }

    /// Prints the run summary as JSON or a sentence (stderr when the stream is on stdout).
    static func report(_ summary: [String: String], sentence: String, options: StreamOutputOptions) {
        let text: String
        if options.json {
            text = "{" + summary.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}\n"
        } else {
            text = sentence + "\n"
        }
        if options.output == "-" {
            if options.json || isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data(text.utf8)) }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

/// Counts records flowing out of a source and draws a `ProgressBar` (with ETA when the total is known).
final class ProgressCountingSource: RecordSource {
    let base: RecordSource
    let total: Int?
    let kinds: Set<String>
    private(set) var count = 0
    private let bar: ProgressBar

    init(_ base: RecordSource, total: Int?, countedKinds: Set<String>, label: String) {
        self.base = base
        self.total = total
        self.kinds = countedKinds
        self.bar = ProgressBar(label: label, unit: "samples")
    }

    func next() throws -> Record? {
        let record = try base.next()
        if let record, kinds.contains(record.header.kind) {
            count += 1
            bar.update(count, of: total)
        }
        if record == nil {
            bar.update(count, of: count)
            bar.finish()
        }
        return record
    }
}
