// What cannot go to Slurm is refused before anything is queued: a --shards request that names
// no stage or a stage that cannot be split, and a stage reading `${upstream_lock}` whose upstream
// stages are submitted with it when there is no command to compute it in its job.
import Foundation

extension PipelineRunner {
    /// Returns the shard count of each stage that becomes a job array, and the stages whose
    /// `${upstream_lock}` their job writes when it starts; every problem found is thrown at once.
    func checkSlurmSubmission(_ toSubmit: [Int], submitted: Set<Int>, options: SlurmSubmitOptions) throws -> ([Int: Int], Set<Int>) {
        var problems: [SpecError] = []
        let counts = shardCounts(options.shards, problems: &problems)
        let needsRecipe = stagesNeedingRecipe(toSubmit, submitted: submitted, shardCounts: counts, options: options, problems: &problems)
        if !problems.isEmpty { throw SpecErrors(problems) }
        return (counts, needsRecipe)
    }

    /// `--shards`: stage → shard count, for each named stage that can be split into a job array.
    private func shardCounts(_ shards: [String: Int], problems: inout [SpecError]) -> [Int: Int] {
        func fail(_ message: String) { problems.append(SpecError(file: plan.spec.file, path: "", message: message)) }
        var counts: [Int: Int] = [:]
        for (name, n) in shards.sorted(by: { $0.key < $1.key }) {
            let matching = name == "*" ? plan.stages.indices.filter { plan.stages[$0].description.options["shard"] != nil }
                                       : plan.stages.indices.filter { plan.stages[$0].name == name }
            if matching.isEmpty {
                fail(name == "*" ? "--shards \(n): no stage's operator takes --shard" : "--shards \(name)=\(n): no such stage (stages: \(plan.stages.map(\.name).joined(separator: ", ")))")
            }
            guard n >= 1, n <= 10_000 else { fail("--shards \(name)=\(n): the shard count must be 1...10000"); continue }
            for s in matching {
                let stage = plan.stages[s]
                let files = stage.outputs.filter { $0.value != "-" }
                if stage.description.options["shard"] == nil {
                    fail("--shards \(stage.name)=\(n): operator '\(stage.spec.operatorName)' has no --shard option, so stage '\(stage.name)' cannot be split into a job array")
                } else if stage.params["shard"] != nil || stage.spec.args.contains(where: { $0.hasPrefix("--shard") }) {
                    fail("--shards \(stage.name)=\(n): stage '\(stage.name)' already sets --shard itself")
                } else if files.count != 1 || units[unitOf[s]].count > 1 {
                    fail("--shards \(stage.name)=\(n): stage '\(stage.name)' must write exactly one file and not stream, to be sharded")
                } else if !FileManager.default.isExecutableFile(atPath: Self.mergeTool(for: stage)) {
                    fail("--shards \(stage.name)=\(n): the merge tool \(Self.mergeTool(for: stage)) is missing (it ships beside \(stage.description.executable))")
                } else {
                    counts[s] = n
                }
            }
        }
        return counts
    }

    /// The submitted stages that read `${upstream_lock}` while an ancestor is submitted with them.
    private func stagesNeedingRecipe(_ toSubmit: [Int], submitted: Set<Int>, shardCounts: [Int: Int], options: SlurmSubmitOptions,
                                     problems: inout [SpecError]) -> Set<Int> {
        var needsRecipe = Set<Int>()
        for u in toSubmit {
            for s in units[u] {
                // ${upstream_lock} lists the upstream stages' lock entries, which exist only once
                // their jobs ended: the job computes them from a recipe when it starts.
                let upstreamLock = PipelinePlan.upstreamLockPath(run: plan.run, stage: plan.stages[s].name)
                guard plan.stages[s].commandLine.contains(where: { $0.contains(upstreamLock) }),
                      plan.ancestors(of: s).contains(where: submitted.contains) else { continue }
                if options.upstreamLockCommand == nil || shardCounts[s] != nil {
                    problems.append(SpecError(file: plan.spec.file, path: "", message: "stage '\(plan.stages[s].name)' reads ${upstream_lock}, which needs its upstream stages' lock entries, but they are being submitted too; submit again once they finished (hz-pipeline status shows when), or run it with --executor local"))
                } else {
                    needsRecipe.insert(s)
                }
            }
        }
        return needsRecipe
    }

    /// `hyperzoo` beside the stage's executable: the shard merge (`hyperzoo merge`).
    static func mergeTool(for stage: PlannedStage) -> String {
        URL(fileURLWithPath: stage.description.executable).deletingLastPathComponent().appendingPathComponent("hyperzoo").path
    }
}
