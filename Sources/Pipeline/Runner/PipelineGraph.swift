// Printing a plan's DAG, as text for people and as Graphviz dot.

/// Renders plans.
public enum PipelineGraph {
    /// One line per stage in execution order: `3. train  (hz-train)  ← zoo.output`.
    public static func text(_ plan: PipelinePlan) -> String {
        var out = "\(plan.spec.name): \(plan.stages.count) stages, run folder \(plan.run.folder)\n"
        for (position, i) in plan.order.enumerated() {
            let stage = plan.stages[i]
            let reads = stage.inputs.sorted { $0.key < $1.key }.map { key, input -> String in
                let slot = stage.description.argument(named: key)?.kind == .positional ? "<\(key)>" : "--\(key)"
                switch input {
                case .stage(let s, let output, let path): return "\(plan.stages[s].name).\(output)\(path == "-" ? " (pipe)" : "") as \(slot)"
                case .file(let path): return "\(path) as \(slot)"
                }
            }
            let command = ([stage.description.executable.split(separator: "/").last.map(String.init) ?? ""] + stage.description.subcommands).joined(separator: " ")
            out += "\(position + 1). \(stage.name)  (\(command))"
            out += reads.isEmpty ? "\n" : "  ← \(reads.joined(separator: ", "))\n"
        }
        return out
    }

    /// A `digraph` with one node per stage and one edge per input reference.
    public static func dot(_ plan: PipelinePlan) -> String {
        var out = "digraph \"\(plan.spec.name)\" {\n  rankdir=LR;\n"
        for stage in plan.stages { out += "  \"\(stage.name)\" [shape=box, label=\"\(stage.name)\\n\(stage.spec.operatorName)\"];\n" }
        for stage in plan.stages {
            for (key, input) in stage.inputs.sorted(by: { $0.key < $1.key }) {
                if case .stage(let s, let output, let path) = input {
                    out += "  \"\(plan.stages[s].name)\" -> \"\(stage.name)\" [label=\"\(output)→\(key)\"\(path == "-" ? ", style=bold" : "")];\n"
                }
            }
        }
        return out + "}\n"
    }
}
