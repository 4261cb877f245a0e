import Testing
@testable import ZooStore

@Suite struct ParameterTableTests {
    static let cnnS: [(name: String, shape: [Int])] = [
        ("module_list.0.weight", [8, 1, 5, 5]), ("module_list.0.bias", [8]),
        ("module_list.3.weight", [6, 8, 5, 5]), ("module_list.3.bias", [6]),
        ("module_list.6.weight", [4, 6, 2, 2]), ("module_list.6.bias", [4]),
        ("module_list.9.weight", [20, 36]), ("module_list.9.bias", [20]),
        ("module_list.11.weight", [10, 20]), ("module_list.11.bias", [10]),
    ]

    @Test func cnnSLayoutMatchesThePaper() throws {
        let t = try ParameterTable(stateDict: Self.cnnS)
        #expect(t.parameterCount == 2464)
        let layers = t.layers
        #expect(layers.map(\.weight.offset) == [0, 208, 1414, 1514, 2254])
        #expect(layers.map(\.kind) == [.conv2d, .conv2d, .conv2d, .linear, .linear])
        #expect(layers.map(\.outputs) == [8, 6, 4, 20, 10])
        #expect(layers.map { $0.fanIn + 1 } == [26, 201, 25, 37, 21])
        #expect(layers.map(\.prefix) == ["module_list.0", "module_list.3", "module_list.6", "module_list.9", "module_list.11"])
    }

    @Test func mismatchedBiasIsRejected() {
        #expect(throws: ParameterTableError.self) {
            try ParameterTable(stateDict: [("a.weight", [3, 2]), ("a.bias", [2])])
        }
    }

    @Test func codableRoundTrip() throws {
        let t = try ParameterTable(stateDict: Self.cnnS)
        let data = try JSONEncoder().encode(t)
        #expect(try JSONDecoder().decode(ParameterTable.self, from: data) == t)
    }
}
import Foundation
