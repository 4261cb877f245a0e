// The one progress bar of the CLIs: a line with rate and ETA on stderr, drawn only when stderr is
// a terminal (quiet in pipes, logs and CI), redrawn at most five times a second. Safe to call
// from any thread.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long operation counted in units (checkpoints, files, rows, samples).
// unchecked because: the mutable fields (start, startDone, lastDraw) are read and written only
// while holding `lock`; everything else is a `let`.
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let unit: String
    private let enabled: Bool
    private var start = Date()
    private var startDone = 0
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    /// - Parameters:
    ///   - label: what is being done, e.g. `converting`.
    ///   - unit: what is counted, e.g. `checkpoints`.
    ///   - enabled: force drawing on or off (default: only when stderr is a terminal).
    public init(label: String, unit: String, enabled: Bool? = nil) {
        self.label = label
        self.unit = unit
        self.enabled = enabled ?? (isatty(STDERR_FILENO) != 0)
    }

    /// Measures the rate from now and from `done` units on, e.g. when a resumed run starts with
    /// work already done: that work neither inflates the rate nor shortens the ETA.
    public func restart(at done: Int) {
        lock.lock()
        defer { lock.unlock() }
        start = Date()
        startDone = done
    }

    /// Reports `done` of `total` units; without a total (a stream of unknown length) the bar
    /// shows the count and rate, no ETA. `note` follows the bar (e.g. the last epoch's accuracy);
    /// `force` draws now even if the last draw was less than 0.2 s ago.
    public func update(_ done: Int, of total: Int?, note: String = "", force: Bool = false) {
        guard enabled || Self.runnerReport != nil else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard force || done >= (total ?? .max) || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let text = Self.line(label: label, unit: unit, done: done, total: total,
                             elapsed: now.timeIntervalSince(start), since: startDone, note: note)
        if enabled { FileHandle.standardError.write(Data(text.utf8)) }
        if let report = Self.runnerReport {
            // Without the terminal codes; overwritten in place so it never grows.
            let plain = String(text.dropFirst("\r\u{1B}[2K".count)) + "\n"
            _ = plain.withCString { pwrite(report, $0, strlen($0), 0) }
            _ = ftruncate(report, off_t(strlen(plain)))
        }
    }

    /// hz-pipeline's progress file for this stage (HYPERZOO_PROGRESS_FILE), where the runner reads
    /// the stage's progress to show it on its terminal (the stage's own stderr goes to a log).
    private static let runnerReport: Int32? = {
        guard let path = ProcessInfo.processInfo.environment["HYPERZOO_PROGRESS_FILE"], !path.isEmpty else { return nil }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        return fd >= 0 ? fd : nil
    }()

    /// Ends the bar's line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// The text of the bar (without drawing it): a carriage return and an erase-line, then e.g.
    /// `converting [############............] 550/1100 checkpoints 812/s ETA 0:01`, or without a
    /// total `tokenizing 550 samples 812/s`. The rate counts the units done since `startDone`.
    static func line(label: String, unit: String, done: Int, total: Int?, elapsed: Double,
                     since startDone: Int = 0, note: String = "") -> String {
        let rate = elapsed > 0 ? Double(done - startDone) / elapsed : 0
        var text = "\r\u{1B}[2K\(label) "
        if let total {
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            let width = 24
            let filled = Int(fraction * Double(width))
            let eta = done >= total ? "done" : rate > 0 ? "ETA " + clock(Double(total - done) / rate) : "ETA --:--"
            text += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(done)/\(total) \(unit) \(Int(rate))/s \(eta)"
        } else {
            text += "\(done) \(unit) \(Int(rate))/s"
        }
        return note.isEmpty ? text : text + "  " + note
    }

    /// `m:ss` under an hour, `h:mm:ss` above.
    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
