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
        func run(_ trainer: AutoencoderTrainer, epochs: Int) throws {
            try train.withUnsafeBufferPointer { t in
                try validation.withUnsafeBufferPointer { v in
                    for _ in 0..<epochs { try trainer.trainEpoch(trainRows: t, count: 10, validationRows: v, validationCount: 4) }
                }
            }
        }
        let full = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: Self.options(epochs: 3), trainRows: $0, count: 10)
        }
        try run(full, epochs: 3)

        let first = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: Self.options(epochs: 3), trainRows: $0, count: 10)
        }
        try run(first, epochs: 1)
        try AutoencoderCheckpoint.save(first.model, training: first.state, source: "test", to: dir.path("ae.h5"))
        let (model, state) = try AutoencoderCheckpoint.load(path: dir.path("ae.h5"))
        let resumed = try AutoencoderTrainer(model: model, resuming: try #require(state))
        #expect(resumed.epoch == 1)
        try run(resumed, epochs: 2)

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
            try train.withUnsafeBufferPointer { t in
                try validation.withUnsafeBufferPointer { v in
                    try own.trainEpoch(views: .augmented(rows: t, sampleIDs: ids), count: 8, validationRows: v, validationCount: 4)
                    _ = try views(epoch: epoch, seed: options.seed).withUnsafeBufferPointer {
                        try given.trainEpoch(views: .given($0), count: 8, validationRows: v, validationCount: 4)
                    }
                    _ = try views(epoch: epoch, seed: options.seed + 1).withUnsafeBufferPointer {
                        try other.trainEpoch(views: .given($0), count: 8, validationRows: v, validationCount: 4)
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
        let history = try train.withUnsafeBufferPointer { t in
            try (0..<15).map { _ in try trainer.trainEpoch(trainRows: t, count: 16, validationRows: t, validationCount: 16) }
        }
        #expect(history.last!.trainReconstruction < 0.5 * history.first!.trainReconstruction)
        #expect(history.last!.validationRSquared > history.first!.validationRSquared)

        // Random rows leave an AE little to learn beyond their mean, but its decoded rows still move
        // with the latent, and its R² is still improving in the last 3 of 15 epochs. (A healthy
        // run without any warning is tested through hz-train, on rows with structure.)
        let ranges = trainer.objective.reconstruction.layerRanges
        let trained = AutoencoderDiagnostics(model: trainer.model, history: history, trainRows: train, count: 16, layerRanges: ranges)
        #expect(trained.decoderSpreadRatio > 0.01, "\(trained)")
        #expect(trained.validationRSquaredTrend.map { $0 > 0 } == true && trained.trendEpochs == 3)
        #expect(!trained.warnings.map(\.code).contains("validation_r2_not_improving"))
        // The same model with the latent's expansion zeroed decodes one row whatever the latent.
        let expansion = try #require(trainer.model.parameters.views.first { $0.name == "decoder.nec2vec.weight" })
        (trainer.model.parameters.values + expansion.offset).update(repeating: 0, count: expansion.count)
        let collapsed = AutoencoderDiagnostics(model: trainer.model, history: history, trainRows: train, count: 16, layerRanges: ranges)
        #expect(collapsed.decoderSpreadRatio < 1e-3, "\(collapsed)")
        #expect(collapsed.warnings.map(\.code) == ["decoder_collapse"])
        // A flat, negative R² history: both R² warnings.
        let flat = history.map { m -> AutoencoderEpochMetrics in var m = m; m.validationRSquared = -0.1; return m }
        let failed = AutoencoderDiagnostics(model: trainer.model, history: flat, trainRows: train, count: 16, layerRanges: ranges)
        #expect(failed.warnings.map(\.code) == ["validation_r2_negative", "validation_r2_not_improving", "decoder_collapse"])
        #expect(failed.validationRSquaredTrend == 0 && failed.validationRSquared == -0.1)
    }

    @Test func divergedLossAndTooFewRowsForABatchAreErrors() throws {
        let config = try tinyConfig()
        let P = try tinyTable().parameterCount
        var train = randomRows(8, P, seed: 9)
        var options = Self.options(epochs: 1)
        options.batchSize = 12
        let big = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 1), options: options, trainRows: $0, count: 8)
        }
        // Before: the batch silently shrank to the 8 rows there were.
        #expect(throws: AutoencoderError.self) { try train.withUnsafeBufferPointer {
            try big.trainEpoch(trainRows: $0, count: 8, validationRows: nil, validationCount: 0)
        } }
        #expect(big.epoch == 0)
        options.batchSize = 4
        let trainer = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 1), options: options, trainRows: $0, count: 8)
        }
        train[3] = .nan   // a diverged training model: every loss it enters is NaN
        do {
            _ = try train.withUnsafeBufferPointer { try trainer.trainEpoch(trainRows: $0, count: 8, validationRows: nil, validationCount: 0) }
            Issue.record("a NaN loss did not stop training")
        } catch let error as AutoencoderError {
            #expect(error.description.contains("training loss is nan") && error.description.contains("diverged"), "\(error)")
        }
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

    @Test func diagnosticsRoundTripThroughTheTrainingAttributes() throws {
        let dir = TemporaryDirectory("ae-diag")
        let config = try tinyConfig()
        let P = try tinyTable().parameterCount
        let train = randomRows(8, P, seed: 1)
        let trainer = try train.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: Autoencoder(config: config, seed: 4), options: Self.options(epochs: 1), trainRows: $0, count: 8)
        }
        try train.withUnsafeBufferPointer { _ = try trainer.trainEpoch(trainRows: $0, count: 8, validationRows: $0, validationCount: 8) }
        var state = trainer.state
        try AutoencoderCheckpoint.save(trainer.model, training: state, source: "test", to: dir.path("running.h5"))
        #expect(try AutoencoderCheckpoint.load(path: dir.path("running.h5")).training?.diagnostics == nil)
        state.diagnostics = AutoencoderDiagnostics(model: trainer.model, history: trainer.history, trainRows: train, count: 8,
                                                   layerRanges: trainer.objective.reconstruction.layerRanges)
        try AutoencoderCheckpoint.save(trainer.model, training: state, source: "test", to: dir.path("done.h5"))
        let loaded = try #require(try AutoencoderCheckpoint.load(path: dir.path("done.h5")).training?.diagnostics)
        #expect(loaded == state.diagnostics && loaded.epochs == 1 && loaded.spreadRows == 8)
    }
}
