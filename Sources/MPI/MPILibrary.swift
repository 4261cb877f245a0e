// OpenMPI loaded at run time (dlopen), so hyperzoo builds and runs on machines without MPI:
// only asking for MPI there fails, with one line saying what to install.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why MPI could not be used.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The OpenMPI entry points and predefined handles of one dlopen'ed libmpi.
/// OpenMPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are the addresses of its
/// global objects ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum: dlsym gives exactly those.
/// Not Sendable: held by `Communicator`, whose calls stay on one thread.
final class MPILibrary {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    typealias FlagFn = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    typealias CommIntFn = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias AllreduceFn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias AllgatherFn = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias BcastFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias CommFn = @convention(c) (Handle) -> Int32
    typealias VoidFn = @convention(c) () -> Int32
    typealias AbortFn = @convention(c) (Handle, Int32) -> Int32

    let initialize: InitFn
    let initialized: FlagFn
    let finalized: FlagFn
    let commRank: CommIntFn
    let commSize: CommIntFn
    let allreduce: AllreduceFn
    let allgather: AllgatherFn
    let bcast: BcastFn
    let barrier: CommFn
    let finalize: VoidFn
    let abort: AbortFn
    let commWorld: Handle
    let float: Handle
    let double: Handle
    let sum: Handle
    /// OpenMPI's MPI_IN_PLACE is the address 1 (a constant: bitPattern is nil only for 0).
    let inPlace = UnsafeRawPointer(bitPattern: 1)!

    /// The sonames tried, newest ABI first (OpenMPI 3.x-5.x are all libmpi.so.40).
    static let candidates = ["libmpi.so.40", "libmpi.so"]

    static let missingMessage = "MPI requested but libmpi could not be loaded (\(candidates.joined(separator: ", "))): "
        + "install openmpi-bin / libopenmpi-dev (Debian: apt-get install openmpi-bin libopenmpi-dev)"

    /// Loads libmpi from `candidates` (tests pass a name that does not exist).
    init(candidates: [String] = MPILibrary.candidates) throws {
        var handle: UnsafeMutableRawPointer?
        // RTLD_GLOBAL: OpenMPI's plugins (mca_*.so) resolve libmpi's symbols from the global scope.
        for name in candidates where handle == nil { handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) }
        guard let handle else {
            throw MPIError(Self.missingMessage)
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else {
                throw MPIError("libmpi has no symbol \(name): hyperzoo needs OpenMPI (install openmpi-bin / libopenmpi-dev)")
            }
            return address
        }
        func function<F>(_ name: String, _: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: F.self) }
        initialize = try function("MPI_Init", InitFn.self)
        initialized = try function("MPI_Initialized", FlagFn.self)
        finalized = try function("MPI_Finalized", FlagFn.self)
        commRank = try function("MPI_Comm_rank", CommIntFn.self)
        commSize = try function("MPI_Comm_size", CommIntFn.self)
        allreduce = try function("MPI_Allreduce", AllreduceFn.self)
        allgather = try function("MPI_Allgather", AllgatherFn.self)
        bcast = try function("MPI_Bcast", BcastFn.self)
        barrier = try function("MPI_Barrier", CommFn.self)
        finalize = try function("MPI_Finalize", VoidFn.self)
        abort = try function("MPI_Abort", AbortFn.self)
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        sum = try symbol("ompi_mpi_op_sum")
    }

    /// Turns a non-zero MPI return code into an error naming the call.
    func check(_ code: Int32, _ call: String) throws {
        guard code == 0 else { throw MPIError("\(call) failed with MPI error code \(code)") }
    }
}
