// <run>/.hyperzoo-slurm.json: the jobs one `hz-pipeline run --executor slurm` submitted, so a
// later call (a second submit, `hz-pipeline status`, a local run) knows that stages are queued
// in Slurm, refuses to start them twice while any is pending or running, and, once they all
// ended, reads each job's exit status file and records the finished stages in the lock. Written
// after every submission, so even a submit that died half way leaves the ids of what it queued.
import Foundation
import ZooStore

/// One submission's jobs.
public struct SlurmRecord: Sendable, Equatable {
    public static let fileName = ".hyperzoo-slurm.json"
    public static let format = "hyperzoo.pipeline-slurm"

    /// A stage's jobs: the job running it (a chain's stages share one), or for a sharded stage
    /// the job array of its shards and the merge job (`job`).
    public struct Stage: Sendable, Equatable {
        public var job: String
        /// The job array of a sharded stage, and its task count.
        public var shardJob: String?
        public var shards: Int?
        /// The cache key the stage was submitted with; nil when an input was still being built.
        public var key: String?
        /// The file the job script writes the stage's exit status into when it ends.
        public var exitFile: String
        /// Slurm's own output for the job (time limit, cancellation, node failure messages).
        public var slurmLog: String

        public init(job: String, shardJob: String? = nil, shards: Int? = nil, key: String?, exitFile: String, slurmLog: String) {
            self.job = job; self.shardJob = shardJob; self.shards = shards; self.key = key; self.exitFile = exitFile; self.slurmLog = slurmLog
        }

        /// Every job id of the stage.
        public var jobs: [String] { [shardJob, job].compactMap { $0 } }
    }

    public var submitted: String
    public var stages: [String: Stage]

    public init(submitted: String, stages: [String: Stage] = [:]) {
        self.submitted = submitted; self.stages = stages
    }

    /// Every job id, sorted numerically, without repeats.
    public var jobs: [String] { Array(Set(stages.values.flatMap(\.jobs))).sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) } }

    public static func path(folder: String) -> String { folder + "/" + fileName }

    /// The record of `folder`, nil when there is none; an unreadable one is an error.
    public static func read(folder: String) throws -> SlurmRecord? {
        let path = path(folder: folder)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let node = try JSONValue.read(path: path)
        guard node["format"]?.stringValue == format, let stages = node["stages"]?.objectValue else {
            throw SpecError(file: path, path: "format", message: "expected a \"\(format)\" record of submitted Slurm jobs")
        }
        var record = SlurmRecord(submitted: node["submitted"]?.stringValue ?? "")
        for (name, stage) in stages {
            guard let job = stage["job"]?.stringValue, let exitFile = stage["exit_file"]?.stringValue else {
                throw SpecError(file: path, path: "stages.\(name)", message: "expected \"job\" and \"exit_file\"")
            }
            record.stages[name] = Stage(job: job, shardJob: stage["shard_job"]?.stringValue, shards: stage["shards"]?.intValue,
                                        key: stage["key"]?.stringValue, exitFile: exitFile, slurmLog: stage["slurm_log"]?.stringValue ?? "")
        }
        return record
    }

    public func write(folder: String) throws {
        var stages: [String: JSONValue] = [:]
        for (name, s) in self.stages {
            var o: [String: JSONValue] = ["job": .string(s.job), "exit_file": .string(s.exitFile), "slurm_log": .string(s.slurmLog)]
            if let shardJob = s.shardJob { o["shard_job"] = .string(shardJob) }
            if let shards = s.shards { o["shards"] = .number(Double(shards)) }
            if let key = s.key { o["key"] = .string(key) }
            stages[name] = .object(o)
        }
        let node = JSONValue.object(["format": .string(Self.format), "format_version": 1, "submitted": .string(submitted),
                                    "stages": .object(stages)])
        try writeFileAtomically(node.pretty, to: Self.path(folder: folder))
    }

    /// The exit status a job script wrote, nil when it has not written one (still running, or
    /// ended before it could: cancelled, timed out, node failure).
    static func exitStatus(_ path: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 64 else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
