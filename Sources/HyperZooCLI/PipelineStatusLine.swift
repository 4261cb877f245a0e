// hz-pipeline run's terminal display: the runner's lines with a live status line per running stage.
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

extension PipelineCommand {
    /// The runner's lines, and below them one line per running stage with its elapsed time and its
    /// own progress (redrawn in place), when the output is a terminal; plain lines otherwise.
    // unchecked because: `shown`, the only mutable field, is touched only by erase(), which runs
    // only inside print/show/clear while they hold `lock`.
    final class StatusLine: @unchecked Sendable {
        let descriptor: Int32
        let isTerminal: Bool
        private var shown = 0
        private let lock = NSLock()

        init(descriptor: Int32) {
            self.descriptor = descriptor
            isTerminal = isatty(descriptor) == 1
        }

        private func write(_ text: String) {
            _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        }

        private func erase() {
            // Up and erase each status line drawn last time.
            if shown > 0 { write("\r\u{1B}[2K" + String(repeating: "\u{1B}[1A\u{1B}[2K", count: shown - 1)) }
            shown = 0
        }

        func print(_ line: String) {
            lock.lock(); defer { lock.unlock() }
            if isTerminal { erase() }
            write(line + "\n")
        }

        func show(_ stages: [StageProgress]) {
            lock.lock(); defer { lock.unlock() }
            guard isTerminal else { return }
            erase()
            let columns = Self.columns(descriptor)
            let lines = stages.map { stage -> String in
                let text = "\(stage.label)  \(ProgressBar.clock(stage.elapsed))  \(stage.progress.isEmpty ? "running" : stage.progress)"
                return String(text.prefix(max(20, columns - 1)))
            }
            write(lines.joined(separator: "\n"))
            shown = lines.count
        }

        func clear() {
            lock.lock(); defer { lock.unlock() }
            if isTerminal { erase() }
        }

        static func columns(_ descriptor: Int32) -> Int {
            var size = winsize()
            return ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100
        }
    }
}
