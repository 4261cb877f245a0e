// `--shard` of hz-zoo and hz-eval as a typed value: I/N, env (a Slurm job array) or mpi.
import ArgumentParser
import ZooStore

/// Which part of the work this process does. Parsed by the argument parser (`transform:`), which
/// prints the error a parse throws, so ZooShard's own messages ("shard index 3 must be 0...2")
/// still reach the user; `env` is only read when the command runs (Slurm sets it per array task).
enum ShardChoice: Equatable {
    /// `I/N`.
    case fixed(ZooShard)
    /// `env`: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT.
    case slurmArray
    /// `mpi` (hz-zoo only): one shard per MPI rank.
    case mpi

    static func parse(_ text: String, allowingMPI: Bool) throws -> ShardChoice {
        if text == "env" { return .slurmArray }
        if allowingMPI, text == "mpi" { return .mpi }
        do { return .fixed(try ZooShard.parse(text, environment: [:])) } catch let e as ZooStoreError { throw ValidationError(e.message) }
    }

    /// The shard this process works on (`env` read from `environment`); nil for `mpi`.
    func resolved(environment: [String: String]) throws -> ZooShard? {
        switch self {
        case .fixed(let shard): return shard
        case .slurmArray: return try ZooShard.parse("env", environment: environment)
        case .mpi: return nil
        }
    }
}
