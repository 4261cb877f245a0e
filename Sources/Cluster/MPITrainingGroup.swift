// Data-parallel training over MPI: MPI_COMM_WORLD adapted to HyperRep's TrainingGroup, and the
// run that owns MPI's lifetime around a training. A failure on any rank ends the whole job
// (MPI_Abort), since the other ranks would wait in a collective forever.
import HyperRep
import MPI

/// MPI_COMM_WORLD as the trainer's group. Not Sendable, like the Communicator it wraps: MPI is
/// initialised for one thread only.
public final class MPITrainingGroup: TrainingGroup {
    public let world: Communicator
    public init(_ world: Communicator) { self.world = world }
    public var rank: Int { world.rank }
    public var size: Int { world.size }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        // Communicator reduces Swift arrays; one copy each way is small beside the reduction.
        var copy = Array(values)
        try world.allreduceSum(&copy)
        _ = values.update(fromContentsOf: copy)
    }

    public func allreduceSum(_ values: inout [Double]) throws { try world.allreduceSum(&values) }

    public func allgather(_ values: UnsafeBufferPointer<Float>) throws -> [Float] { try world.allgather(Array(values)) }

    public func barrier() throws { try world.barrier() }
}

/// Why an MPI run stopped; the caller turns it into its error line.
public enum MPIRunFailure: Error {
    /// MPI could not be started (no library, MPI_Init failed).
    case noWorld(any Error)
    /// The work failed on rank `rank` of `size`.
    case rank(Int, of: Int, any Error)
}

/// Thrown once the failure has been reported: the caller only sets its exit status.
public struct MPIRunReported: Error, Sendable { public init() {} }

public enum MPITraining {
    /// Runs `body` with MPI_COMM_WORLD as its group, then finalises MPI. On a failure `report` is
    /// called first (so the line is written before MPI_Abort); with more than one rank every rank
    /// is then aborted with status 1, with one rank this throws `MPIRunReported`.
    public static func run(report: (MPIRunFailure) -> Void, _ body: (MPITrainingGroup) throws -> Void) throws {
        let world: Communicator
        do { world = try Communicator.world } catch {
            report(.noWorld(error))
            throw MPIRunReported()
        }
        do {
            try body(MPITrainingGroup(world))
        } catch {
            report(.rank(world.rank, of: world.size, error))
            if world.size > 1 { world.abort(code: 1) }
            try? world.finalize()
            throw MPIRunReported()
        }
        try world.finalize()
    }
}
