// `hz-train --mpi` (or any hz-train fit started by mpirun/srun): data-parallel training, one
// process per rank, through Cluster's MPITraining; this writes its error lines.
import ArgumentParser
import Cluster
import Foundation
import HyperRep
import MPI

extension TrainCommand.Fit {
    /// Whether this run trains over MPI: asked for with --mpi, or started by an MPI launcher.
    var usesMPI: Bool { mpi || MPILauncher.isLaunched() }

    /// Runs `body` with MPI_COMM_WORLD. An error on this rank is one line naming the rank, then
    /// MPI_Abort ends every rank with status 1; on success MPI is finalised.
    func runOverMPI(_ body: (MPITrainingGroup) throws -> Void) throws {
        do {
            try MPITraining.run(report: { failure in
                let line: String
                switch failure {
                case .noWorld(let error):
                    line = "hz-train fit: --mpi: \(error)"
                case .rank(let rank, let size, let error):
                    let message = (error as? ValidationError)?.message ?? "\(error)"
                    line = "hz-train fit (MPI rank \(rank) of \(size)): \(message)"
                }
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }) { group in
                if group.size > 1, views == "-" {
                    throw AutoencoderError("--views - (stdin) cannot feed \(group.size) MPI ranks (the launcher gives stdin to rank 0 only): write the views to a file (hz-augment … -o views.h5) and pass --views views.h5")
                }
                try body(group)
            }
        } catch is MPIRunReported {
            throw ExitCode.failure
        }
    }
}
