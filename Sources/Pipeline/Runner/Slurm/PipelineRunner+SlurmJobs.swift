// One submission's jobs on disk and in the queue: each job's script in logs/ (SlurmJobScript
// renders it), its sbatch call, and the files the job reads and writes (its exit status, Slurm's
// output, the recipe a stage's job computes its `${upstream_lock}` from; writeUpstreamLock, shared
// with the local executor, is in StageLaunch.swift).
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension PipelineRunner {
    /// The file stage `s`'s job script writes its exit status into.
    func exitFile(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).exit" }

    /// Slurm's own output for stage `s`'s job.
    func slurmLog(_ s: Int) -> String { plan.logFolder + "/\(plan.stages[s].name).slurm.out" }

    private func jobName(_ stage: String) -> String { "hz-\(plan.spec.name)-\(stage)" }

    /// The arguments every job gets.
    private func sbatchArguments(_ jobName: String, output: String, after: [String], options: SlurmSubmitOptions) -> [String] {
        var arguments = ["--job-name=\(jobName)", "--chdir=\(FileManager.default.currentDirectoryPath)", "--output=\(output)",
                         "--kill-on-invalid-dep=yes"]
        if !after.isEmpty { arguments.append("--dependency=afterok:" + after.joined(separator: ":")) }
        if let partition = options.partition { arguments.append("--partition=\(partition)") }
        if let time = options.time { arguments.append("--time=\(time)") }
        if let cpus = options.cpusPerTask { arguments.append("--cpus-per-task=\(cpus)") }
        return arguments + options.extraArguments
    }

    /// One job for unit `u` (a stage, or a streamed chain inside one job).
    /// `prepare`: a command to run before the stage's own (its upstream lock), by stage.
    func submitJob(_ u: Int, after: [String], prepare: [Int: [String]], slurm: SlurmClient, options: SlurmSubmitOptions) throws -> String {
        let first = units[u][0]
        let script = plan.logFolder + "/\(plan.stages[first].name).sbatch"
        let text = SlurmJobScript.stages(units[u].map { s in
            (plan.stages[s].name, Self.resumingIfInterrupted(plan.stages[s]), plan.logPath(plan.stages[s]), exitFile(s), prepare[s])
        }, pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder)
        try writeFileAtomically(text, to: script)
        return try slurm.submit(script: script, arguments: sbatchArguments(jobName(plan.stages[first].name), output: slurmLog(first), after: after, options: options))
    }

    /// A job array of `shards` tasks (the stage's command on its shard) and the merge job.
    func submitSharded(_ s: Int, shards: Int, after: [String], slurm: SlurmClient, options: SlurmSubmitOptions) throws -> (array: String, merge: String) {
        let stage = plan.stages[s]
        let command = Self.resumingIfInterrupted(stage)
        let output = stage.outputs.values.first { $0 != "-" }!
        guard let outputIndex = command.lastIndex(of: output) else {
            throw SpecError(file: plan.spec.file, path: stage.spec.jsonPath, message: "stage '\(stage.name)': its output \(output) is not on its command line, so it cannot be sharded")
        }
        let shardFolder = stageFolder(s) + "/.shards"
        let arrayScript = plan.logFolder + "/\(stage.name).shards.sbatch"
        try writeFileAtomically(SlurmJobScript.shard(stage: stage.name, command: command, outputIndex: outputIndex, shardFolder: shardFolder,
                                                  logFolder: plan.logFolder, pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder),
                             to: arrayScript)
        for i in 0..<shards { unlink(plan.logFolder + "/\(stage.name).shard-\(i).exit") }
        let array = try slurm.submit(script: arrayScript, arguments: ["--array=0-\(shards - 1)"] + sbatchArguments(
            jobName(stage.name), output: plan.logFolder + "/\(stage.name).shard-%a.slurm.out", after: after, options: options))
        let merge = [Self.mergeTool(for: stage), "merge"] + (0..<shards).map { "\(shardFolder)/shard-\($0).h5" } + ["-o", output]
        let mergeScript = plan.logFolder + "/\(stage.name).sbatch"
        try writeFileAtomically(SlurmJobScript.merge(stage: stage.name, command: merge, shardFolder: shardFolder, log: plan.logPath(stage),
                                                  exitFile: exitFile(s), pipeline: plan.spec.name, run: plan.run.id, runFolder: plan.run.folder),
                             to: mergeScript)
        var mergeOptions = options
        mergeOptions.cpusPerTask = nil  // the merge copies rows: one CPU
        do {
            let merge = try slurm.submit(script: mergeScript, arguments: sbatchArguments(jobName(stage.name) + "-merge", output: slurmLog(s), after: [array], options: mergeOptions))
            return (array, merge)
        } catch {
            slurm.cancel([array])
            throw error
        }
    }

    /// For a stage whose upstream stages are submitted with it: writes the recipe of its
    /// `${upstream_lock}` into logs/ and returns the command its job runs first to compute it.
    func writeUpstreamLockRecipe(_ s: Int, submitted: Set<Int>, options: SlurmSubmitOptions) throws -> [String] {
        let recipe = plan.logFolder + "/\(plan.stages[s].name).upstream.json"
        try writeFileAtomically(UpstreamLockRecipe.make(plan: plan, lock: lock, stage: s, submitted: submitted).pretty, to: recipe)
        return options.upstreamLockCommand! + [recipe, PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name)]
    }
}
