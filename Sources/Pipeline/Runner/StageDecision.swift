// Whether a stage must run: its cache key (operator, tool digest, params, input digests), why
// its lock entry or outputs are stale, and whether the result cache holds its result already.
import Foundation
import ZooStore

extension PipelineRunner {
    /// The result cache: when every stale stage of unit `u` has a stored result for its key, they
    /// are restored (dry run: only recorded in the in-memory lock) instead of run. Returns the
    /// hits, empty when the unit must run (or is forced).
    func restoreFromResultCache(_ u: Int, stale: [Int], keys: [Int: String], summary: inout RunSummary) throws -> [Int: (record: ResultCache.Record, location: String)] {
        guard !units[u].contains(where: { options.force.contains(plan.stages[$0].name) }) else { return [:] }
        var hits: [Int: (record: ResultCache.Record, location: String)] = [:]
        for s in stale { if let hit = cache.lookup(stage: plan.stages[s].name, key: keys[s]!) { hits[s] = hit } }
        guard hits.count == stale.count else { return [:] }
        for s in stale {
            let name = plan.stages[s].name
            if options.dryRun {
                lock.stages[name] = hits[s]!.record.entry.withOutputs(in: stageFolder(s))
            } else {
                try clearStageFolder(s)
                lock.stages[name] = try cache.restore(hits[s]!, stage: name, into: stageFolder(s))
                folderState?.created.insert(name)
            }
            summary.restored.append(name)
        }
        if !options.dryRun {
            try lock.write(to: plan.lockPath)
            try folderState?.save()
            digester.save()
        }
        return hits
    }

    /// The stage's cache key and input digests. The third value is set when an input is not known
    /// yet (dry run: the stage producing it would run first).
    func cacheKey(_ s: Int, keys: [Int: String], changed: Set<Int>) throws -> (String, [String: String], String?) {
        let stage = plan.stages[s]
        var digests: [String: String] = [:]
        var pending: String?
        for (name, input) in stage.inputs.sorted(by: { $0.key < $1.key }) {
            switch input {
            case .file(let path):
                guard let digest = try digester.digest(of: path) else {
                    throw SpecError(file: path, path: "", message: "input '\(name)' of stage '\(stage.name)' disappeared")
                }
                digests[name] = digest
            case .stage(let producer, let output, let path):
                if path == "-" {
                    digests[name] = "stream:" + (keys[producer] ?? "")
                } else if changed.contains(producer) {
                    pending = pending ?? "input '\(name)' will be rebuilt by stage '\(plan.stages[producer].name)'"
                    digests[name] = "pending"
                } else {
                    digests[name] = lock.stages[plan.stages[producer].name]?.outputs[output]?.digest ?? "missing"
                }
            }
        }
        let key = LockEntry.key(operatorName: stage.spec.operatorName, tool: stage.description.toolDigest, params: stage.params,
                                inputs: digests, outputNames: stage.spec.outputs, args: stage.spec.args)
        return (key, digests, pending)
    }

    /// Why a stage must run, or nil when its lock entry and outputs are current.
    func staleness(_ s: Int, key: String, inputDigests: [String: String]) -> String? {
        let stage = plan.stages[s]
        if options.force.contains(stage.name) { return "forced with --force" }
        guard let entry = lock.stages[stage.name] else { return "no previous run in \(plan.lockPath)" }
        if entry.key != key {
            var why: [String] = []
            if entry.tool != stage.description.toolDigest { why.append("the options of \(stage.description.executable.split(separator: "/").last ?? "") changed") }
            let keys = Set(entry.params.keys).union(stage.params.keys).sorted()
            for k in keys where entry.params[k] != stage.params[k] {
                why.append("param \(k) \(entry.params[k]?.canonical ?? "unset") → \(stage.params[k]?.canonical ?? "unset")")
            }
            for k in Set(entry.inputs.keys).union(inputDigests.keys).sorted() where entry.inputs[k] != inputDigests[k] {
                why.append("input '\(k)' changed")
            }
            if entry.args != stage.spec.args { why.append("args changed") }
            return why.isEmpty ? "its definition changed" : why.joined(separator: ", ")
        }
        for (name, path) in stage.outputs.sorted(by: { $0.key < $1.key }) where path != "-" {
            guard let recorded = entry.outputs[name] else { return "output '\(name)' not recorded" }
            guard let current = (try? digester.digest(of: path)) ?? nil else { return "output '\(name)' is missing (\(path))" }
            if current != recorded.digest { return "output '\(name)' was modified since it was made" }
        }
        return nil
    }
}
