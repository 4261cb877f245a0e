import Testing
import Foundation
@testable import HyperRep
import Nets
import TestSupport
import ZooStore

/// hz-train reconstruct's and probe's work called as a library, on a real (tiny) trained zoo.
@Suite struct ReconstructionAndProbeRunTests {
    /// A 14-model synthetic MLP zoo (one epoch) and an untrained AE for its parameter table.
    static func zooAndAutoencoder(in dir: TemporaryDirectory) throws -> (zoo: String, ae: String) {
        let spec = try ZooSpec.parse(Data("""
        {"name": "tiny", "architecture": {"family": "mlp", "channels": 1, "hidden": [6], "activation": "tanh"},
         "dataset": {"name": "synthetic", "synthetic_counts": [120, 20, 80]},
         "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
         "batch_size": 20, "epochs": 1, "seeds": {"start": 1, "count": 14}}
        """.utf8))
        let zoo = dir.path("zoo.h5"), ae = dir.path("ae.h5")
        _ = try ZooBuilder(spec: spec, output: zoo, threads: 2).run()
        let table = try ZooReader(path: zoo).table
        let config = AutoencoderConfig(table: table, modelWidth: 8, heads: 2, blocks: 1, feedForwardWidth: 8, latentSize: 4,
                                       projectionLayers: 1, projectionHidden: 8, projectionOutput: 4)
        try AutoencoderCheckpoint.save(try Autoencoder(config: config, seed: 1), source: "test", to: ae)
        return (zoo, ae)
    }

    @Test func reconstructionEvaluatesOriginalsAndReconstructionsOnTheSameImages() throws {
        let dir = TemporaryDirectory()
        let (zoo, ae) = try Self.zooAndAutoencoder(in: dir)
        var request = ReconstructionRequest(ae: ae, zoo: zoo)
        request.split = .test; request.epochs = [1]; request.threads = 2
        var steps: [Int] = []
        var ended = false
        let (report, rows) = try ReconstructionRun.run(request, readers: DatasetReaders()) { step in
            if let (done, _) = step { steps.append(done) } else { ended = true }
        }
        let reader = try ZooReader(path: zoo)
        let expected = reader.select(split: .test, epochs: [1])
        #expect(report.checkpoints == expected.count && report.split == "test" && report.epochs == [1])
        #expect(rows.count == expected.count * reader.parameterCount)
        #expect(report.fit == nil && report.normalizedLoss == nil)   // an AE without training state
        #expect(report.accuracy.images.dataset == "synthetic" && report.accuracy.original.count == expected.count)
        // The originals evaluated here are the zoo's own checkpoints on the zoo's own test images.
        #expect(report.storedMatchesOriginal, "\(report.storedMaxDifference)")
        #expect(steps.last == 2 * expected.count && ended)

        request.epochs = [7]; request.epochsText = "7"
        #expect(throws: AutoencoderError("\(zoo): no test-split checkpoints at epochs 7 to reconstruct")) {
            try ReconstructionRun.run(request, readers: DatasetReaders())
        }
    }

    @Test func probeScoresEveryFeatureSetAndNamesAnUnknownProperty() throws {
        let dir = TemporaryDirectory()
        let (zoo, ae) = try Self.zooAndAutoencoder(in: dir)
        var request = ProbeRequest(ae: ae, zoo: zoo)
        request.features = [.weights, .latent]
        request.properties = ["test_accuracy"]
        request.mlp = MLPProbeOptions(hidden: 4, epochs: 2, batchSize: 4)
        var steps: [String] = []
        let report = try ProbeRun.run(request) { steps.append($0) }
        #expect(report.features.map(\.name) == ["weights", "latent"])
        #expect(report.features.last?.dimension == 4)
        #expect(report.properties.map(\.name) == ["test_accuracy"] && !steps.isEmpty)
        let again = try ProbeRun.run(request)
        #expect(try JSONEncoder.sortedNonFinite().encode(again) == JSONEncoder.sortedNonFinite().encode(report))

        request.properties = ["momentum"]
        #expect(throws: ProbeError.self) { try ProbeRun.run(request) }
    }
}
