// Whether a Slurm answers on this machine (tools/cluster/start-local-slurm, or a real cluster's
// login node), for the Slurm executor's tests.
import Foundation

public enum LocalSlurm {
    /// `sbatch` on PATH and `sinfo` answering within 10 s with a usable node.
    public static let answers: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        func which(_ tool: String) -> String? {
            path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard which("sbatch") != nil, let sinfo = which("sinfo") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sinfo)
        process.arguments = ["-h", "-o", "%T"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit(); return false }
        let states = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return process.terminationStatus == 0 && ["idle", "mixed", "allocated"].contains { states.contains($0) }
    }()

    /// tools/test sets HYPERZOO_REQUIRE_SLURM=1 when it started the local Slurm: the tests then
    /// run (and fail) instead of being skipped when no Slurm answers.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["HYPERZOO_REQUIRE_SLURM"] == "1" }

    public static var testsEnabled: Bool { answers || isRequired }
}
