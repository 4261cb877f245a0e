// Writes a GHRP dataset.pt (GHRPDataset) as a zoo file: one model per trial folder, in the split
// of the set that holds it (trainset → train, valset → val, testset → test: GHRP splits by model),
// one checkpoint per sample at its epoch. The flat rows keep GHRP's vector order, which is the
// state_dict order of the names layer_lst selects. Properties become metrics where the zoo has a
// slot (test_acc, train_acc; ggap = train_acc − test_acc gives train_acc when only ggap is there),
// hyper-parameters where they are constant over a model's samples (config keys such as lr), and
// the rest (training_iteration, checked to equal the epoch) is named in the zoo's config.
// Everything is read and checked before the output is created; it is written as <output>.partial
// and renamed when complete.
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

public enum GHRPDatasetImporter {
    /// Converts `source` into the zoo `output`.
    /// - Throws: `FormatError` (the source is not what the official code writes, or the output
    ///   exists without `options.overwrite`), `ZooStoreError` when the output cannot be written.
    public static func run(source: String, output: String, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        let start = Date()
        let dataset = try GHRPDataset.read(path: source)
        let table: ParameterTable
        do { table = try ParameterTable(stateDict: dataset.parameters) } catch {
            throw FormatError(file: source, "cannot describe the vectorised parameters as a state_dict: \(error)")
        }

        // Models by folder, in file order; every sample of a model must sit in one set.
        struct Model { var folder: String; var split: Split; var samples: [GHRPDataset.Sample] }
        var models: [Model] = []
        var indexOfFolder: [String: Int] = [:]
        for part in dataset.parts {
            let split: Split = part.key == "trainset" ? .train : (part.key == "valset" ? .val : .test)
            for sample in part.samples {
                if let i = indexOfFolder[sample.folder] {
                    guard models[i].split == split else {
                        throw FormatError(file: source, object: part.key, "model \(sample.folder) is also in the \(models[i].split.rawValue) set; GHRP splits by model")
                    }
                    guard !models[i].samples.contains(where: { $0.epoch == sample.epoch }) else {
                        throw FormatError(file: source, object: part.key, "model \(sample.folder) has epoch \(sample.epoch) twice")
                    }
                    models[i].samples.append(sample)
                } else {
                    indexOfFolder[sample.folder] = models.count
                    models.append(Model(folder: sample.folder, split: split, samples: [sample]))
                }
            }
        }
        if let epochs = options.epochs {
            for i in models.indices { models[i].samples = models[i].samples.filter { epochs.contains($0.epoch) } }
            models = models.filter { !$0.samples.isEmpty }
        }
        if let limit = options.maxModels { models = Array(models.prefix(limit)) }
        guard !models.isEmpty else {
            throw FormatError(file: source, "nothing to convert: no sample\(options.epochs == nil ? "" : " at the selected epochs")")
        }

        // Model ids: the trial folder's name, made unique if two roots share one.
        var ids: [String] = []
        var taken: Set<String> = []
        for model in models {
            let base = URL(fileURLWithPath: model.folder).lastPathComponent
            var id = base, k = 2
            while taken.contains(id) { id = "\(base)_\(k)"; k += 1 }
            taken.insert(id)
            ids.append(id)
        }

        // Which properties go where.
        let metricKeys: [String: Metric] = ["test_acc": .testAccuracy, "train_acc": .trainAccuracy, "val_acc": .valAccuracy,
                                            "test_loss": .testLoss, "train_loss": .trainLoss, "val_loss": .valLoss]
        var hyperparameterKeys: [String] = []
        var unstored: [String] = []
        for key in dataset.propertyKeys where metricKeys[key] == nil {
            if key == "training_iteration" {
                for model in models {
                    for s in model.samples where s.properties[key].map({ $0 != .number(Double(s.epoch)) }) ?? false {
                        throw FormatError(file: source, object: "properties.training_iteration", "\(model.folder) epoch \(s.epoch) has training_iteration \(s.properties[key]!); they must match")
                    }
                }
                unstored.append(key)
            } else if key == "ggap" {
                unstored.append(key)
            } else if models.allSatisfy({ m in m.samples.allSatisfy { $0.properties[key] == m.samples[0].properties[key] } }) {
                hyperparameterKeys.append(key)
            } else {
                unstored.append(key)
            }
        }
        func json(_ v: GHRPDataset.JSONPropertyValue) -> JSONValue {
            switch v { case .number(let x): .number(x); case .text(let s): .string(s) }
        }
        func metrics(_ s: GHRPDataset.Sample) -> CheckpointMetrics {
            var m = CheckpointMetrics.unknown
            for (key, metric) in metricKeys { if case .number(let x)? = s.properties[key] { m[metric] = Float(x) } }
            if m.trainAccuracy.isNaN, case .number(let gap)? = s.properties["ggap"], !m.testAccuracy.isNaN {
                m.trainAccuracy = m.testAccuracy + Float(gap)
            }
            return m
        }

        let parts: [String: JSONValue] = Dictionary(uniqueKeysWithValues: dataset.parts.map {
            ($0.key, ["mode": .string($0.mode), "samples": .number(Double($0.samples.count))])
        })
        let config: JSONValue = [
            "converted_by": "hz-convert",
            "source_kind": "ghrp-dataset",
            "sources": [.string(source)],
            "ghrp": [
                "layer_lst": .array(dataset.layers.map { [.number(Double($0.index)), .string($0.type)] }),
                "use_bias": .bool(dataset.useBias),
                "sets": .object(parts),
                "properties_as_metrics": .array(dataset.propertyKeys.filter { metricKeys[$0] != nil }.map { .string($0) }),
                "properties_as_hyperparameters": .array(hyperparameterKeys.map { .string($0) }),
                "properties_not_stored": .array(unstored.map { .string($0) }),
            ],
        ]

        let architecture = options.architecture ?? "ghrp"
        let writer: ZooWriter
        do {
            writer = try ZooWriter.create(path: output, architecture: architecture, table: table, config: config, overwrite: options.overwrite)
        } catch let error as ZooStoreError where error.kind == .exists {
            throw FormatError(file: output, "already exists; pass --force to replace it")
        }
        var written = 0
        var nonFinite: [ImportSummary.CheckpointID] = []
        do {
            for (model, id) in zip(models, ids) {
                var hyperparameters: [String: JSONValue] = [:]
                for key in hyperparameterKeys { if let v = model.samples[0].properties[key] { hyperparameters[key] = json(v) } }
                var seed: Int?
                if case .number(let s)? = model.samples[0].properties["seed"], s == s.rounded(), s >= 0, s < 1e15 { seed = Int(s) }
                try writer.addModel(ModelRecord(id: id, seed: seed, split: model.split, hyperparameters: .object(hyperparameters),
                                                provenance: ["source": .string(source), "kind": "ghrp-dataset", "folder": .string(model.folder)]))
                for sample in model.samples.sorted(by: { $0.epoch < $1.epoch }) {
                    if sample.row.contains(where: { !$0.isFinite }) { nonFinite.append(.init(model: id, epoch: sample.epoch)) }
                    try writer.appendCheckpoint(model: id, epoch: sample.epoch, row: sample.row, metrics: metrics(sample))
                    written += 1
                }
            }
            try writer.finish()
        } catch {
            // Nothing of a failed conversion stays behind (it was this run's partial).
            writer.close()
            unlink(AtomicOutput.partialPath(for: output))
            throw error
        }
        let found = Set(dataset.parts.flatMap { $0.samples.map(\.folder) }).count
        return ImportSummary(sourceKind: "ghrp-dataset", output: output, architecture: architecture, architectures: [architecture],
                             parameterCount: table.parameterCount, modelsFound: found, modelsConverted: models.count,
                             modelsAlreadyDone: 0, modelsRejected: 0, checkpointsWritten: written, nonFiniteCheckpoints: nonFinite,
                             skippedKeys: [], problems: [], resumed: false, seconds: Date().timeIntervalSince(start))
    }
}
