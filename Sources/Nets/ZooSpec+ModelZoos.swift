// A Model Zoos generator config (`config.json` of a zoo folder, keys `model::type`, `optim::lr`,
// `seed: {grid_search: [...]}`, ...) translated into a ZooSpec: the dataset its `dataset::dump`
// path names, the architecture family, and a grid for every key that lists several values.
import Tensor
import ZooStore

extension ZooSpec {
    /// The dataset a Model Zoos config's `dataset::dump` path names, judged by its folder names
    /// (the generators write e.g. `zoos/SVHN/tune_zoo_svhn_uniform/dataset.pt`,
    /// `zoos/CIFAR10/small/...`, `zoos/STL-10/small/...`, `zoos/F_MNIST/...`).
    /// - Throws: a DatasetError when the path names no dataset, one hyperzoo has no reader for,
    ///   or several: a config must run on its dataset or not at all.
    public static func modelZoosDataset(dump: String, label: String) throws -> String {
        func dataset(of component: String) -> String? {
            let c = component.lowercased()
            if c.contains("cifar100") || c.contains("cifar-100") || c.contains("cifar_100") { return "CIFAR-100" }
            if c.contains("cifar") { return "cifar10" }
            if c.contains("stl") { return "stl10" }
            if c.contains("svhn") { return "svhn" }
            if ["f_mnist", "fmnist", "f-mnist", "fashion"].contains(where: { c.contains($0) }) { return "fashion-mnist" }
            if c.contains("mnist") { return "mnist" }
            if c.contains("usps") { return "USPS" }
            if c.contains("imagenet") { return "Tiny ImageNet" }
            if c.contains("eurosat") { return "EuroSAT" }
            return nil
        }
        let components = dump.split(separator: "/").dropLast().map(String.init)   // the file name is dataset.pt
        var found: [String] = []
        for c in components { if let d = dataset(of: c), !found.contains(d) { found.append(d) } }
        let how = "write an hz-zoo spec that names the dataset (fixtures/zoo/*.json)"
        guard !found.isEmpty else {
            throw DatasetError("\(label): dataset::dump '\(dump)' does not name a dataset hyperzoo knows (\(PaperDataset.allCases.map(\.rawValue).joined(separator: ", ")), fashion-mnist); \(how)")
        }
        guard found.count == 1 else {
            throw DatasetError("\(label): dataset::dump '\(dump)' names several datasets (\(found.joined(separator: ", "))); \(how)")
        }
        guard datasetNames.contains(found[0]) else {
            throw DatasetError("\(label): dataset::dump '\(dump)' names \(found[0]), which hyperzoo has no reader for (it reads \(PaperDataset.allCases.map(\.rawValue).joined(separator: ", ")) and fashion-mnist); refusing rather than training on another dataset")
        }
        return found[0]
    }

    /// Translates a Model Zoos generator config (`config.json` of a zoo folder). The dataset is
    /// the one `dataset::dump` names (``modelZoosDataset(dump:label:)``); a config without it is refused.
    static func fromModelZoos(_ j: JSONValue, label: String) throws -> ZooSpec {
        func values(_ key: String) -> [JSONValue]? {
            guard let v = j[key] else { return nil }
            if case .array(let a)? = v["grid_search"] { return a }
            return [v]
        }
        func string(_ v: JSONValue) -> String? { if case .string(let s) = v { return s }; return nil }
        func number(_ v: JSONValue) -> Double? { if case .number(let d) = v { return d }; return nil }
        let type = values("model::type")?.first.flatMap(string) ?? ""
        let family: ArchitectureFamily
        switch type {
        case "CNN": family = .cnnS
        case "CNN3": family = .cnnM
        default: throw DatasetError("\(label): model::type '\(type)' is not supported (CNN or CNN3)")
        }
        let acts = try (values("model::nlin") ?? ["tanh"]).map { v -> Activation in
            guard let s = string(v), let a = Activation(name: s) else { throw DatasetError("\(label): model::nlin \(v) is not a known activation") }
            return a
        }
        let inits = try (values("model::init_type") ?? ["uniform"]).map { v -> Initializer in
            guard let s = string(v), let i = Initializer(rawValue: s) else { throw DatasetError("\(label): model::init_type \(v) is not a known initialiser") }
            return i
        }
        let opts = try (values("optim::optimizer") ?? ["adam"]).map { v -> OptimizerKind in
            guard let s = string(v), let o = OptimizerKind(rawValue: s.lowercased()) else { throw DatasetError("\(label): optim::optimizer \(v) is not adam, adamw or sgd") }
            return o
        }
        let lrs = (values("optim::lr") ?? [3e-4]).compactMap(number).map(Float.init)
        let wds = (values("optim::wd") ?? [0]).compactMap(number).map(Float.init)
        let drops = (values("model::dropout") ?? [0]).compactMap(number).map(Float.init)
        let seeds = (values("seed") ?? [1]).compactMap(number).map { Int($0) }
        let channels = values("model::channels_in")?.first.flatMap(number).map { Int($0) } ?? 1
        let epochs = values("training::epochs_train")?.first.flatMap(number).map { Int($0) } ?? 50
        let batch = values("training::batchsize")?.first.flatMap(number).map { Int($0) } ?? 10
        let momentum = values("optim::momentum")?.first.flatMap(number).map(Float.init)
        guard let dump = j["dataset::dump"]?.stringValue, !dump.isEmpty else {
            throw DatasetError("\(label): the Model Zoos config has no dataset::dump, so it does not say which dataset it trains on; add \"dataset::dump\" (e.g. \"zoos/SVHN/tune_zoo_svhn_uniform/dataset.pt\") or write an hz-zoo spec (fixtures/zoo/*.json)")
        }
        let datasetName = try modelZoosDataset(dump: dump, label: label)
        let paper = PaperDataset(rawValue: datasetName)
        func gridOrNil<T>(_ a: [T]) -> [T]? { a.count > 1 ? a : nil }
        let grid = HyperparameterGrid(activation: gridOrNil(acts), dropout: gridOrNil(drops), initializer: gridOrNil(inits),
                                      optimizer: gridOrNil(opts), learningRate: gridOrNil(lrs), weightDecay: gridOrNil(wds))
        let anyGrid = [acts.count, drops.count, inits.count, opts.count, lrs.count, wds.count].contains { $0 > 1 }
        return ZooSpec(
            name: "modelzoos-\(type.lowercased())",
            architecture: ArchitectureChoice(family: family, channels: channels, activation: acts[0], dropout: drops.first ?? 0, hidden: nil),
            dataset: DatasetChoice(name: datasetName, directory: nil, normalization: paper?.normalization ?? .zoo,
                                   trainSize: paper == nil ? 50_000 : nil, splitSeed: 42),
            initializer: inits[0],
            optimizer: OptimizerChoice(kind: opts[0], learningRate: lrs.first ?? 3e-4, weightDecay: wds.first ?? 0, momentum: momentum),
            batchSize: batch, epochs: epochs, seeds: seeds, grid: anyGrid ? grid : nil)
    }
}
