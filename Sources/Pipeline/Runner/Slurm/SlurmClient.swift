// The Slurm commands the executor needs (sbatch, squeue, scancel), found on PATH and run as
// subprocesses. Nothing here talks to slurmctld directly: whatever Slurm the user's sbatch
// reaches is the one used, with its own configuration and authentication.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why Slurm could not be used or asked.
public struct SlurmError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// sbatch, squeue and scancel of one Slurm installation.
public struct SlurmClient: Sendable {
    public var sbatch: String
    public var squeue: String
    public var scancel: String

    /// The tools on `PATH`, or nil when sbatch is not installed.
    public static func find(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") -> SlurmClient? {
        func which(_ tool: String) -> String? {
            path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let sbatch = which("sbatch"), let squeue = which("squeue"), let scancel = which("scancel") else { return nil }
        return SlurmClient(sbatch: sbatch, squeue: squeue, scancel: scancel)
    }

    /// Slurm states in which a job may still run (or be requeued to run).
    public static let activeStates: Set<String> = [
        "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
        "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
    ]

    /// Submits `script` with `arguments` (`--parsable` added); returns the job id.
    public func submit(script: String, arguments: [String]) throws -> String {
        let result = try Self.run(sbatch, ["--parsable"] + arguments + [script])
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError("sbatch \(script) failed (exit \(result.status)): \(Self.oneLine(result.stderr.isEmpty ? result.stdout : result.stderr))")
        }
        return id
    }

    /// The state of each job of `ids` Slurm still knows (finished jobs are forgotten after its
    /// MinJobAge). A job array's state is that of its least finished task: RUNNING while any task
    /// runs or waits, else FAILED if any task failed, else the tasks' common state.
    public func states(of ids: [String]) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let result = try Self.run(squeue, ["-h", "--states=all", "-o", "%i %T", "-j", ids.joined(separator: ",")])
        // squeue exits 1 with "Invalid job id specified" when every id has aged out: nothing known.
        if result.status != 0 && !result.stderr.contains("Invalid job id") {
            throw SlurmError("squeue failed (exit \(result.status)): \(Self.oneLine(result.stderr)); is slurmctld reachable?")
        }
        var tasks: [String: [String]] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            let job = String(parts[0].prefix { $0 != "_" })
            tasks[job, default: []].append(String(parts[1]))
        }
        return tasks.mapValues { states in
            if let active = states.first(where: Self.activeStates.contains) { return active }
            if let bad = states.first(where: { $0 != "COMPLETED" }) { return bad }
            return "COMPLETED"
        }
    }

    /// Cancels `ids` (best effort: a job that already ended is no error).
    public func cancel(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        _ = try? Self.run(scancel, ids)
    }

    static func oneLine(_ text: String) -> String {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// Runs `tool` and captures both streams (small outputs: job ids and state lines); stderr
    /// goes through a temporary file so that neither stream can fill a pipe and stall the tool.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let errPath = NSTemporaryDirectory() + "/hz-slurm-\(getpid())-\(UUID().uuidString.prefix(8)).err"
        guard FileManager.default.createFile(atPath: errPath, contents: nil), let errHandle = FileHandle(forWritingAtPath: errPath) else {
            throw SlurmError("cannot create \(errPath) for \(tool)'s messages")
        }
        defer { unlink(errPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errHandle.close()
        let stderr = FileManager.default.contents(atPath: errPath) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
