// Parameter tables of the paper's zoo architectures, built from their state_dict shapes
// (research notes §1.2), plus rows with awkward bit patterns for exactness tests.
import Tensor
@testable import ZooStore

enum TestArchitectures {
    /// CNN-s, 1 input channel: 2464 parameters, 48 neuron tokens.
    static let cnnS: [(name: String, shape: [Int])] = [
        ("module_list.0.weight", [8, 1, 5, 5]), ("module_list.0.bias", [8]),
        ("module_list.3.weight", [6, 8, 5, 5]), ("module_list.3.bias", [6]),
        ("module_list.6.weight", [4, 6, 2, 2]), ("module_list.6.bias", [4]),
        ("module_list.9.weight", [20, 36]), ("module_list.9.bias", [20]),
        ("module_list.11.weight", [10, 20]), ("module_list.11.bias", [10]),
    ]
    /// CNN-m, 3 input channels: 10,853 parameters, 93 neuron tokens.
    static let cnnM: [(name: String, shape: [Int])] = [
        ("module_list.0.weight", [16, 3, 3, 3]), ("module_list.0.bias", [16]),
        ("module_list.4.weight", [32, 16, 3, 3]), ("module_list.4.bias", [32]),
        ("module_list.8.weight", [15, 32, 3, 3]), ("module_list.8.bias", [15]),
        ("module_list.13.weight", [20, 60]), ("module_list.13.bias", [20]),
        ("module_list.16.weight", [10, 20]), ("module_list.16.bias", [10]),
    ]
    /// A small MLP (784 → 16 → 12 → 10) on flattened 28×28 images.
    static let mlp: [(name: String, shape: [Int])] = [
        ("module_list.0.weight", [16, 784]), ("module_list.0.bias", [16]),
        ("module_list.2.weight", [12, 16]), ("module_list.2.bias", [12]),
        ("module_list.4.weight", [10, 12]), ("module_list.4.bias", [10]),
    ]

    static let all: [(label: String, stateDict: [(name: String, shape: [Int])])] = [
        ("cnn_s", cnnS), ("cnn_m", cnnM), ("mlp", mlp),
    ]

    static func table(_ stateDict: [(name: String, shape: [Int])]) throws -> ParameterTable {
        try ParameterTable(stateDict: stateDict)
    }

    /// A row of random bit patterns: normals, subnormals, ±0, infinities, NaNs with payloads.
    static func hostileRow(count: Int, seed: UInt64) -> [Float] {
        var s = RandomStream(seed: seed, purpose: "hostile-row")
        return (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: s.nextUInt64())) }
    }

    /// A row of ordinary weights, N(0, 0.3²).
    static func normalRow(count: Int, seed: UInt64) -> [Float] {
        var s = RandomStream(seed: seed, purpose: "normal-row")
        return (0..<count).map { _ in 0.3 * s.nextNormal() }
    }

    static func bits(_ row: [Float]) -> [UInt32] { row.map(\.bitPattern) }
}
