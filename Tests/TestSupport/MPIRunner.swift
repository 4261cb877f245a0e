// mpirun for the tests that run our executables as MPI jobs (MPITests, CLITests).
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

    /// Runs `tool` under `mpirun -n ranks` on loopback (TCP between ranks, allowed as root), ended
    /// by mpirun after `timeout` seconds (a hang fails the test instead of stalling the suite);
    /// returns status, stdout and stderr.
    public static func run(ranks: Int, _ tool: String, _ arguments: [String], timeout: Int = 300,
                           environment extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let mpirun else { throw MPIRunnerError() }
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return try ToolRunner.runProcess(URL(fileURLWithPath: mpirun),
                                         ["--timeout", "\(timeout)", "-n", "\(ranks)", "--oversubscribe", "--mca", "btl", "self,tcp",
                                          ToolRunner.executable(tool).path] + arguments,
                                         environment: environment)
    }
}

public struct MPIRunnerError: Error, CustomStringConvertible {
    public var description: String { "HYPERZOO_REQUIRE_MPI=1 but mpirun is not on PATH (install openmpi-bin libopenmpi-dev)" }
}
