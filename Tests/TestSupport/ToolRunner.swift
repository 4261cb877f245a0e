// Runs a built executable of the package (hz-convert, hz-train, …) as a real subprocess.
import Foundation

/// The package's built executables, found next to the test bundle.
public enum ToolRunner {
    /// The URL of executable `name` in the build products folder.
    public static func executable(_ name: String) -> URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent(name)
    }

    /// Whether `name` has been built (tests that need it are skipped otherwise).
    public static func isBuilt(_ name: String) -> Bool { FileManager.default.fileExists(atPath: executable(name).path) }

    /// Runs `name` with `arguments` (in the working folder `folder`, default this process's);
    /// returns its exit status and captured stdout and stderr. stderr goes to a temporary file so
    /// that neither stream can fill a pipe and stall the child.
    public static func run(_ name: String, _ arguments: [String], in folder: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try runProcess(executable(name), arguments, in: folder)
    }

    /// Runs `executable` with stdout discarded, and SIGKILLs it as soon as `stop` says so
    /// (polled every 2 ms): the kill -9 resume tests. `killed` is true only when the kill ended it.
    public static func runKilling(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                                  until stop: ((Process) -> Bool)? = nil) throws -> (status: Int32, killed: Bool, stderr: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var killed = false
        if let stop {
            while p.isRunning {
                if stop(p) { kill(p.processIdentifier, SIGKILL); killed = true; break }
                usleep(2_000)
            }
        }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, killed && p.terminationReason == .uncaughtSignal, text)
    }

    /// Runs any executable (e.g. mpirun wrapping one of ours) with `environment` (default: this
    /// process's); stderr goes to a temporary file so that neither stream can stall the child.
    public static func runProcess(_ executable: URL, _ arguments: [String], in folder: String? = nil,
                                  environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = TemporaryDirectory("tool-stderr")
        let errPath = scratch.path("stderr")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errHandle.close()
        let stderr = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
