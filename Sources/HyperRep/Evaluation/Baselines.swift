// The baselines every sampled population is compared with, built from the zoo (the paper's
// names): B_T, training from scratch, and B_F, the zoo's own models as starting points.
import Nets
import Tensor
import ZooStore

enum Baselines {
    /// B_T: fresh initialisations with the zoo's initialiser (member i with training model i's
    /// recipe, so B_T mixes recipes as the zoo does), or the zoo's test-split models at epoch 0.
    static func scratch(_ zoo: ZooReader, recipe: ZooRecipe, options o: EvaluationOptions) throws -> EvaluationRun.Entry {
        let models = o.models
        if o.scratch == "zoo-test" {
            let rows = zoo.select(split: .test, epochs: [0])
            guard rows.count >= models else {
                throw EvaluationError("\(zoo.path): \(rows.count) test-split models stored at epoch 0 for --scratch zoo-test, --models asks for \(models); pass --models \(rows.count) or use --scratch init")
            }
            let chosen = Array(rows.prefix(models))
            return .init(name: "B_T", role: "baseline", details: ["source": "zoo test split, epoch 0", "models": String(models)],
                         rows: try chosen.map { try zoo.readRow($0) }, recipes: chosen.map { recipe.recipe(ofRow: $0, in: zoo) })
        }
        let training = zoo.models.indices.filter { zoo.models[$0].split == .train }
        let recipes = (0..<models).map { i in training.isEmpty ? recipe.modelRecipes[0] : recipe.modelRecipes[training[i % training.count]] }
        let rows = recipes.enumerated().map { i, r in
            r.architecture.initialRow(initializer: r.initializer, seed: RandomStream(seed: o.seed, purpose: "eval.scratch", index: UInt64(i)).value(at: 0))
        }
        let initializers = Array(Set(recipes.map(\.initializer.rawValue))).sorted().joined(separator: ", ")
        return .init(name: "B_T", role: "baseline", details: ["source": "fresh \(initializers) initialisations (seeded)"], rows: rows, recipes: recipes)
    }

    /// B_F: the zoo's training-split models at the B_F epoch (diverged ones, with NaN or
    /// infinite weights, are no starting point and are left out with a note).
    static func fromZoo(_ zoo: ZooReader, recipe: ZooRecipe, options o: EvaluationOptions, notes: inout [String]) throws -> EvaluationRun.Entry {
        let models = o.models
        let epoch = o.bfEpoch ?? zoo.epoch.max() ?? 0
        var chosen: [Int] = [], rows: [[Float]] = []
        var diverged = 0
        for r in zoo.select(split: .train, epochs: [epoch]) where chosen.count < models {
            let row = try zoo.readRow(r)
            if row.allSatisfy(\.isFinite) { chosen.append(r); rows.append(row) } else { diverged += 1 }
        }
        guard chosen.count == models else {
            let found = chosen.count == 0 && diverged == 0 ? "no training-split models" : "\(chosen.count) usable training-split models"
            throw EvaluationError("\(zoo.path): \(found) at epoch \(epoch) for B_F\(diverged > 0 ? " (\(diverged) diverged, with NaN or infinite weights)" : ""), --models asks for \(models); pass --models \(chosen.count) or choose another --bf-epoch")
        }
        if diverged > 0 { notes.append("B_F skipped \(diverged) diverged zoo model(s) (NaN or infinite weights at epoch \(epoch)).") }
        return .init(name: "B_F", role: "baseline", details: ["source": "zoo train split, epoch \(epoch)"], rows: rows,
                     recipes: chosen.map { recipe.recipe(ofRow: $0, in: zoo) })
    }
}
