import Foundation
import Testing
import TestSupport
import Tensor
@testable import HyperRep

@Suite struct AutoencoderTrainingTests {
    static func options(epochs: Int) -> AutoencoderTrainingOptions {
        AutoencoderTrainingOptions(epochs: epochs, batchSize: 4, optimizer: .adamW(learningRate: 3e-3, weightDecay: 1e-4),
                                   schedule: .step(stepSize: 1, gamma: 0.5), clipping: .norm(5), seed: 11, gamma: 0.2,
                                   temperature: 0.5, augment: AugmentOptions(permute: true, noise: 0.01, eraseProbability: 0.5))
    }

    @Test func resumedRunEqualsUninterruptedRunBitForBit() throws {
        let dir = TemporaryDirectory("ae-resume")
        let config = try tinyConfig()
        let P = try tinyTable().parameterCount
        let train = randomRows(10, P, seed: 1), validation = randomRows(4, P, seed: 2)
        func run(_ trainer: AutoencoderTrainer, epochs: Int) {
            train.withUnsafeBufferPointer { t in
                validation.withUnsafeBufferPointer { v in
                    for _ in 0..<epochs { trainer.trainEpoch(trainRows: t, count: 10, validationRows: v, validationCount: 4) }
                }
            }
        }
        let full = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: Self.options(epochs: 3), trainRows: $0, count: 10)
        }
        run(full, epochs: 3)

        let first = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: Self.options(epochs: 3), trainRows: $0, count: 10)
        }
        run(first, epochs: 1)
        try AutoencoderCheckpoint.save(first.model, training: first.state, source: "test", to: dir.path("ae.h5"))
        let (model, state) = try AutoencoderCheckpoint.load(path: dir.path("ae.h5"))
        let resumed = try AutoencoderTrainer(model: model, resuming: try #require(state))
        #expect(resumed.epoch == 1)
        run(resumed, epochs: 2)

        #expect(resumed.model.parameters.valuesArray() == full.model.parameters.valuesArray())
        #expect(resumed.model.buffers.valuesArray() == full.model.buffers.valuesArray())
        #expect(resumed.optimizer.saveState().state == full.optimizer.saveState().state)
        let strip = { (h: [AutoencoderEpochMetrics]) in h.map { m -> AutoencoderEpochMetrics in var m = m; m.seconds = 0; return m } }
        #expect(strip(resumed.history) == strip(full.history))
        #expect(full.history.count == 3 && full.history.allSatisfy { $0.validationLoss.isFinite })
    }

    @Test func reconstructionTrainingReducesTheLoss() throws {
        let config = try tinyConfig(dropout: 0)
        let P = try tinyTable().parameterCount
        let train = randomRows(16, P, seed: 3)
        var options = Self.options(epochs: 1)
        options.gamma = 0
        options.schedule = .constant
        options.augment = AugmentOptions(permute: false)
        let trainer = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 1), options: options, trainRows: $0, count: 16)
        }
        let history = train.withUnsafeBufferPointer { t in
            (0..<15).map { _ in trainer.trainEpoch(trainRows: t, count: 16, validationRows: t, validationCount: 16) }
        }
        #expect(history.last!.trainReconstruction < 0.5 * history.first!.trainReconstruction)
        #expect(history.last!.validationRSquared > history.first!.validationRSquared)
    }

    @Test func checkpointRoundTripKeepsEncodeAndDecode() throws {
        let dir = TemporaryDirectory("ae-ckpt")
        let ae = try Autoencoder(config: tinyConfig(decompression: .repeat, decoderBias: true), seed: 8)
        try AutoencoderCheckpoint.save(ae, source: "test", to: dir.path("ae.h5"))
        let (loaded, state) = try AutoencoderCheckpoint.load(path: dir.path("ae.h5"))
        #expect(state == nil)
        let rows = randomRows(3, ae.parameterCount, seed: 5)
        #expect(loaded.encode(rows: rows, count: 3) == ae.encode(rows: rows, count: 3))
        #expect(throws: (any Error).self) { try AutoencoderCheckpoint.save(ae, source: "test", to: dir.path("ae.h5"), overwrite: false) }
    }
}
