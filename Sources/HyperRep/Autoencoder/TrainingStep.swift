// The training step: one forward and backward pass of the objective (AutoencoderObjective) by K
// ranks that each hold an equal slice of the global batch of B models (b = B/K models, both
// views: 2b rows). One process alone is the case K = 1 (`SingleProcessGroup`, whose collectives
// are the identity), so this is the only copy of the loss-and-gradient logic. K ranks compute
// exactly the gradient one process computes on the whole batch, up to float summation order.
//
// - Reconstruction: every rank's loss is a mean over its 2b rows, so the global loss is the
//   mean of the K local losses; each rank back-propagates (1−γ)/K of its local gradient.
// - Contrastive branch: the latents z of all ranks are all-gathered (2B×L floats, small) into
//   the global batch order, and every rank runs the projection head and NT-Xent on the whole
//   global batch. That is the exact global loss: BatchNorm normalises each view by global batch
//   statistics (its backward has the global mean terms) and NT-Xent sees all 2B−2 negatives.
//   Its backward gives dL/dz for every global row, including the terms that reach this rank's
//   rows through the other ranks' similarities and batch statistics; each rank keeps its own
//   rows. The head's computation is identical on all ranks, so its running statistics are too;
//   only rank 0 keeps the head's parameter gradients, so the sum below counts them once.
// - Dropout: masks are drawn for the global batch, each rank keeping its rows (DropoutRows).
// - The gradients are summed over the ranks (one allreduce of all parameters); the losses too.
// - One rank holds the whole batch in order: the gather and the pick of its own rows are the
//   identity and work on the buffers in place, dropout is the plain draw, and dividing by K = 1
//   and the double-precision loss sums are exact, so the step is the one-process step bit for bit.
//
// Size legend: K ranks, B = global models per batch, b = B/K, n = 2b local rows, N = 2B, L, O, P.
import Tensor

/// A rank's place in a training step.
struct DataParallelSlice {
    let group: any TrainingGroup
    /// Models per rank (b) and in the global batch (B = b·K).
    let localModels: Int
    var globalModels: Int { localModels * group.size }

    /// This process alone with the whole batch of `models` models.
    static func whole(models: Int) -> DataParallelSlice {
        DataParallelSlice(group: SingleProcessGroup(), localModels: models)
    }

    /// Global row of local row i: view v = i / b, model j = i % b → v·B + rank·b + j.
    func globalRow(ofLocal i: Int, rank: Int? = nil) -> Int {
        let b = localModels
        return (i / b) * globalModels + (rank ?? group.rank) * b + i % b
    }

    /// The rows whose dropout masks this rank draws; nil for one rank (every row, in order).
    var dropoutRows: DropoutRows? {
        guard group.size > 1 else { return nil }
        return DropoutRows(globalRows: 2 * globalModels, globalIndex: (0..<(2 * localModels)).map { globalRow(ofLocal: $0) })
    }

    /// The latents of the global batch [N, width] in global row order, gathered from every rank's
    /// `local` [n, width] into `buffer` [N, width]; `local` itself for one rank.
    func gatherRows(_ local: UnsafePointer<Float>, width: Int, into buffer: () -> UnsafeMutablePointer<Float>) throws -> UnsafePointer<Float> {
        let K = group.size, n = 2 * localModels
        guard K > 1 else { return local }
        let gathered = try group.allgather(UnsafeBufferPointer(start: local, count: n * width))
        let global = buffer()
        for rank in 0..<K {
            for i in 0..<n {
                let g = globalRow(ofLocal: i, rank: rank)
                for k in 0..<width { global[g * width + k] = gathered[(rank * n + i) * width + k] }
            }
        }
        return UnsafePointer(global)
    }

    /// This rank's rows [n, width] of `global` [N, width], copied into `buffer`; `global` itself
    /// for one rank.
    func ownRows(of global: UnsafeMutablePointer<Float>, width: Int, into buffer: () -> UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard group.size > 1 else { return global }
        let local = buffer()
        for i in 0..<(2 * localModels) {
            let g = globalRow(ofLocal: i)
            for k in 0..<width { local[i * width + k] = global[g * width + k] }
        }
        return local
    }
}

extension Autoencoder {
    /// One training forward and backward pass in this process: `views` [2B, P] holds view i of B
    /// models then view j of the same models. Zeroes the gradients, then fills them with dL/dθ.
    /// Dropout masks are drawn from `stream`, which advances. Returns the losses.
    public func lossAndGradients(views: UnsafePointer<Float>, batch B: Int, objective: AutoencoderObjective,
                                 stream: inout RandomStream) -> AutoencoderLosses {
        do {
            return try lossAndGradients(views: views, slice: .whole(models: B), objective: objective, stream: &stream)
        } catch {
            preconditionFailure("the one-process group's collectives cannot fail, yet: \(error)")
        }
    }

    /// The training step for this rank's slice: `views` [2b, P] holds view i of the rank's b models
    /// then view j of the same models. Afterwards every rank holds the summed (global) gradients and
    /// the global losses. Collectives: one allgather of z (when γ > 0), two allreduces.
    func lossAndGradients(views: UnsafePointer<Float>, slice: DataParallelSlice, objective: AutoencoderObjective,
                          stream: inout RandomStream) throws -> AutoencoderLosses {
        let group = slice.group, K = group.size
        let b = slice.localModels, n = 2 * b, N = 2 * slice.globalModels
        let P = parameterCount, L = latentSize, O = config.projectionOutput
        let ws = workspace(batch: n, training: true)
        ws.dropoutRows = slice.dropoutRows
        let ow = objectiveWorkspace(batch: slice.globalModels)
        parameters.zeroGradients()
        var s: RandomStream? = stream
        ws.encoderForward(views, stream: &s)
        ws.decoderForward(ws.z, stream: &s)
        stream = s!  // set above; the forward passes advance it, never clear it
        let gamma = objective.gamma
        let recon = objective.reconstruction.evaluate(output: ws.y, target: views, rows: n, parameters: P, gradient: ow.dY)
        ow.dZ.update(repeating: 0, count: N * L)
        var contrast: Float = 0
        if gamma > 0 {
            let z = try slice.gatherRows(ws.z, width: L, into: { ow.gatheredZ })   // [N,L]
            ow.head.forward(z, training: true)
            contrast = ntXentLoss(dP: ow.dP, p: ow.head.output, scratch: ow.scratch, rows: N, width: O,
                                  temperature: objective.temperature)
            for i in 0..<(N * O) { ow.dP[i] *= gamma }
            ow.head.backward(ow.dP, dZ: ow.dZ)
            if group.rank != 0 {
                for view in parameters.views where view.name.hasPrefix("projection_head.") {
                    (parameters.gradients + view.offset).update(repeating: 0, count: view.count)
                }
            }
        }
        let dZ = slice.ownRows(of: ow.dZ, width: L, into: { ow.ownDZ })   // [n,L]
        if gamma < 1 {
            let scale = (1 - gamma) / Float(K)
            for i in 0..<(n * P) { ow.dY[i] *= scale }
            ws.decoderBackward(ow.dY, dZ: dZ)
        }
        ws.encoderBackward(dZ)
        try group.allreduceSum(UnsafeMutableBufferPointer(start: parameters.gradients, count: parameters.count))
        var sums = [Double(recon.loss)] + recon.perLayer.map(Double.init)
        try group.allreduceSum(&sums)
        let global = objective.reconstruction.result(loss: Float(sums[0] / Double(K)),
                                                     perLayer: sums.dropFirst().map { Float($0 / Double(K)) })
        return AutoencoderLosses(total: gamma * contrast + (1 - gamma) * global.loss, contrast: contrast, reconstruction: global)
    }
}

/// The rows of a global batch that one data-parallel rank holds: local row i is global row
/// `globalIndex[i]` of `globalRows`.
struct DropoutRows {
    let globalRows: Int
    let globalIndex: [Int]
}

/// A mask of `rows` rows of `rowLength` values. With a window, the values are those a single
/// process would draw for the window's global rows (the stream is counter-based, one draw per
/// value), and the stream then stands where it would after the whole global batch: K ranks drop
/// exactly what one process drops, and the saved stream is the same for any rank count.
func fillDropoutMask(_ mask: UnsafeMutablePointer<Float>, rowLength: Int, rows: Int, window: DropoutRows?,
                     p: Float, stream: inout RandomStream) {
    guard let window else {
        fillDropoutMask(mask, count: rows * rowLength, p: p, stream: &stream)
        return
    }
    precondition(window.globalIndex.count == rows, "dropout window of \(window.globalIndex.count) rows for \(rows)")
    let base = stream.counter
    for (i, g) in window.globalIndex.enumerated() {
        var s = RandomStream(key: stream.key, counter: base &+ UInt64(g * rowLength))
        fillDropoutMask(mask + i * rowLength, count: rowLength, p: p, stream: &s)
    }
    stream.counter = base &+ UInt64(window.globalRows * rowLength)
}
