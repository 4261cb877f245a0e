// A small MPI driver for the MPI wrapper's tests: under `mpirun -n K` each rank contributes
// rank-dependent values to allreduce (Float and Double), allgather and broadcast and prints
// one line with what it received, which the test compares with the sums it computes itself.
import MPI
import Foundation

// Read before MPI_Init: a singleton init sets OMPI_* variables in this process itself.
let launched = MPILauncher.isLaunched()
do {
    let world = try Communicator.world
    let r = world.rank
    var floats: [Float] = [Float(r + 1), Float(10 * r), 0.5]
    try world.allreduceSum(&floats)
    var doubles: [Double] = [Double(r) + 0.25, Double(r * r)]
    try world.allreduceSum(&doubles)
    let gathered = try world.allgather([Float(r), Float(100 + r)])
    var broadcast: [Double] = [Double(r + 7)]
    try world.broadcast(&broadcast, root: 0)
    try world.barrier()
    func text<T>(_ v: [T]) -> String { v.map { "\($0)" }.joined(separator: ",") }
    print("rank=\(r) size=\(world.size) launched=\(launched) sumf=\(text(floats)) sumd=\(text(doubles)) gather=\(text(gathered)) bcast=\(text(broadcast))")
    try world.finalize()
} catch {
    FileHandle.standardError.write(Data("hz-mpi-check: \(error)\n".utf8))
    exit(1)
}
