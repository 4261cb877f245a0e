import Foundation
import Testing
import TestSupport
import ZooStore
@testable import HyperRep

/// The official-code fixtures committed under fixtures/ghrp (see its README).
enum GHRPFixtures {
    static let variants = ["small-linear", "small-bounded-repeat"]
    static func folder(_ name: String) -> URL { Fixtures.project.appendingPathComponent("ghrp/\(name)") }
    /// The shared 64-wide fixture, when this checkout sits beside ../shared.
    static var shared: URL? {
        let candidates = [Fixtures.shared.appendingPathComponent("ghrp-ae-small"),
                          Fixtures.repositoryRoot.appendingPathComponent("../../shared/fixtures/ghrp-ae-small"),
                          URL(fileURLWithPath: "/work/shared/fixtures/ghrp-ae-small")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("checkpoint_ae.pt").path) }
    }
    static var all: [URL] { variants.map(folder) + (shared.map { [$0] } ?? []) }
}

@Suite struct AutoencoderConfigTests {
    @Test(arguments: GHRPFixtures.all)
    func parameterNamesAndShapesMatchTheOfficialStateDict(folder: URL) throws {
        let config = try AutoencoderConfig(ghrpJSON: Data(contentsOf: folder.appendingPathComponent("config_ae.json")))
        let ae = try Autoencoder(config: config)
        #expect(ae.layout.layers.map(\.width) == [26, 201, 25, 37, 21])
        #expect(ae.layout.tokenCount == 48)
        // state_dict_shapes.json is an ordered JSON object: compare as a name → shape map.
        let shapes = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("state_dict_shapes.json"))) as! [String: [Int]]
        let ours = AutoencoderParameterNames.autoencoder(config, layout: ae.layout)
        #expect(ours.count == shapes.count)
        for (name, shape) in ours { #expect(shapes[name] == shape, "\(name)") }
    }

    @Test func indexDictBecomesTheCNNsTable() throws {
        let config = try AutoencoderConfig(ghrpJSON: Data(contentsOf: GHRPFixtures.folder("small-linear").appendingPathComponent("config_ae.json")))
        #expect(config.table.parameterCount == 2464)
        #expect(config.table.entries.map(\.shape) == [[8, 1, 5, 5], [8], [6, 8, 5, 5], [6], [4, 6, 2, 2], [4], [20, 36], [20], [10, 20], [10]])
        #expect(config.modelWidth == 32 && config.heads == 4 && config.feedForwardWidth == 48 && config.latentSize == 16)
    }

    @Test func unsupportedSettingsAreNamed() throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: GHRPFixtures.folder("small-linear").appendingPathComponent("config_ae.json"))) as! [String: Any]
        json["model::compression"] = "average"
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: AutoencoderError.self) { try AutoencoderConfig(ghrpJSON: data) }
        do { _ = try AutoencoderConfig(ghrpJSON: data) } catch {
            #expect("\(error)".contains("model::compression"))
        }
    }
}
