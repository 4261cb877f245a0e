// The list- and name-valued options that are types of the command line alone: the parser turns
// the text into the value the library takes and refuses anything else before the command runs.
// (Single choices and the library enums' conformances: ArgumentChoices.swift.)
import ArgumentParser
import Foundation
import Nets

/// `hz-eval --baselines`: comma-separated ``BaselineChoice``s (any case), or none (also "").
struct BaselineList: ExpressibleByArgument, Equatable {
    var choices: [BaselineChoice]

    init(_ choices: [BaselineChoice]) { self.choices = choices }

    init?(argument: String) {
        guard argument != "none" else { self.init([]); return }
        var choices: [BaselineChoice] = []
        for part in argument.split(separator: ",") {
            guard let choice = BaselineChoice(rawValue: part.trimmingCharacters(in: .whitespaces).lowercased()) else { return nil }
            choices.append(choice)
        }
        self.init(choices)
    }

    var defaultValueDescription: String { choices.isEmpty ? "none" : choices.map(\.rawValue).joined(separator: ",") }
}

/// `hz-eval --ensemble-sizes`: comma-separated sizes k ≥ 1, or none (also "").
struct EnsembleSizeList: ExpressibleByArgument, Equatable {
    var sizes: [Int]

    init(_ sizes: [Int]) { self.sizes = sizes }

    init?(argument: String) {
        guard !argument.isEmpty, argument != "none" else { self.init([]); return }
        var sizes: [Int] = []
        for part in argument.split(separator: ",") {
            guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k >= 1 else { return nil }
            sizes.append(k)
        }
        self.init(sizes)
    }

    var defaultValueDescription: String { sizes.isEmpty ? "none" : sizes.map(String.init).joined(separator: ",") }
}

/// `hz-train --layer-weights`: comma-separated per-layer loss weights (at least one number).
struct LayerWeightList: ExpressibleByArgument {
    var values: [Float]

    init?(argument: String) {
        let w = argument.split(separator: ",").compactMap { Float($0) }
        guard !w.isEmpty else { return nil }
        values = w
    }
}

/// `hz-eval --dataset`: a dataset hyperzoo reads (Nets' ZooSpec.datasetNames).
struct DatasetName: ExpressibleByArgument, Equatable {
    var name: String

    init?(argument: String) {
        guard ZooSpec.datasetNames.contains(argument) else { return nil }
        name = argument
    }

    static var allValueStrings: [String] { ZooSpec.datasetNames }
}
