// Running the package's executables under OpenMPI's mpirun on loopback, for the MPI tests of
// several test targets (MPITests, CLITests).
import Foundation

public enum MPIRunner {
    /// mpirun on PATH, or nil. Tests needing it are disabled visibly, or fail under HYPERZOO_REQUIRE_MPI=1.
    public static var mpirunPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/mpirun") {
            return "\(dir)/mpirun"
        }
        return nil
    }

    /// tools/test sets HYPERZOO_REQUIRE_MPI=1: a missing mpirun is then a failure, not a skip.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["HYPERZOO_REQUIRE_MPI"] == "1" }

    /// The mpirun arguments that start `ranks` copies of `tool` on loopback (TCP between ranks).
    public static func arguments(ranks: Int, _ tool: String, _ toolArguments: [String]) -> [String] {
        ["-n", "\(ranks)", "--oversubscribe", "--mca", "btl", "self,tcp", ToolRunner.executable(tool).path] + toolArguments
    }

    /// This process's environment plus OpenMPI's allow-run-as-root settings (CI runs as root).
    public static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return environment
    }

    /// Runs `tool` under `mpirun -n ranks`; returns status, stdout and stderr.
    public static func run(_ mpirun: String, ranks: Int, _ tool: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.runProcess(URL(fileURLWithPath: mpirun), self.arguments(ranks: ranks, tool, arguments), environment: environment)
    }
}
