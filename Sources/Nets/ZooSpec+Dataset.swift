// Loading the data a ZooSpec names: the papers' datasets prepared for the architecture's input,
// the synthetic and digits sets, or Fashion-MNIST, each cut to the spec's split limits.

extension ZooSpec.DatasetChoice {
    /// Loads (and limits) the splits this choice describes. The papers' datasets are prepared for
    /// `architecture`'s input (default: their small zoo's input) as the Model Zoos generators do;
    /// the others come in their native shape (see `DatasetSplits.adapted(to:)`). `readers` supplies
    /// the parsers Nets cannot reach (CIFAR-10's python batches).
    public func load(for architecture: ArchitectureSpec? = nil, readers: DatasetReaders = DatasetReaders()) throws -> DatasetSplits {
        var splits: DatasetSplits
        switch name {
        case let paper where PaperDataset(rawValue: paper) != nil:
            splits = try PaperDataset(rawValue: paper)!.load(
                directory: directory, input: architecture.map { ($0.inputChannels, $0.inputHeight, $0.inputWidth) },
                normalization: normalization, trainSize: trainSize, splitSeed: UInt64(splitSeed ?? 42), readers: readers)
        case "synthetic":
            let n = syntheticCounts ?? [500, 100, 100]
            let all = ImageDataset.synthetic(count: n.reduce(0, +), seed: UInt64(splitSeed ?? 0))
            let a = n[0], b = n[0] + (n.count > 1 ? n[1] : 0)
            splits = DatasetSplits(train: all.subset(Array(0..<a), name: "synthetic-train"),
                                   validation: b > a ? all.subset(Array(a..<b), name: "synthetic-val") : nil,
                                   test: all.subset(Array(b..<all.count), name: "synthetic-test"))
        case "digits":
            // 28×28 here; `adapted(to:)` resizes further for 32×32 networks.
            splits = try DigitsDataset.load(path: directory ?? DigitsDataset.defaultPath, normalization: normalization ?? .zoo,
                                            splitSeed: UInt64(splitSeed ?? 42))
        default:
            splits = try FashionMNIST.load(directory: directory ?? FashionMNIST.defaultDirectory,
                                           normalization: normalization ?? .zoo,
                                           trainCount: trainSize ?? 50_000, splitSeed: UInt64(splitSeed ?? 42))
        }
        if let n = limitTrain { splits.train = splits.train.prefix(n) }
        if let n = limitValidation, let v = splits.validation { splits.validation = v.prefix(n) }
        if let n = limitTest { splits.test = splits.test.prefix(n) }
        return splits
    }
}
