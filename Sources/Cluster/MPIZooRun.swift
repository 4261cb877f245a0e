// `hz-zoo --shard mpi` as a library run: under mpirun or srun every rank trains shard rank/size
// of the zoo into a shard file beside the output, then rank 0 joins them with ZooShardMerge into
// the output. The ranks agree on every outcome through collectives (an allreduce of failure
// counts, a broadcast of the merge's result), so one failing rank makes all of them fail instead
// of leaving the others waiting in a barrier forever.
import Foundation
import MPI
import Nets
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// One zoo trained as one shard per MPI rank and merged on rank 0.
public struct MPIZooRun: Sendable {
    public var spec: ZooSpec
    public var output: String
    public var threads: Int
    public var force: Bool
    public var readers: DatasetReaders

    public init(spec: ZooSpec, output: String, threads: Int, force: Bool, readers: DatasetReaders) {
        self.spec = spec; self.output = output; self.threads = threads; self.force = force; self.readers = readers
    }

    /// What rank 0 reports after the merge.
    public struct Merged: Sendable {
        public var summary: ZooShardMerge.Summary
        public var ranks: Int
    }

    /// The build progress a rank shows: an event handler and the call that ends the display.
    public typealias Progress = (handle: @Sendable (ZooBuildEvent) -> Void, finish: () -> Void)

    /// The shard file rank `index` of `count` writes beside `output`.
    public static func shardPath(output: String, index: Int, count: Int) -> String {
        "\(output).shard-\(index)-of-\(count).h5"
    }

    /// Trains this rank's shard, waits for all ranks, and on rank 0 merges. Every failure is
    /// passed to `report` as one line (prefixed "rank r: " on ranks other than 0) and then
    /// `MPIRunReported` is thrown on every rank. Returns the merge on rank 0, nil on the others.
    public func run(progress: (_ rank: Int) -> Progress, report: (String) -> Void) throws -> Merged? {
        func fail(_ message: String) -> MPIRunReported { report(message); return MPIRunReported() }
        guard MPILauncher.isLaunched() else {
            throw fail("--shard mpi needs an MPI launcher (mpirun or srun; no \(MPILauncher.variables.joined(separator: "/")) in the environment); use --shard I/N or --shard env for separate processes")
        }
        let world: Communicator
        do { world = try Communicator.world } catch { throw fail("\(error)") }
        defer { try? world.finalize() }
        let rank = world.rank, size = world.size
        let label = rank == 0 ? "" : "rank \(rank): "

        // 1. Each rank's shard (resumed, or skipped when a killed run had finished it).
        var failed = false
        if FileManager.default.fileExists(atPath: output) && !force {
            if rank == 0 { report("\(output) exists; pass --force to replace it") }
            failed = true
        } else {
            do {
                let shard = try ZooShard(index: rank, count: size)
                let builder = ZooBuilder(spec: spec, output: Self.shardPath(output: output, index: rank, count: size),
                                         threads: threads, force: force, readers: readers, shard: shard)
                if force || !builder.hasFinishedShard() {
                    let bar = progress(rank)
                    defer { bar.finish() }
                    _ = try builder.run(onEvent: bar.handle)
                }
            } catch {
                report("\(label)\(error)")
                failed = true
            }
        }
        var failures: [Double] = [failed ? 1 : 0]
        do { try world.allreduceSum(&failures) } catch { throw fail("\(label)\(error)") }
        if failures[0] > 0 {
            if rank == 0 {
                report("\(Int(failures[0])) of \(size) ranks failed; the finished shards are kept and the same command resumes")
            }
            throw MPIRunReported()
        }

        // 2. Rank 0 merges; every rank ends with the merge's outcome.
        var merged: [Double] = [0]
        var summary: ZooShardMerge.Summary?
        if rank == 0 {
            let shards = (0..<size).map { Self.shardPath(output: output, index: $0, count: size) }
            do {
                summary = try ZooShardMerge.merge(shards: shards, output: output, force: force)
                // The shard files are this run's intermediates: gone once the zoo holds them.
                for path in shards { unlink(path) }
                merged[0] = 1
            } catch {
                report("merging the \(size) rank shards into \(output): \(error)")
            }
        }
        do { try world.broadcast(&merged, root: 0) } catch { throw fail("\(label)\(error)") }
        guard merged[0] == 1 else { throw MPIRunReported() }
        return summary.map { Merged(summary: $0, ranks: size) }
    }
}
