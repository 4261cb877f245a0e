// Starting a streamed chain's processes (pipes between them, logs, the upstream lock, progress
// files) and the thread per process that waits for it and reports its end to the scheduler.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension PipelineRunner {
    /// The stage's command, plus `--resume` when the stage folder holds an interrupted attempt of
    /// this same command (prepareStageFolder brought it back: an `<output>.partial`) and the tool
    /// resumes only when asked (hz-train refuses a partial without --resume). The cache key stays
    /// that of the plain command: resuming continues the same run bit for bit.
    static func resumingIfInterrupted(_ stage: PlannedStage) -> [String] {
        var line = stage.commandLine
        guard stage.description.options["resume"]?.kind == .flag, !line.contains("--resume"), !line.contains("--force") else { return line }
        let interrupted = stage.outputs.values.contains { $0 != "-" && FileManager.default.fileExists(atPath: $0 + ".partial") }
        if interrupted { line.append("--resume") }
        return line
    }

    /// Starts every process of unit `u`: stdout into the next stage's stdin through a pipe, or
    /// into the stage's log with stderr.
    func launch(_ u: Int, label: (Int) -> String, events: FinishedQueue) throws {
        try writeFileAtomically(plan.spec.document.pretty, to: plan.run.folder + "/" + PipelinePlan.specFileName)
        var previousRead: Int32 = -1
        var environment = ProcessInfo.processInfo.environment
        environment["HYPERZOO_RUN_FOLDER"] = plan.run.folder
        for (position, s) in units[u].enumerated() {
            let stage = plan.stages[s]
            try FileManager.default.createDirectory(atPath: plan.run.folder + "/" + stage.name, withIntermediateDirectories: true)
            for path in stage.outputs.values where path != "-" {
                // Stale outputs go first, so a stage that fails cannot leave an old file looking new.
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            try writeUpstreamLock(s)
            let commandLine = Self.resumingIfInterrupted(stage)
            let log = try openForWriting(plan.logPath(stage))
            let header = "$ \(shellLine(commandLine))\n"
            _ = header.withCString { write(log, $0, strlen($0)) }
            var stdout = log
            var nextRead: Int32 = -1
            if position < units[u].count - 1 {
                let (r, w) = try makePipe()
                stdout = w
                nextRead = r
            }
            environment["HYPERZOO_STAGE"] = stage.name
            if options.reportsProgress {
                try? FileManager.default.removeItem(atPath: progressPath(s))
                environment["HYPERZOO_PROGRESS_FILE"] = progressPath(s)
            }
            say("\(label(s))  running\(previousRead >= 0 ? " (reading the stream of \(plan.stages[units[u][position - 1]].name))" : ""): \(shellLine(commandLine))")
            let started = Date()
            let process: StageProcess
            do {
                process = try StageProcess.spawn(commandLine, stdin: previousRead, stdout: stdout, stderr: log, environment: environment)
            } catch {
                close(log)
                if stdout != log { close(stdout) }
                if previousRead >= 0 { close(previousRead) }
                if nextRead >= 0 { close(nextRead) }
                throw error
            }
            launchedAt[s] = started
            folderState?.attempts[stage.name]?.pid = process.pid
            try? folderState?.save()
            // The child holds its own copies; the runner keeps none, so EOF and SIGPIPE propagate.
            close(log)
            if stdout != log { close(stdout) }
            if previousRead >= 0 { close(previousRead) }
            previousRead = nextRead
            watch(process, stage: s, started: started, events: events)
        }
    }

    /// `${upstream_lock}`: the lock entries of the stage's ancestors, written before the stage
    /// starts (here, or when its Slurm job is submitted).
    func writeUpstreamLock(_ s: Int) throws {
        let upstreamNames = Set(plan.ancestors(of: s).map { plan.stages[$0].name })
        var upstream = LockFile(pipeline: lock.pipeline, run: lock.run)
        upstream.stages = lock.stages.filter { upstreamNames.contains($0.key) }
        try upstream.write(to: PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name))
    }

    /// A thread that waits for stage `s`'s process, appends its exit status to the stage's log
    /// and tells the scheduler.
    private func watch(_ process: StageProcess, stage s: Int, started: Date, events: FinishedQueue) {
        let logPath = plan.logPath(plan.stages[s])
        Thread.detachNewThread {
            let status = process.wait()
            let seconds = Date().timeIntervalSince(started)
            if let handle = FileHandle(forWritingAtPath: logPath) {
                handle.seekToEndOfFile()
                handle.write(Data("# exit status \(status) after \(String(format: "%.2f", seconds)) s\n".utf8))
                try? handle.close()
            }
            events.push(Finished(stage: s, status: status, seconds: seconds))
        }
    }

    func reportProgress(running: [Int], label: (Int) -> String) {
        guard let onProgress else { return }
        let now = Date()
        let lines = running.flatMap { units[$0] }.compactMap { s -> StageProgress? in
            guard let started = launchedAt[s] else { return nil }
            let text = (FileManager.default.contents(atPath: progressPath(s)).map { String(decoding: $0, as: UTF8.self) } ?? "")
                .split(separator: "\n").last.map(String.init) ?? ""
            return StageProgress(label: label(s), elapsed: now.timeIntervalSince(started), progress: text)
        }
        onProgress(lines)
    }

    func progressPath(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).progress" }
}

/// Completion events from the waiting threads to the scheduler.
// unchecked because: `items` is only touched while holding `lock`; the semaphore is thread-safe.
final class FinishedQueue: @unchecked Sendable {
    private var items: [Finished] = []
    private let lock = NSLock()
    private let semaphore = DispatchSemaphore(value: 0)
    func push(_ item: Finished) {
        lock.lock(); items.append(item); lock.unlock()
        semaphore.signal()
    }
    /// The next event; nil when `timeout` seconds passed without one.
    func next(timeout: Double?) -> Finished? {
        if let timeout {
            guard semaphore.wait(timeout: .now() + timeout) == .success else { return nil }
        } else {
            semaphore.wait()
        }
        lock.lock(); defer { lock.unlock() }
        return items.removeFirst()
    }
}

/// A stage process that ended.
struct Finished: Sendable { var stage: Int; var status: Int32; var seconds: Double }

/// A command line as one could paste it into a shell.
public func shellLine(_ arguments: [String]) -> String {
    arguments.map { argument in
        if !argument.isEmpty && argument.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

/// The last `lines` lines of a text file (for failure messages).
func tail(of path: String, lines: Int) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    let text = String(decoding: data.suffix(8192), as: UTF8.self)
    return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }.suffix(lines))
}
