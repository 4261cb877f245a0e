// The ranks of a data-parallel run as the trainer needs them: who am I, how many are we, and the
// collectives. HyperRep does not import MPI (the module graph keeps it a compute room); hz-train
// adapts MPI's `Communicator` to this protocol.

/// A group of processes training one model together. Every rank calls every collective in the
/// same order with equally long buffers.
public protocol TrainingGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sums `values` over all ranks in place.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Sums `values` over all ranks in place (losses and metrics, summed in double precision).
    func allreduceSum(_ values: inout [Double]) throws
    /// Every rank's equally long `values`, concatenated in rank order.
    func allgather(_ values: UnsafeBufferPointer<Float>) throws -> [Float]
    func barrier() throws
}

/// This process alone: rank 0 of 1, every collective the identity. The one-process training
/// step is the data-parallel step over this group (TrainingStep.swift).
public final class SingleProcessGroup: TrainingGroup, Sendable {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ values: inout [Double]) {}
    public func allgather(_ values: UnsafeBufferPointer<Float>) -> [Float] { Array(values) }
    public func barrier() {}
}
