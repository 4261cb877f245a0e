// Whether this process was started by an MPI launcher, read from the environment it sets.
import Foundation

public enum MPILauncher {
    /// Variables set by mpirun (OpenMPI), PMIx-based launchers, Slurm's srun and MPICH's Hydra.
    public static let variables = ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// True when any launcher variable is present (a plain `hz-train` run has none).
    public static func isLaunched(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        variables.contains { environment[$0] != nil }
    }
}
