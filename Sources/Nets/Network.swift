// Forward and backward passes of a zoo network over a flat parameter row (llm.c's tape).
//
// Size legend:  B = samples in the batch (≤ the workspace's capacity), D = parameters in a row,
//               V = classes. Before `flatten`, activations are channel-major [C, B, H, W] (see
//               Tensor/Conv2d.swift); after it they are [B, F].
// A `NetworkWorkspace` owns every activation, gradient and scratch buffer of one architecture at
// one batch capacity, allocated once; forward and backward then run any row of that
// architecture without allocating. One workspace per thread: it is not shared.
import Tensor

/// A compiled step of the tape: one module with its geometry and buffer positions.
struct NetworkStep {
    var module: ZooModule
    /// Per-sample input and output element counts.
    var inCount: Int, outCount: Int
    /// Input channels and spatial size (conv, pool, flatten), per sample.
    var channels: Int, height: Int, width: Int
    /// Offsets of weight and bias in the row (parameterised modules).
    var weightOffset: Int = 0, biasOffset: Int = 0
    /// Offset (per unit of batch capacity) of this step's output in the activation buffer.
    var outOffset: Int = 0
    /// Scratch: im2col (conv), argmax (pool), mask (dropout), per unit of batch capacity.
    var scratchCount: Int = 0
    var scratchOffset: Int = 0

    /// Whether backward stores this step's input gradient whole (else it accumulates into it).
    var storesInputGradient: Bool {
        switch module {
        case .activation: true
        case .conv2d, .maxPool2d, .dropout, .flatten, .linear: false
        }
    }
}

/// Buffers and tape for one architecture at one batch capacity.
public final class NetworkWorkspace {
    public let architecture: ArchitectureSpec
    /// The largest batch a call may pass.
    public let capacity: Int
    let steps: [NetworkStep]
    /// Activations: the input [capacity·inputFeatures] followed by each step's output.
    let acts: UnsafeMutablePointer<Float>
    /// Gradients w.r.t. each step's output, same offsets as `acts`.
    let grads: UnsafeMutablePointer<Float>
    /// im2col and dropout masks; conv dCol shares the same size.
    let scratch: UnsafeMutablePointer<Float>
    let dScratch: UnsafeMutablePointer<Float>
    let argmax: UnsafeMutablePointer<Int32>
    let totalActs: Int, totalScratch: Int
    /// log-probabilities [capacity, V] and their gradient.
    let logProbs: UnsafeMutablePointer<Float>
    let dLogits: UnsafeMutablePointer<Float>
    /// Whether the first module reads channel-major images (true) or flat rows (MLP).
    public let channelMajorInput: Bool
    /// Whether the last forward drew dropout masks (else dropout was the identity).
    var lastForwardTrained = false

    public convenience init(architecture: ArchitectureSpec, capacity: Int) {
        self.init(architecture: architecture, capacity: capacity, fill: nil)
    }

    /// The buffers are left unwritten (`fill: nil`): every kernel writes what it later reads, and
    /// pages never touched (the gradients of an evaluation-only workspace, the rows of a batch
    /// smaller than the capacity) are never faulted in. Zero-filling them cost more than a
    /// third of a 3000-sample training epoch (page faults and memset of a 10 MB evaluation
    /// workspace per model and epoch). Tests fill them with NaN to prove that nothing reads
    /// them before writing.
    init(architecture: ArchitectureSpec, capacity: Int, fill: Float?) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.architecture = architecture
        self.capacity = capacity
        var steps: [NetworkStep] = []
        var c = architecture.inputChannels, h = architecture.inputHeight, w = architecture.inputWidth
        var flat = architecture.family == .mlp
        var features = architecture.inputFeatures
        var actOffset = features        // the input comes first
        var scratchOffset = 0
        var paramOffset = 0
        for m in architecture.modules {
            var s = NetworkStep(module: m, inCount: flat ? features : c * h * w, outCount: 0,
                                channels: c, height: h, width: w)
            switch m {
            case let .conv2d(ic, oc, k, st, p):
                precondition(!flat && ic == c, "conv2d expects \(ic) channels, gets \(flat ? "flat" : "\(c)")")
                s.weightOffset = paramOffset; s.biasOffset = paramOffset + oc * ic * k * k
                paramOffset = s.biasOffset + oc
                let g = Conv2dGeometry(batch: 1, inChannels: ic, height: h, width: w, outChannels: oc, kernel: k, stride: st, padding: p)
                // Direct convolution (the zoo CNNs) needs scratch only for its input gradient;
                // im2col needs the patch matrix.
                s.scratchCount = g.allowsDirect ? max(g.directBackwardScratchCount, g.directForwardScratchCount)
                                                : g.colRows * g.colColumns
                c = oc; h = g.outHeight; w = g.outWidth
                s.outCount = c * h * w
            case let .maxPool2d(k, st):
                h = (h - k) / st + 1; w = (w - k) / st + 1
                s.outCount = c * h * w
                s.scratchCount = s.outCount   // argmax indices
            case .activation, .dropout:
                s.outCount = s.inCount
                if case .dropout = m { s.scratchCount = s.inCount }
            case .flatten:
                features = c * h * w
                flat = true
                s.outCount = features
            case let .linear(inF, outF):
                let have = flat ? features : c * h * w
                precondition(have == inF, "linear expects \(inF) inputs, gets \(have)")
                flat = true
                s.weightOffset = paramOffset; s.biasOffset = paramOffset + outF * inF
                paramOffset = s.biasOffset + outF
                features = outF
                s.outCount = outF
            }
            if flat { features = s.outCount }
            s.outOffset = actOffset
            actOffset += s.outCount
            s.scratchOffset = scratchOffset
            scratchOffset += s.scratchCount
            steps.append(s)
        }
        precondition(paramOffset == architecture.parameterCount, "tape covers \(paramOffset) of \(architecture.parameterCount) parameters")
        self.steps = steps
        self.totalActs = actOffset
        self.totalScratch = max(scratchOffset, 1)
        channelMajorInput = architecture.family != .mlp
        let V = architecture.classes
        acts = .allocate(capacity: actOffset * capacity)
        grads = .allocate(capacity: actOffset * capacity)
        scratch = .allocate(capacity: totalScratch * capacity)
        dScratch = .allocate(capacity: totalScratch * capacity)
        argmax = .allocate(capacity: totalScratch * capacity)
        logProbs = .allocate(capacity: capacity * V)
        dLogits = .allocate(capacity: capacity * V)
        if let fill {
            for (buffer, count) in [(acts, actOffset), (grads, actOffset), (scratch, totalScratch),
                                    (dScratch, totalScratch), (logProbs, V), (dLogits, V)] {
                buffer.initialize(repeating: fill, count: count * capacity)
            }
            argmax.initialize(repeating: Int32.min, count: totalScratch * capacity)
        }
    }

    deinit {
        acts.deallocate(); grads.deallocate(); scratch.deallocate(); dScratch.deallocate()
        argmax.deallocate(); logProbs.deallocate(); dLogits.deallocate()
    }

    /// Where the caller writes the input batch: [C, B, H, W] channel-major (CNNs) or [B, F] (MLP).
    public var input: UnsafeMutablePointer<Float> { acts }

    /// The logits [B, V] of the last forward call.
    public var logits: UnsafePointer<Float> { UnsafePointer(acts + steps[steps.count - 1].outOffset * capacity) }

    @inline(__always) func out(_ i: Int) -> UnsafeMutablePointer<Float> { acts + steps[i].outOffset * capacity }
    @inline(__always) func inp(_ i: Int) -> UnsafeMutablePointer<Float> { i == 0 ? acts : out(i - 1) }
    @inline(__always) func dOut(_ i: Int) -> UnsafeMutablePointer<Float> { grads + steps[i].outOffset * capacity }

    /// Runs the tape on the B samples in `input`; returns the logits [B, V]. In training mode the
    /// dropout masks are drawn from `stream`; in evaluation mode dropout is the identity.
    @discardableResult
    public func forward(row: UnsafePointer<Float>, batch B: Int, training: Bool,
                        stream: inout RandomStream) -> UnsafePointer<Float> {
        precondition(B > 0 && B <= capacity, "batch \(B) outside 1...\(capacity)")
        lastForwardTrained = training
        for (i, s) in steps.enumerated() {
            let x = UnsafePointer(inp(i)), y = out(i)
            switch s.module {
            case let .conv2d(ic, oc, k, st, p):
                let g = Conv2dGeometry(batch: B, inChannels: ic, height: s.height, width: s.width,
                                       outChannels: oc, kernel: k, stride: st, padding: p)
                if g.allowsDirect {
                    conv2dDirectForward(out: y, inp: x, weight: row + s.weightOffset, bias: row + s.biasOffset, g,
                                        scratch: scratch + s.scratchOffset * capacity)
                } else {
                    conv2dForward(out: y, col: scratch + s.scratchOffset * capacity, inp: x,
                                  weight: row + s.weightOffset, bias: row + s.biasOffset, g)
                }
            case let .maxPool2d(k, st):
                maxPool2dForward(out: y, argmax: argmax + s.scratchOffset * capacity, inp: x,
                                 planes: s.channels * B, height: s.height, width: s.width, kernel: k, stride: st)
            case let .activation(f):
                activationForward(out: y, inp: x, count: s.inCount * B, f)
            case let .dropout(p):
                if training {
                    dropoutForward(out: y, mask: scratch + s.scratchOffset * capacity, inp: x,
                                   count: s.inCount * B, probability: p, stream: &stream)
                } else {
                    y.update(from: x, count: s.inCount * B)
                }
            case .flatten:
                flattenForward(out: y, inp: x, batch: B, channels: s.channels, planeSize: s.height * s.width)
            case let .linear(inF, outF):
                linearForward(out: y, inp: x, weight: row + s.weightOffset, bias: row + s.biasOffset,
                              rows: B, inFeatures: inF, outFeatures: outF)
            }
        }
        return logits
    }

    /// Cross-entropy of the last forward's logits against labels[B]; returns the mean loss and
    /// the number of correct argmax predictions, and (with `gradient`) stores dLoss/dLogits.
    public func loss(labels: UnsafePointer<Int32>, batch B: Int, gradient: Bool,
                     losses: UnsafeMutablePointer<Float>? = nil,
                     predictions: UnsafeMutablePointer<Int32>? = nil) -> (loss: Float, correct: Int) {
        let V = architecture.classes
        let z = logits
        let l = crossEntropyForward(logProbs: logProbs, losses: losses, logits: z, labels: labels, rows: B, classes: V)
        var correct = 0
        for b in 0..<B {
            let r = z + b * V
            var best = 0
            for v in 1..<V where r[v] > r[best] { best = v }
            if Int32(best) == labels[b] { correct += 1 }
            predictions?[b] = Int32(best)
        }
        if gradient {
            dLogits.update(repeating: 0, count: B * V)
            crossEntropyBackward(dLogits: dLogits, logProbs: logProbs, labels: labels, rows: B, classes: V)
        }
        return (l, correct)
    }

    /// Runs the tape backwards from the gradient stored by `loss(…, gradient: true)`,
    /// accumulating into dRow[D]. Call after `forward` with the same row and batch.
    public func backward(row: UnsafePointer<Float>, dRow: UnsafeMutablePointer<Float>, batch B: Int) {
        let last = steps.count - 1
        dOut(last).update(from: dLogits, count: B * architecture.classes)
        for i in stride(from: last, through: 0, by: -1) {
            let s = steps[i]
            let dy = UnsafePointer(dOut(i))
            let dx: UnsafeMutablePointer<Float>? = i == 0 ? nil : dOut(i - 1)
            let x = UnsafePointer(inp(i)), y = UnsafePointer(out(i))
            // Each step's input gradient has this step as its only writer. The activations store
            // it whole; the other kernels accumulate, so it starts at zero.
            if let dx, !s.storesInputGradient { dx.update(repeating: 0, count: s.inCount * B) }
            switch s.module {
            case let .conv2d(ic, oc, k, st, p):
                let g = Conv2dGeometry(batch: B, inChannels: ic, height: s.height, width: s.width,
                                       outChannels: oc, kernel: k, stride: st, padding: p)
                if g.allowsDirect {
                    conv2dDirectBackward(dInp: dx, dWeight: dRow + s.weightOffset, dBias: dRow + s.biasOffset,
                                         scratch: dScratch + s.scratchOffset * capacity, dOut: dy, inp: x,
                                         weight: row + s.weightOffset, g)
                } else {
                    conv2dBackward(dInp: dx, dWeight: dRow + s.weightOffset, dBias: dRow + s.biasOffset,
                                   dCol: dScratch + s.scratchOffset * capacity, dOut: dy,
                                   col: scratch + s.scratchOffset * capacity, weight: row + s.weightOffset, g)
                }
            case let .maxPool2d(k, st):
                if let dx {
                    maxPool2dBackward(dInp: dx, dOut: dy, argmax: argmax + s.scratchOffset * capacity,
                                      planes: s.channels * B, height: s.height, width: s.width, kernel: k, stride: st)
                }
            case let .activation(f):
                if let dx { activationBackward(dInp: dx, dOut: dy, inp: x, out: y, count: s.inCount * B, f, accumulate: false) }
            case .dropout:
                guard let dx else { break }
                if lastForwardTrained {
                    dropoutBackward(dInp: dx, dOut: dy, mask: scratch + s.scratchOffset * capacity, count: s.inCount * B)
                } else {
                    for j in 0..<(s.inCount * B) { dx[j] += dy[j] }
                }
            case .flatten:
                if let dx { flattenBackward(dInp: dx, dOut: dy, batch: B, channels: s.channels, planeSize: s.height * s.width) }
            case let .linear(inF, outF):
                linearBackward(dInp: dx, dWeight: dRow + s.weightOffset, dBias: dRow + s.biasOffset,
                               dOut: dy, inp: x, weight: row + s.weightOffset,
                               rows: B, inFeatures: inF, outFeatures: outF)
            }
        }
    }

    /// Copies samples `indices` of `data` into `input` in this network's layout.
    public func loadBatch(from data: ImageDataset, indices: some Collection<Int>) {
        let B = indices.count, F = data.sampleSize, C = data.channels
        precondition(B <= capacity, "batch \(B) exceeds capacity \(capacity)")
        precondition(F == architecture.inputFeatures,
                      "dataset samples are \(data.channels)×\(data.height)×\(data.width), \(architecture.name) expects \(architecture.inputChannels)×\(architecture.inputHeight)×\(architecture.inputWidth)")
        data.images.withUnsafeBufferPointer { src in
            let HW = data.height * data.width
            for (b, n) in indices.enumerated() {
                let sample = src.baseAddress! + n * F
                if channelMajorInput {
                    for c in 0..<C { (acts + (c * B + b) * HW).update(from: sample + c * HW, count: HW) }
                } else {
                    (acts + b * F).update(from: sample, count: F)
                }
            }
        }
    }
}
