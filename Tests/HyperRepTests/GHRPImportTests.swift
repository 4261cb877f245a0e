import Foundation
import Testing
import TestSupport
import Formats
@testable import HyperRep

/// Loads an official checkpoint folder (config_ae.json + checkpoint_ae.pt) into an Autoencoder.
func loadOfficialAutoencoder(_ folder: URL) throws -> Autoencoder {
    let config = try AutoencoderConfig(ghrpJSON: Data(contentsOf: folder.appendingPathComponent("config_ae.json")))
    let ae = try Autoencoder(config: config)
    let path = folder.appendingPathComponent("checkpoint_ae.pt").path
    let checkpoint = try TorchCheckpoint.read(path: path)
    try ae.loadStateDict(checkpoint.tensors.map { ($0.name, $0.tensor.shape, $0.tensor.floats()) }, source: path)
    return ae
}

// The official code's encoder and decoder outputs (eval mode) for real zoo rows, reproduced
// within 1e-4 relative error (plus a 1e-5 absolute floor for values near 0).
@Suite struct GHRPImportTests {
    @Test(arguments: GHRPFixtures.all)
    func encodingAndDecodingReproduceTheOfficialOutputs(folder: URL) throws {
        let ae = try loadOfficialAutoencoder(folder)
        let x = try NumpyArray.read(path: folder.appendingPathComponent("inputs.npy").path)
        let ez = try NumpyArray.read(path: folder.appendingPathComponent("expected_z.npy").path)
        let ey = try NumpyArray.read(path: folder.appendingPathComponent("expected_y.npy").path)
        let n = x.shape[0]
        let z = ae.encode(rows: x.floats(), count: n, batchSize: 3)
        #expect(compareFloats(z, ez.floats(), relative: 1e-4, absolute: 1e-5, label: "z") == nil)
        let y = ae.decode(latents: ez.floats(), count: n)
        #expect(compareFloats(y, ey.floats(), relative: 1e-4, absolute: 1e-5, label: "y") == nil)
    }

    @Test func aMismatchedConfigIsRefusedNamingTheTensor() throws {
        let folder = GHRPFixtures.folder("small-linear")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config_ae.json"))) as! [String: Any]
        json["model::latent_dim"] = 8
        let config = try AutoencoderConfig(ghrpJSON: JSONSerialization.data(withJSONObject: json))
        let ae = try Autoencoder(config: config)
        let checkpoint = try TorchCheckpoint.read(path: folder.appendingPathComponent("checkpoint_ae.pt").path)
        do {
            try ae.loadStateDict(checkpoint.tensors.map { ($0.name, $0.tensor.shape, $0.tensor.floats()) }, source: "checkpoint_ae.pt")
            Issue.record("a latent size mismatch was accepted")
        } catch {
            #expect("\(error)".contains("encoder.vec2neck.0.weight"))
        }
    }
}
