// One data-parallel training step: K ranks each hold an equal slice of the global batch of B
// models (b = B/K models, both views: 2b rows) and together compute exactly the gradient one
// process computes on the whole batch, up to float summation order.
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
//
// Size legend: K ranks, B = global models per batch, b = B/K, n = 2b local rows, N = 2B, L, O, P.
import Tensor

/// A rank's place in a data-parallel step.
struct DataParallelSlice {
    let group: any TrainingGroup
    /// Models per rank (b) and in the global batch (B = b·K).
    let localModels: Int
    var globalModels: Int { localModels * group.size }

    /// Global row of local row i: view v = i / b, model j = i % b → v·B + rank·b + j.
    func globalRow(ofLocal i: Int, rank: Int? = nil) -> Int {
        let b = localModels
        return (i / b) * globalModels + (rank ?? group.rank) * b + i % b
    }

    var dropoutRows: DropoutRows {
        DropoutRows(globalRows: 2 * globalModels, globalIndex: (0..<(2 * localModels)).map { globalRow(ofLocal: $0) })
    }
}

extension Autoencoder {
    /// `lossAndGradients` for this rank's slice: `views` [2b, P] holds view i of the rank's b models
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
        stream = s!
        let gamma = objective.gamma
        var recon = objective.reconstruction.evaluate(output: ws.y, target: views, rows: n, parameters: P, gradient: ow.dY)
        var dZ = [Float](repeating: 0, count: n * L)
        var contrast: Float = 0
        if gamma > 0 {
            let gathered = try group.allgather(UnsafeBufferPointer(start: ws.z, count: n * L))
            var z = [Float](repeating: 0, count: N * L)
            for rank in 0..<K {
                for i in 0..<n {
                    let g = slice.globalRow(ofLocal: i, rank: rank)
                    for k in 0..<L { z[g * L + k] = gathered[(rank * n + i) * L + k] }
                }
            }
            z.withUnsafeBufferPointer { ow.head.forward($0.baseAddress!, training: true) }
            contrast = ntXentLoss(dP: ow.dP, p: ow.head.output, scratch: ow.scratch, rows: N, width: O,
                                  temperature: objective.temperature)
            for i in 0..<(N * O) { ow.dP[i] *= gamma }
            ow.dZ.update(repeating: 0, count: N * L)
            ow.head.backward(ow.dP, dZ: ow.dZ)
            if group.rank != 0 {
                for view in parameters.views where view.name.hasPrefix("projection_head.") {
                    (parameters.gradients + view.offset).update(repeating: 0, count: view.count)
                }
            }
            for i in 0..<n {
                let g = slice.globalRow(ofLocal: i)
                for k in 0..<L { dZ[i * L + k] = ow.dZ[g * L + k] }
            }
        }
        if gamma < 1 {
            let scale = (1 - gamma) / Float(K)
            for i in 0..<(n * P) { ow.dY[i] *= scale }
            dZ.withUnsafeMutableBufferPointer { ws.decoderBackward(ow.dY, dZ: $0.baseAddress!) }
        }
        dZ.withUnsafeBufferPointer { ws.encoderBackward($0.baseAddress!) }
        try group.allreduceSum(UnsafeMutableBufferPointer(start: parameters.gradients, count: parameters.count))
        var sums = [Double(recon.loss)] + recon.perLayer.map(Double.init)
        try group.allreduceSum(&sums)
        recon.loss = Float(sums[0] / Double(K))
        recon.perLayer = sums.dropFirst().map { Float($0 / Double(K)) }
        // R² of a training step is not used (validation reports it); keep it consistent with the loss.
        recon.rSquared = objective.reconstruction.meanLossTotal.isNaN ? .nan : 1 - recon.loss / objective.reconstruction.meanLossTotal
        recon.rSquaredPerLayer = []
        return AutoencoderLosses(total: gamma * contrast + (1 - gamma) * recon.loss, contrast: contrast, reconstruction: recon)
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
