// `hz-train --mpi` (or any hz-train fit started by mpirun/srun): data-parallel training, one
// process per rank. MPI's Communicator is adapted to HyperRep's TrainingGroup; a failure on any
// rank ends the whole job (MPI_Abort), since the other ranks would wait in a collective forever.
import ArgumentParser
import Foundation
import HyperRep
import MPI

/// MPI_COMM_WORLD as the trainer's group.
final class MPITrainingGroup: TrainingGroup {
    let world: Communicator
    init(_ world: Communicator) { self.world = world }
    var rank: Int { world.rank }
    var size: Int { world.size }

    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        // Communicator reduces Swift arrays; one copy each way is small beside the reduction.
        var copy = Array(values)
        try world.allreduceSum(&copy)
        _ = values.update(fromContentsOf: copy)
    }

    func allreduceSum(_ values: inout [Double]) throws { try world.allreduceSum(&values) }

    func allgather(_ values: UnsafeBufferPointer<Float>) throws -> [Float] { try world.allgather(Array(values)) }

    func barrier() throws { try world.barrier() }
}

extension TrainCommand.Fit {
    /// Whether this run trains over MPI: asked for with --mpi, or started by an MPI launcher.
    var usesMPI: Bool { mpi || MPILauncher.isLaunched() }

    /// Runs `body` with MPI_COMM_WORLD. An error on this rank is one line naming the rank, then
    /// MPI_Abort ends every rank with status 1; on success MPI is finalised.
    func runOverMPI(_ body: (MPITrainingGroup) throws -> Void) throws {
        let world: Communicator
        do { world = try Communicator.world } catch {
            FileHandle.standardError.write(Data("hz-train fit: --mpi: \(error)\n".utf8))
            throw ExitCode.failure
        }
        do {
            if world.size > 1, views == "-" {
                throw AutoencoderError("--views - (stdin) cannot feed \(world.size) MPI ranks (the launcher gives stdin to rank 0 only): write the views to a file (hz-augment … -o views.h5) and pass --views views.h5")
            }
            try body(MPITrainingGroup(world))
        } catch {
            let message = (error as? ValidationError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("hz-train fit (MPI rank \(world.rank) of \(world.size)): \(message)\n".utf8))
            if world.size > 1 { world.abort(code: 1) }
            try? world.finalize()
            throw ExitCode.failure
        }
        try world.finalize()
    }
}
