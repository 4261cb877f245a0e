// `hz-zoo --shard mpi`: the run itself (one shard per rank, the ranks' agreement, rank 0's merge)
// is Cluster's MPIZooRun; this prints its lines and summary and sets the exit status.
import ArgumentParser
import Cluster
import Foundation
import Nets
#if canImport(Glibc)
import Glibc
#endif

extension ZooCommand {
    /// Runs the zoo over MPI. Errors are reported as they happen (one line each, prefixed by the
    /// rank when it is not 0) and end in `ExitCode.failure` on every rank.
    func runOverMPI(spec: ZooSpec) throws {
        let run = MPIZooRun(spec: spec, output: outputOptions.output, threads: threadOptions.count,
                            force: outputOptions.force, readers: .formats)
        let merged: MPIZooRun.Merged?
        do {
            merged = try run.run(progress: { rank in
                let bar = ZooProgressBar(enabled: rank == 0 && !quiet && isatty(2) == 1)
                return ({ bar.handle($0) }, { bar.finish() })
            }, report: { message in
                FileHandle.standardError.write(Data("hz-zoo: \(message)\n".utf8))
            })
        } catch is MPIRunReported {
            throw ExitCode.failure
        }
        guard let merged else { return }
        if outputOptions.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(merged.summary), as: UTF8.self))
        } else if !quiet {
            FileHandle.standardError.write(Data("hz-zoo: wrote \(merged.summary.output): \(merged.summary.models) models from \(merged.ranks) MPI ranks, \(merged.summary.checkpoints) checkpoints\n".utf8))
        }
    }
}
