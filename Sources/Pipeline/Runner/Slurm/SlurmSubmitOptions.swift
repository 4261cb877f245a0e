// What `hz-pipeline run --executor slurm` asks of Slurm: the sbatch settings every job gets, the
// stages split into job arrays, and whether the call stays until the jobs ended.

/// sbatch settings and the shape of the submission.
public struct SlurmSubmitOptions: Sendable {
    public var partition: String?
    /// sbatch --time (e.g. 2:00:00).
    public var time: String?
    public var cpusPerTask: Int?
    /// More sbatch arguments, given to every job as they are (e.g. --account=x, --mem=4G).
    public var extraArguments: [String]
    /// Stage name → shard count, for stages whose operator takes --shard; "*" means every such stage.
    public var shards: [String: Int]
    /// Stay until every job ended, then record and report like the local executor.
    public var wait: Bool
    /// Seconds between two looks at the queue while waiting.
    public var pollSeconds: Double
    /// The command that writes a stage's `${upstream_lock}` from its recipe when its job starts
    /// (`hz-pipeline slurm-upstream-lock`; RECIPE and LOCK are appended). Without it, a stage
    /// reading `${upstream_lock}` whose upstream stages are submitted with it is refused.
    public var upstreamLockCommand: [String]?

    public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil, extraArguments: [String] = [],
                shards: [String: Int] = [:], wait: Bool = false, pollSeconds: Double = 2, upstreamLockCommand: [String]? = nil) {
        self.partition = partition; self.time = time; self.cpusPerTask = cpusPerTask; self.extraArguments = extraArguments
        self.shards = shards; self.wait = wait; self.pollSeconds = pollSeconds; self.upstreamLockCommand = upstreamLockCommand
    }
}
