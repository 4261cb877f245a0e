// mpirun for the tests that run our executables as MPI jobs (MPITests, CLITests): on loopback,
// TCP between ranks, allowed as root (CI runs as root).
import Foundation

public enum MPIRunner {
    /// mpirun on PATH, or nil. Tests needing it are disabled without it, except under
    /// HYPERZOO_REQUIRE_MPI=1 (tools/test), where they run and fail.
    public static var mpirun: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/mpirun") {
            return "\(dir)/mpirun"
        }
        return nil
    }

    public static var required: Bool { ProcessInfo.processInfo.environment["HYPERZOO_REQUIRE_MPI"] == "1" }

    /// Whether MPI tests should run: mpirun exists, or it is required (then a missing one fails).
    public static var enabled: Bool { mpirun != nil || required }

    /// The mpirun arguments that start `ranks` copies of `tool`, ended by mpirun after `timeout`
    /// seconds (a hang fails the test instead of stalling the suite).
    public static func arguments(ranks: Int, _ tool: String, _ toolArguments: [String], timeout: Int = 300) -> [String] {
        ["--timeout", "\(timeout)", "-n", "\(ranks)", "--oversubscribe", "--mca", "btl", "self,tcp", ToolRunner.executable(tool).path] + toolArguments
    }

    /// This process's environment plus `extra` and OpenMPI's allow-run-as-root settings.
    public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return environment
    }

    /// Runs `tool` under `mpirun -n ranks`; returns status, stdout and stderr.
    public static func run(ranks: Int, _ tool: String, _ arguments: [String], timeout: Int = 300,
                           environment extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let mpirun else { throw MPIRunnerError() }
        return try ToolRunner.runProcess(URL(fileURLWithPath: mpirun), self.arguments(ranks: ranks, tool, arguments, timeout: timeout),
                                         environment: environment(extra))
    }
}

public struct MPIRunnerError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "HYPERZOO_REQUIRE_MPI=1 but mpirun is not on PATH (install openmpi-bin libopenmpi-dev)" }
}
