// A small, h5py-like surface over MPI_COMM_WORLD: rank, size and the four collectives that
// data-parallel training needs.
import Foundation

/// One element type MPI can reduce: Float (MPI_FLOAT) or Double (MPI_DOUBLE).
public protocol MPIScalar: BinaryFloatingPoint {}
extension Float: MPIScalar {}
extension Double: MPIScalar {}

/// MPI_COMM_WORLD of this process. Not Sendable: MPI_Init asks only for MPI_THREAD_SINGLE, so only the
/// thread that initialised MPI may call it (hz-train and hz-zoo call it from their main thread).
public final class Communicator {
    let library: MPILibrary
    let handle: MPILibrary.Handle
    public let rank: Int
    public let size: Int

    /// The one world communicator; read and written only holding `lock`.
    private nonisolated(unsafe) static var cached: Communicator?
    private static let lock = NSLock()

    /// MPI_COMM_WORLD, initialising MPI on first use. Throws a one-line error naming what to
    /// install when libmpi is absent.
    public static var world: Communicator {
        get throws {
            lock.lock(); defer { lock.unlock() }
            if let cached { return cached }
            let library = try MPILibrary()
            var flag: Int32 = 0
            try library.check(library.initialized(&flag), "MPI_Initialized")
            if flag == 0 { try library.check(library.initialize(nil, nil), "MPI_Init") }
            let world = try Communicator(library: library, handle: library.commWorld)
            cached = world
            return world
        }
    }

    init(library: MPILibrary, handle: MPILibrary.Handle) throws {
        self.library = library
        self.handle = handle
        var value: Int32 = 0
        try library.check(library.commRank(handle, &value), "MPI_Comm_rank")
        rank = Int(value)
        try library.check(library.commSize(handle, &value), "MPI_Comm_size")
        size = Int(value)
    }

    private func datatype<T: MPIScalar>(_: T.Type) -> MPILibrary.Handle {
        T.self == Float.self ? library.float : library.double
    }

    /// MPI counts are Int32: refuse larger buffers instead of truncating.
    private func count(_ n: Int, _ call: String) throws -> Int32 {
        guard let c = Int32(exactly: n) else { throw MPIError("\(call): \(n) elements exceed MPI's Int32 count") }
        return c
    }

    /// Sums `values` over all ranks, in place: afterwards every rank holds the same sum.
    public func allreduceSum<T: MPIScalar>(_ values: inout [T]) throws {
        let n = try count(values.count, "MPI_Allreduce")
        let type = datatype(T.self)
        try values.withUnsafeMutableBytes { buffer in
            try library.check(library.allreduce(library.inPlace, buffer.baseAddress, n, type, library.sum, handle), "MPI_Allreduce")
        }
    }

    /// Concatenates every rank's equally long `values` in rank order.
    public func allgather<T: MPIScalar>(_ values: [T]) throws -> [T] {
        let n = try count(values.count, "MPI_Allgather")
        let total = values.count.multipliedReportingOverflow(by: size)
        guard !total.overflow else { throw MPIError("MPI_Allgather: \(values.count) × \(size) overflows") }
        var result = [T](repeating: 0, count: total.partialValue)
        let type = datatype(T.self)
        try values.withUnsafeBytes { send in
            try result.withUnsafeMutableBytes { receive in
                try library.check(library.allgather(send.baseAddress, n, type, receive.baseAddress, n, type, handle), "MPI_Allgather")
            }
        }
        return result
    }

    /// Overwrites `values` on every rank with rank `root`'s (all ranks pass the same count).
    public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        let n = try count(values.count, "MPI_Bcast")
        let type = datatype(T.self)
        try values.withUnsafeMutableBytes { buffer in
            try library.check(library.bcast(buffer.baseAddress, n, type, Int32(root), handle), "MPI_Bcast")
        }
    }

    /// Waits until every rank has arrived.
    public func barrier() throws { try library.check(library.barrier(handle), "MPI_Barrier") }

    /// Ends every rank of the job with exit status `code` (MPI_Abort): what a rank that failed
    /// calls so that the others, waiting in a collective, do not hang.
    public func abort(code: Int32) -> Never {
        _ = library.abort(handle, code)
        exit(code)
    }

    /// Ends MPI for this process (once; later calls do nothing).
    public func finalize() throws {
        var flag: Int32 = 0
        try library.check(library.finalized(&flag), "MPI_Finalized")
        if flag == 0 { try library.check(library.finalize(), "MPI_Finalize") }
    }
}
