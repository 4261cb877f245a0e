// Reads fixtures/torch/expected.json, written by tools/fixtures/make_torch_fixtures.py from what torch.load,
// numpy.load and safetensors returned for each fixture.
import Foundation
import TestSupport

struct ExpectedTensor: Decodable {
    var name: String
    var dtype: String
    var shape: [Int]
    var values: [Double]
}

struct ExpectedFile: Decodable {
    var tensors: [ExpectedTensor]
    var skipped: [String]
}

struct FixtureManifest: Decodable {
    var load: [String: ExpectedFile]
    var reject: [String: String]

    static let directory = Fixtures.project.appendingPathComponent("torch")

    static func load() throws -> FixtureManifest {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(FixtureManifest.self, from: data)
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// torch / numpy dtype names → ours.
func dtypeName(_ name: String) -> String {
    switch name {
    case "float": "float32"
    case "double": "float64"
    case "half": "float16"
    case "long": "int64"
    case "int": "int32"
    case "short": "int16"
    default: name
    }
}
