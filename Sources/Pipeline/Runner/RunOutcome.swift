// What a finished pipeline run has to show: its summary as JSON (hz-pipeline run --json), the
// outputs no stage reads (what the user came for) and the first evaluation report's summary.
import Foundation
import ZooStore

extension RunSummary {
    /// `{run, folder, lock, stages: {name: {status, ...}}}`: one object per run of hz-pipeline --json.
    public func json(plan: PipelinePlan) -> JSONValue {
        var stages: [String: JSONValue] = [:]
        for (name, outcome) in outcomes {
            switch outcome {
            case .ran(let seconds): stages[name] = .object(["status": "ran", "seconds": .number((seconds * 1000).rounded() / 1000)])
            case .cached: stages[name] = .object(["status": "cached"])
            case .wouldRun(let reason): stages[name] = .object(["status": "would-run", "reason": .string(reason)])
            case .failed(let status, let log): stages[name] = .object(["status": "failed", "exit": .number(Double(status)), "log": .string(log)])
            case .notRun(let by): stages[name] = .object(["status": "not-run", "blocked_by": .string(by)])
            case .submitted(let job): stages[name] = .object(["status": "submitted", "slurm_job": .string(job)])
            }
        }
        return .object(["run": .string(plan.run.id), "folder": .string(plan.run.folder), "lock": .string(lockPath), "stages": .object(stages)])
    }
}

extension PipelinePlan {
    /// Outputs no other stage reads (report, archive, ...), as (stage, output name, path), in stage
    /// order and, within a stage, by output name; streamed outputs ("-") are left out.
    public var finalOutputs: [(stage: String, name: String, path: String)] {
        var read = Set<String>()
        for stage in stages {
            for input in stage.inputs.values { if case .stage(let s, let o, _) = input { read.insert("\(s).\(o)") } }
        }
        return stages.flatMap { stage in
            stage.outputs.sorted { $0.key < $1.key }.filter { $0.value != "-" && !read.contains("\(stage.spec.index).\($0.key)") }
                .map { (stage.name, $0.key, $0.value) }
        }
    }
}

/// The plain-language summary of an evaluation report among a run's results.
public enum ReportSummary {
    /// The `summary` sentences of the first report.json among `paths` (a report.html's or
    /// report.json's folder, or a report folder), after a line "outcome (<report.json>):"; empty
    /// when there is none. Files over 64 MiB or of another kind are skipped.
    public static func lines(resultPaths paths: [String]) -> [String] {
        for path in paths {
            let folder = path.hasSuffix(".html") || path.hasSuffix(".json") ? (path as NSString).deletingLastPathComponent : path
            let json = folder + "/report.json"
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: json),
                  (attributes[.type] as? FileAttributeType) == .typeRegular,
                  let size = attributes[.size] as? Int, size < 64 << 20,
                  let data = FileManager.default.contents(atPath: json),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let summary = object["summary"] as? [String], !summary.isEmpty else { continue }
            return ["outcome (\(json)):"] + summary.map { "  " + $0 }
        }
        return []
    }
}
