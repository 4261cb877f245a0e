// What hz-eval and hyperzoo merge-eval print: the recipe (--show-recipe), the per-population
// summary of a report (or --json), and what a shard's part file holds.
import Foundation
import HyperRep
import ZooStore

enum EvalPrinting {
    /// Diagnostics warnings on stderr, then per population its mean accuracy at each epoch, the
    /// summary lines and the report's paths (or, with `json`, ``JSONSummary`` on stdout).
    static func printReport(_ report: EvaluationReport, folder: String, json: Bool, tool: String) {
        for d in report.diagnostics ?? [] { for w in d.warnings { FileHandle.standardError.write(Data("\(tool): warning: \(w)\n".utf8)) } }
        if json {
            var summary: [String: [String: Double]] = [:]
            for p in report.populations { summary[p.name] = Dictionary(uniqueKeysWithValues: p.epochs.map { (String($0.epoch), $0.accuracy.mean) }) }
            if let data = try? EvaluationReport.jsonEncoder().encode(JSONSummary(report: folder + "/report.json", meanAccuracy: summary)) {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        } else {
            for p in report.populations {
                let cells = p.epochs.map { "ep\($0.epoch) \(String(format: "%.2f", $0.accuracy.mean * 100))%" }.joined(separator: "  ")
                print("\(p.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(cells)")
            }
            for line in report.summary ?? [] where !line.hasPrefix("Warning: ") { print(line) }
            print("\(folder)/report.json, \(folder)/report.html")
        }
    }

    /// The part file written and the members it holds.
    static func printPart(_ part: EvaluationPart, path: String, json: Bool) {
        if json {
            let object: JSONValue = .object([
                "part": .string(path), "index": .number(Double(part.index)), "count": .number(Double(part.count)),
                "total_members": .number(Double(part.totalMembers)), "members": .array(part.members.map { .number(Double($0)) }),
                "digest": .string(part.digest),
            ])
            print(object.jsonText)
        } else {
            print("\(path): part \(part.index) of \(part.count), members \(part.members.map(String.init).joined(separator: ",")) of \(part.totalMembers); join the parts with hyperzoo merge-eval")
        }
    }

    static func printRecipe(_ recipe: ZooRecipe, json: Bool) {
        func fields(_ r: MemberRecipe) -> [(String, String)] {
            let o = r.training.optimizer
            return [("architecture", r.architecture.name), ("activation", r.architecture.activation.rawValue),
                    ("dropout", String(r.architecture.dropout)), ("initializer", r.initializer.rawValue),
                    ("optimizer", o.kind.rawValue), ("lr", String(o.learningRate)), ("weight_decay", String(o.weightDecay)),
                    ("batch_size", String(r.training.batchSize))]
        }
        let shared: [(String, String)] = [
            ("source", recipe.source), ("dataset", recipe.dataset.name), ("dataset_path", recipe.dataset.directory ?? "default"),
            ("normalization", recipe.dataset.normalization.map { "\($0.mean),\($0.std)" } ?? "zoo"),
        ]
        let warning = "the zoo mixes \(recipe.distinctRecipes.count) recipes; each model is fine-tuned with its own (B_T member i with training model i's, a sampled model with its nearest training model's)"
        if recipe.isMixed { FileHandle.standardError.write(Data("hz-eval: warning: \(warning)\n".utf8)) }
        if json {
            // One recipe: its fields at the top level. Mixed: the fields that differ say "mixed",
            // and `recipes` lists each distinct recipe with its models.
            var object: [String: JSONValue] = [:]
            for (k, v) in shared { object[k] = .string(v) }
            let all = recipe.distinctRecipes.map { fields($0.recipe) }
            for (i, (k, v)) in all[0].enumerated() { object[k] = .string(all.allSatisfy { $0[i].1 == v } ? v : "mixed") }
            object["mixed"] = .bool(recipe.isMixed)
            object["recipes"] = .array(recipe.distinctRecipes.map { entry in
                var o = Dictionary(uniqueKeysWithValues: fields(entry.recipe).map { ($0.0, JSONValue.string($0.1)) })
                o["models"] = .array(entry.models.map { .string($0) })
                return .object(o)
            })
            print(JSONValue.object(object).jsonText)
        } else {
            for (k, v) in shared { print("\(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v)") }
            for (n, entry) in recipe.distinctRecipes.enumerated() {
                if recipe.isMixed { print("recipe \(n + 1) (\(entry.models.count) models: \(entry.models.prefix(8).joined(separator: ", "))\(entry.models.count > 8 ? ", ..." : ""))") }
                for (k, v) in fields(entry.recipe) { print("\(recipe.isMixed ? "  " : "")\(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v)") }
            }
            if recipe.isMixed { print("warning: \(warning)") }
        }
    }
}

/// `--json` output: the report's path and, per population and epoch, the mean test accuracy.
struct JSONSummary: Encodable {
    var report: String
    var meanAccuracy: [String: [String: Double]]
}
