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

    @Test func givenViewsTrainTheSameWeightsAsTheTrainersOwnViews() throws {
        // What hz-train --views relies on: views made elsewhere with the trainer's keys (seed,
        // epoch, checkpoint id, view) give the same run bit for bit; other views do not.
        let config = try tinyConfig()
        let table = try tinyTable(), P = table.parameterCount
        let train = randomRows(8, P, seed: 5), validation = randomRows(4, P, seed: 6)
        let ids = [3, 5, 8, 13, 21, 34, 55, 89]
        let options = Self.options(epochs: 2)
        let augmenter = try Augmenter(table: table, options: options.augment, bankSeed: options.seed)
        func views(epoch: Int, seed: UInt64) -> [Float] {
            var out = [Float](repeating: 0, count: 2 * 8 * P)
            for v in 0..<2 {
                for r in 0..<8 {
                    var stream = Augmenter.viewStream(seed: seed, epoch: epoch, sample: ids[r], view: v)
                    let view = augmenter.view(Array(train[(r * P)..<((r + 1) * P)]), stream: &stream)
                    out.replaceSubrange(((v * 8 + r) * P)..<((v * 8 + r + 1) * P), with: view)
                }
            }
            return out
        }
        func trainer() throws -> AutoencoderTrainer {
            try train.withUnsafeBufferPointer { try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: options, trainRows: $0, count: 8) }
        }
        let own = try trainer(), given = try trainer(), other = try trainer()
        for epoch in 0..<2 {
            train.withUnsafeBufferPointer { t in
                validation.withUnsafeBufferPointer { v in
                    own.trainEpoch(views: .augmented(rows: t, sampleIDs: ids), count: 8, validationRows: v, validationCount: 4)
                    _ = views(epoch: epoch, seed: options.seed).withUnsafeBufferPointer {
                        given.trainEpoch(views: .given($0), count: 8, validationRows: v, validationCount: 4)
                    }
                    _ = views(epoch: epoch, seed: options.seed + 1).withUnsafeBufferPointer {
                        other.trainEpoch(views: .given($0), count: 8, validationRows: v, validationCount: 4)
                    }
                }
            }
        }
        #expect(given.model.parameters.valuesArray() == own.model.parameters.valuesArray())
        #expect(given.optimizer.saveState().state == own.optimizer.saveState().state)
        #expect(other.model.parameters.valuesArray() != own.model.parameters.valuesArray())
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
