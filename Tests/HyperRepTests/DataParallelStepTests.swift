// The data-parallel step against the one-process step, with K ranks as threads in this process
// (ThreadGroup: the same collectives as MPI, on shared memory): after one step every rank must
// hold the gradient, losses, BatchNorm running statistics and dropout stream position that one
// process computes on the whole batch, at the default τ = 0.1 with dropout and a 2-layer head.
import Foundation
import Testing
import Tensor
@testable import HyperRep

/// K ranks in one process: each collective waits for all ranks' contributions, then every rank
/// combines them in rank order.
final class ThreadGroup: TrainingGroup, Sendable {
    // unchecked because: every access to slots, arrived, generation and result holds `condition`.
    final class Hub: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var slots: [[Double]?]
        private var arrived = 0, generation = 0
        private var result: [[Double]] = []
        init(size: Int) { self.size = size; slots = Array(repeating: nil, count: size) }

        func exchange(rank: Int, _ values: [Double]) -> [[Double]] {
            condition.lock(); defer { condition.unlock() }
            slots[rank] = values
            arrived += 1
            let mine = generation
            if arrived == size {
                result = slots.map { $0! }
                slots = Array(repeating: nil, count: size)
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
            return result
        }
    }
    let rank: Int, hub: Hub
    var size: Int { hub.size }
    init(rank: Int, hub: Hub) { self.rank = rank; self.hub = hub }

    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        let all = hub.exchange(rank: rank, values.map(Double.init))
        for i in 0..<values.count {
            var s: Float = 0
            for r in 0..<size { s += Float(all[r][i]) }
            values[i] = s
        }
    }
    func allreduceSum(_ values: inout [Double]) throws {
        let all = hub.exchange(rank: rank, values)
        for i in values.indices { values[i] = all.reduce(0) { $0 + $1[i] } }
    }
    func allgather(_ values: UnsafeBufferPointer<Float>) throws -> [Float] {
        hub.exchange(rank: rank, values.map(Double.init)).flatMap { $0.map(Float.init) }
    }
    func barrier() throws { _ = hub.exchange(rank: rank, []) }
}

@Suite struct DataParallelStepTests {
    func config() throws -> AutoencoderConfig {
        AutoencoderConfig(table: try tinyTable(), modelWidth: 8, heads: 2, blocks: 2, feedForwardWidth: 6,
                          latentSize: 4, dropout: 0.2, bottleneck: .linear, decompression: .linear,
                          decoderBias: false, projectionLayers: 2, projectionHidden: 6, projectionOutput: 3)
    }

    @Test(arguments: [2, 4])
    func ranksComputeTheOneProcessStep(ranks K: Int) throws {
        let config = try config()
        let B = 8, b = B / K
        let single = try Autoencoder(config: config, seed: 3)
        let P = single.parameterCount
        let views = randomRows(2 * B, P, seed: 9)
        var recon = ReconstructionLoss(table: config.table, reduction: .globalMean, layerWeights: nil)
        views.withUnsafeBufferPointer { recon.normalize(by: $0, count: 2 * B, parameters: P) }
        let objective = AutoencoderObjective(gamma: 0.3, temperature: 0.1, reconstruction: recon)
        let start = RandomStream(seed: 5, purpose: "dropout")

        var stream = start
        let expected = views.withUnsafeBufferPointer {
            single.lossAndGradients(views: $0.baseAddress!, batch: B, objective: objective, stream: &stream)
        }
        let gradient = Array(UnsafeBufferPointer(start: single.parameters.gradients, count: single.parameters.count))

        let hub = ThreadGroup.Hub(size: K)
        // Autoencoder is not Sendable: each thread uses only its own rank's instance.
        nonisolated(unsafe) let models = try (0..<K).map { _ in try Autoencoder(config: config, seed: 3) }
        nonisolated(unsafe) var results = [(AutoencoderLosses, RandomStream)?](repeating: nil, count: K)
        nonisolated(unsafe) var failures: [String] = []
        let lock = NSLock()
        // One thread per rank (not concurrentPerform, which runs at most one worker per core: with
        // more ranks than cores the collectives would wait for a rank that never starts).
        let finished = DispatchGroup()
        for rank in 0..<K {
            finished.enter()
            Thread {
                defer { finished.leave() }
                let slice = DataParallelSlice(group: ThreadGroup(rank: rank, hub: hub), localModels: b)
                // This rank's models: view i rows, then view j rows (as the trainer lays them out).
                var local = [Float]()
                for v in 0..<2 { for j in 0..<b { let g = v * B + rank * b + j; local += views[(g * P)..<((g + 1) * P)] } }
                var s = start
                do {
                    let losses = try local.withUnsafeBufferPointer {
                        try models[rank].lossAndGradients(views: $0.baseAddress!, slice: slice, objective: objective, stream: &s)
                    }
                    lock.lock(); results[rank] = (losses, s); lock.unlock()
                } catch { lock.lock(); failures.append("\(error)"); lock.unlock() }
            }.start()
        }
        finished.wait()
        #expect(failures.isEmpty, "\(failures)")
        let scale = gradient.map(abs).max()!
        for rank in 0..<K {
            let (losses, s) = try #require(results[rank])
            #expect(s == stream, "rank \(rank): the dropout stream must stand where one process leaves it")
            #expect(abs(losses.contrast - expected.contrast) <= 1e-5 * abs(expected.contrast), "rank \(rank): \(losses.contrast) vs \(expected.contrast)")
            #expect(abs(losses.reconstruction.loss - expected.reconstruction.loss) <= 1e-5 * expected.reconstruction.loss)
            let g = Array(UnsafeBufferPointer(start: models[rank].parameters.gradients, count: models[rank].parameters.count))
            let worst = zip(g, gradient).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "rank \(rank): gradient differs by \(worst) (scale \(scale))")
            // The head's BatchNorm ran on the global batch on every rank: the same running statistics.
            let buffers = models[rank].buffers.valuesArray(), reference = single.buffers.valuesArray()
            #expect(zip(buffers, reference).map { abs($0 - $1) }.max()! <= 1e-6, "rank \(rank): running statistics differ")
            #expect(buffers == models[0].buffers.valuesArray())
        }
    }

    @Test func dropoutOfASliceIsTheGlobalMaskOfItsRows() {
        var whole = RandomStream(seed: 1, purpose: "d")
        let rowLength = 5, rows = 6
        var mask = [Float](repeating: 0, count: rows * rowLength)
        mask.withUnsafeMutableBufferPointer { fillDropoutMask($0.baseAddress!, count: rows * rowLength, p: 0.5, stream: &whole) }
        var part = RandomStream(seed: 1, purpose: "d")
        let window = DropoutRows(globalRows: rows, globalIndex: [1, 4])
        var mine = [Float](repeating: 0, count: 2 * rowLength)
        mine.withUnsafeMutableBufferPointer {
            fillDropoutMask($0.baseAddress!, rowLength: rowLength, rows: 2, window: window, p: 0.5, stream: &part)
        }
        #expect(Array(mine[0..<rowLength]) == Array(mask[(1 * rowLength)..<(2 * rowLength)]))
        #expect(Array(mine[rowLength...]) == Array(mask[(4 * rowLength)..<(5 * rowLength)]))
        #expect(part == whole)
    }
}
