// `hz-zoo --shard mpi`: under mpirun or srun every rank trains shard rank/size of the zoo into a
// shard file beside the output, then rank 0 joins them with ZooShardMerge into the output. The
// ranks agree on every outcome through collectives (an allreduce of failure counts, a broadcast
// of the merge's result), so one failing rank makes all of them exit 1 instead of leaving the
// others waiting in a barrier forever.
import ArgumentParser
import Foundation
import MPI
import Nets
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension ZooCommand {
    /// The shard file rank `index` of `count` writes beside `output`.
    static func mpiShardPath(output: String, index: Int, count: Int) -> String {
        "\(output).shard-\(index)-of-\(count).h5"
    }

    /// Trains this rank's shard, waits for all ranks, and on rank 0 merges. Reports its own
    /// errors (one line, prefixed by the rank when it is not 0) and throws `ExitCode`.
    func runOverMPI(spec: ZooSpec) throws {
        let output = outputOptions.output, force = outputOptions.force
        func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("hz-zoo: \(message)\n".utf8))
            return ExitCode.failure
        }
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
            if rank == 0 { _ = fail("\(output) exists; pass --force to replace it") }
            failed = true
        } else {
            do {
                let shard = try ZooShard(index: rank, count: size)
                let builder = ZooBuilder(spec: spec, output: Self.mpiShardPath(output: output, index: rank, count: size),
                                         threads: threadOptions.count, force: force, readers: .formats, shard: shard)
                if force || !builder.hasFinishedShard() {
                    let bar = ZooProgressBar(enabled: rank == 0 && !quiet && isatty(2) == 1)
                    defer { bar.finish() }
                    try builder.run { bar.handle($0) }
                }
            } catch {
                _ = fail("\(label)\(error)")
                failed = true
            }
        }
        var failures: [Double] = [failed ? 1 : 0]
        do { try world.allreduceSum(&failures) } catch { throw fail("\(label)\(error)") }
        if failures[0] > 0 {
            if rank == 0 {
                _ = fail("\(Int(failures[0])) of \(size) ranks failed; the finished shards are kept and the same command resumes")
            }
            throw ExitCode.failure
        }

        // 2. Rank 0 merges; every rank exits with the merge's outcome.
        var merged: [Double] = [0]
        var summary: ZooShardMerge.Summary?
        if rank == 0 {
            let shards = (0..<size).map { Self.mpiShardPath(output: output, index: $0, count: size) }
            do {
                summary = try ZooShardMerge.merge(shards: shards, output: output, force: force)
                // The shard files are this command's intermediates: gone once the zoo holds them.
                for path in shards { unlink(path) }
                merged[0] = 1
            } catch {
                _ = fail("merging the \(size) rank shards into \(output): \(error)")
            }
        }
        do { try world.broadcast(&merged, root: 0) } catch { throw fail("\(label)\(error)") }
        guard merged[0] == 1 else { throw ExitCode.failure }
        if let summary {
            if outputOptions.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else if !quiet {
                FileHandle.standardError.write(Data("hz-zoo: wrote \(summary.output): \(summary.models) models from \(size) MPI ranks, \(summary.checkpoints) checkpoints\n".utf8))
            }
        }
    }
}
