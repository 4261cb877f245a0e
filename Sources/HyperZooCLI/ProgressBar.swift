// A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal
// (quiet in pipes, logs and CI), redrawn at most five times a second. Safe to call from any thread.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long operation counted in units (checkpoints, files, rows).
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let unit: String
    private let enabled: Bool
    private let start = Date()
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

    /// Reports `done` of `total` units; without a total (a stream of unknown length) the bar
    /// shows the count and rate, no ETA.
    public func update(_ done: Int, of total: Int?) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done >= (total ?? .max) || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(Self.line(label: label, unit: unit, done: done, total: total,
                                                      elapsed: now.timeIntervalSince(start)).utf8))
    }

    /// Ends the bar's line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// The text of the bar (without drawing it), e.g.
    /// `\rconverting [##########..........] 550/1100 checkpoints 812/s ETA 0:01`, or without a total
    /// `\rtokenizing 550 samples 812/s`.
    static func line(label: String, unit: String, done: Int, total: Int?, elapsed: Double) -> String {
        guard let total else {
            return "\r\(label) \(done) \(unit) \(Int(elapsed > 0 ? Double(done) / elapsed : 0))/s   "
        }
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Int((Double(total - done) / rate).rounded()) : 0
        let eta = done >= total ? "done" : "ETA \(remaining / 60):\(String(format: "%02d", remaining % 60))"
        return "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total) \(unit) \(Int(rate))/s \(eta)   "
    }
}
