// Forward and backward passes of the autoencoder over activation buffers sized for one batch.
// The tape: encoderForward → decoderForward; decoderBackward → encoderBackward (gradients
// accumulate into the model's FlatParameters; zeroing is the caller's step).
//
// Size legend as in Autoencoder.swift: B, P, T, S = T + 1, D, L, n_l, w_l.
import Tensor

final class AutoencoderWorkspace {
    let arena = Arena()
    let B: Int, P: Int, T: Int, S: Int, D: Int, L: Int
    let training: Bool
    private unowned let model: Autoencoder
    private let layers: [TokenLayout.Layer]
    private let source: [Int32]                       // packed value → flat index [P]
    // Encoder.
    private let tokens: [UnsafeMutablePointer<Float>] // per layer [B·n_l, w_l]
    private let rowsTmp: UnsafeMutablePointer<Float>  // [B·max n_l, D]
    private let encSeq: UnsafeMutablePointer<Float>   // [B,S,D]
    private let encBlocks: TransformerBlocks
    private let summary: UnsafeMutablePointer<Float>  // [B,D]
    /// Latents [B,L] of the last encoder pass.
    let z: UnsafeMutablePointer<Float>
    // Decoder.
    private let zb: UnsafeMutablePointer<Float>       // [B,L] latent + decoder bias
    private let expand: UnsafeMutablePointer<Float>   // [B,D] (repeat decompression)
    private let decSeq: UnsafeMutablePointer<Float>   // [B,T,D]
    private let decBlocks: TransformerBlocks
    private let outTmp: UnsafeMutablePointer<Float>   // [B·max n_l, max w_l]
    /// Decoded rows [B,P] of the last decoder pass.
    let y: UnsafeMutablePointer<Float>
    // Backward scratch (training only).
    private let dEncSeq: UnsafeMutablePointer<Float>  // [B,S,D]
    private let dDecSeq: UnsafeMutablePointer<Float>  // [B,T,D]
    private let dSummary: UnsafeMutablePointer<Float> // [B,D]
    private let dzPre: UnsafeMutablePointer<Float>    // [B,L]
    private let dzb: UnsafeMutablePointer<Float>      // [B,L]
    private let dExpand: UnsafeMutablePointer<Float>  // [B,D]
    private let dRowsTmp: UnsafeMutablePointer<Float> // [B·max n_l, D]
    private let dOutTmp: UnsafeMutablePointer<Float>  // [B·max n_l, max w_l]

    init(model: Autoencoder, batch B: Int, training: Bool) {
        self.model = model
        let c = model.config
        self.B = B; P = model.parameterCount; T = model.layout.tokenCount; S = T + 1
        D = c.modelWidth; L = c.latentSize
        self.training = training
        layers = model.layout.layers
        source = model.layout.packedSourceIndex
        let maxTokens = layers.map(\.tokenCount).max() ?? 0
        let maxWidth = layers.map(\.width).max() ?? 0
        tokens = layers.map { [arena] in arena.make(B * $0.tokenCount * $0.width) }
        rowsTmp = arena.make(B * maxTokens * D)
        encSeq = arena.make(B * S * D)
        encBlocks = TransformerBlocks(parameters: model.parameters, prefix: "encoder.layers", config: c,
                                      batch: B, sequence: S, arena: arena, training: training)
        summary = arena.make(B * D)
        z = arena.make(B * L)
        zb = arena.make(B * L)
        expand = arena.make(c.decompression == .repeat ? B * D : 0)
        decSeq = arena.make(B * T * D)
        decBlocks = TransformerBlocks(parameters: model.parameters, prefix: "decoder.layers", config: c,
                                      batch: B, sequence: T, arena: arena, training: training)
        outTmp = arena.make(B * maxTokens * maxWidth)
        y = arena.make(B * P)
        let n = training ? 1 : 0
        dEncSeq = arena.make(n * B * S * D); dDecSeq = arena.make(n * B * T * D)
        dSummary = arena.make(n * B * D); dzPre = arena.make(n * B * L); dzb = arena.make(n * B * L)
        dExpand = arena.make(n * B * D); dRowsTmp = arena.make(n * B * maxTokens * D)
        dOutTmp = arena.make(n * B * maxTokens * maxWidth)
    }

    private func value(_ name: String) -> UnsafeMutablePointer<Float> { model.parameters.value(name) }
    private func gradient(_ name: String) -> UnsafeMutablePointer<Float> { model.parameters.gradient(name) }

    // MARK: Encoder

    /// z [B,L] from flat rows x [B,P]. A non-nil `stream` turns dropout on (training).
    func encoderForward(_ x: UnsafePointer<Float>, stream: inout RandomStream?) {
        source.withUnsafeBufferPointer { src in
            for (l, layer) in layers.enumerated() {
                let n = layer.tokenCount, w = layer.width, tok = tokens[l]
                // Gather the layer's tokens [B·n_l, w_l] from the flat rows.
                for b in 0..<B {
                    let row = x + b * P, dst = tok + b * n * w
                    for j in 0..<(n * w) { dst[j] = row[Int(src[layer.packedOffset + j])] }
                }
                linearForward(out: rowsTmp, inp: tok,
                              weight: value("encoder.token_embeddings.layer_lst.\(l).weight"),
                              bias: value("encoder.token_embeddings.layer_lst.\(l).bias"),
                              rows: B * n, inFeatures: w, outFeatures: D)
                for b in 0..<B {
                    (encSeq + (b * S + 1 + layer.firstToken) * D).update(from: rowsTmp + b * n * D, count: n * D)
                }
            }
        }
        let comp = value("encoder.comp_token")
        for b in 0..<B { (encSeq + b * S * D).update(from: comp, count: D) }
        addPositionsForward(out: encSeq, inp: encSeq, positions: value("encoder.position_embeddings.weight"),
                            batch: B, sequence: S, channels: D)
        encBlocks.forward(encSeq, stream: &stream)
        lastEncoderDropped = stream != nil
        for b in 0..<B { (summary + b * D).update(from: encBlocks.output + b * S * D, count: D) }
        linearForward(out: z, inp: summary, weight: value("encoder.vec2neck.0.weight"),
                      bias: value("encoder.vec2neck.0.bias"), rows: B, inFeatures: D, outFeatures: L)
        if model.config.bottleneck == .linearBounded {
            for i in 0..<(B * L) { z[i] = tanhf(z[i]) }
        }
    }

    /// Backward of the encoder: accumulates parameter gradients from dZ [B,L].
    func encoderBackward(_ dZ: UnsafePointer<Float>) {
        precondition(training, "encoderBackward needs a training workspace")
        if model.config.bottleneck == .linearBounded {
            for i in 0..<(B * L) { dzPre[i] = dZ[i] * (1 - z[i] * z[i]) }
        } else {
            dzPre.update(from: dZ, count: B * L)
        }
        dSummary.update(repeating: 0, count: B * D)
        linearBackward(dInp: dSummary, dWeight: gradient("encoder.vec2neck.0.weight"),
                       dBias: gradient("encoder.vec2neck.0.bias"), dOut: dzPre, inp: summary,
                       weight: value("encoder.vec2neck.0.weight"), rows: B, inFeatures: D, outFeatures: L)
        dEncSeq.update(repeating: 0, count: B * S * D)
        for b in 0..<B { (dEncSeq + b * S * D).update(from: dSummary + b * D, count: D) }
        encBlocks.backward(dEncSeq, dropped: lastEncoderDropped)
        addPositionsBackward(dInp: nil, dPositions: gradient("encoder.position_embeddings.weight"),
                             dOut: dEncSeq, batch: B, sequence: S, channels: D)
        let dComp = gradient("encoder.comp_token")
        for b in 0..<B {
            let row = dEncSeq + b * S * D
            for d in 0..<D { dComp[d] += row[d] }
        }
        for (l, layer) in layers.enumerated() {
            let n = layer.tokenCount, w = layer.width
            for b in 0..<B {
                (dRowsTmp + b * n * D).update(from: dEncSeq + (b * S + 1 + layer.firstToken) * D, count: n * D)
            }
            linearBackward(dInp: nil, dWeight: gradient("encoder.token_embeddings.layer_lst.\(l).weight"),
                           dBias: gradient("encoder.token_embeddings.layer_lst.\(l).bias"), dOut: dRowsTmp,
                           inp: tokens[l], weight: value("encoder.token_embeddings.layer_lst.\(l).weight"),
                           rows: B * n, inFeatures: w, outFeatures: D)
        }
    }

    // MARK: Decoder

    /// y [B,P] from latents z [B,L]. A non-nil `stream` turns dropout on (training).
    func decoderForward(_ latents: UnsafePointer<Float>, stream: inout RandomStream?) {
        let c = model.config
        zb.update(from: latents, count: B * L)
        if c.decoderBias {
            let bias = value("decoder.decoder_bias")
            for b in 0..<B { for i in 0..<L { zb[b * L + i] += bias[i] } }
        }
        let w = value("decoder.nec2vec.weight"), bias = value("decoder.nec2vec.bias")
        switch c.decompression {
        case .linear:
            linearForward(out: decSeq, inp: zb, weight: w, bias: bias, rows: B, inFeatures: L, outFeatures: T * D)
        case .repeat:
            linearForward(out: expand, inp: zb, weight: w, bias: bias, rows: B, inFeatures: L, outFeatures: D)
            for b in 0..<B { for t in 0..<T { (decSeq + (b * T + t) * D).update(from: expand + b * D, count: D) } }
        }
        addPositionsForward(out: decSeq, inp: decSeq, positions: value("decoder.position_embeddings.weight"),
                            batch: B, sequence: T, channels: D)
        decBlocks.forward(decSeq, stream: &stream)
        lastDecoderDropped = stream != nil
        source.withUnsafeBufferPointer { src in
            for (l, layer) in layers.enumerated() {
                let n = layer.tokenCount, wl = layer.width
                gatherDecoderRows(layer)
                linearForward(out: outTmp, inp: rowsTmp,
                              weight: value("decoder.token_debeddings.layer_lst.\(l).weight"),
                              bias: value("decoder.token_debeddings.layer_lst.\(l).bias"),
                              rows: B * n, inFeatures: D, outFeatures: wl)
                for b in 0..<B {
                    let row = y + b * P, from = outTmp + b * n * wl
                    for j in 0..<(n * wl) { row[Int(src[layer.packedOffset + j])] = from[j] }
                }
            }
        }
    }

    private func gatherDecoderRows(_ layer: TokenLayout.Layer) {
        let n = layer.tokenCount
        for b in 0..<B {
            (rowsTmp + b * n * D).update(from: decBlocks.output + (b * T + layer.firstToken) * D, count: n * D)
        }
    }

    /// Backward of the decoder from dY [B,P]: accumulates parameter gradients and adds dL/dz into dZ [B,L].
    func decoderBackward(_ dY: UnsafePointer<Float>, dZ: UnsafeMutablePointer<Float>) {
        precondition(training, "decoderBackward needs a training workspace")
        let c = model.config
        dDecSeq.update(repeating: 0, count: B * T * D)
        source.withUnsafeBufferPointer { src in
            for (l, layer) in layers.enumerated() {
                let n = layer.tokenCount, wl = layer.width
                for b in 0..<B {
                    let row = dY + b * P, to = dOutTmp + b * n * wl
                    for j in 0..<(n * wl) { to[j] = row[Int(src[layer.packedOffset + j])] }
                }
                gatherDecoderRows(layer)
                dRowsTmp.update(repeating: 0, count: B * n * D)
                let name = "decoder.token_debeddings.layer_lst.\(l)"
                linearBackward(dInp: dRowsTmp, dWeight: gradient("\(name).weight"), dBias: gradient("\(name).bias"),
                               dOut: dOutTmp, inp: rowsTmp, weight: value("\(name).weight"),
                               rows: B * n, inFeatures: D, outFeatures: wl)
                for b in 0..<B {
                    (dDecSeq + (b * T + layer.firstToken) * D).update(from: dRowsTmp + b * n * D, count: n * D)
                }
            }
        }
        decBlocks.backward(dDecSeq, dropped: lastDecoderDropped)
        addPositionsBackward(dInp: nil, dPositions: gradient("decoder.position_embeddings.weight"),
                             dOut: dDecSeq, batch: B, sequence: T, channels: D)
        dzb.update(repeating: 0, count: B * L)
        let w = value("decoder.nec2vec.weight")
        let dw = gradient("decoder.nec2vec.weight"), db = gradient("decoder.nec2vec.bias")
        switch c.decompression {
        case .linear:
            linearBackward(dInp: dzb, dWeight: dw, dBias: db, dOut: dDecSeq, inp: zb, weight: w,
                           rows: B, inFeatures: L, outFeatures: T * D)
        case .repeat:
            dExpand.update(repeating: 0, count: B * D)
            for b in 0..<B { for t in 0..<T {
                let from = dDecSeq + (b * T + t) * D, to = dExpand + b * D
                for d in 0..<D { to[d] += from[d] }
            } }
            linearBackward(dInp: dzb, dWeight: dw, dBias: db, dOut: dExpand, inp: zb, weight: w,
                           rows: B, inFeatures: L, outFeatures: D)
        }
        if c.decoderBias {
            let g = gradient("decoder.decoder_bias")
            for b in 0..<B { for i in 0..<L { g[i] += dzb[b * L + i] } }
        }
        for i in 0..<(B * L) { dZ[i] += dzb[i] }
    }

    /// Which rows of a global batch this workspace holds (data-parallel training), for dropout.
    var dropoutRows: DropoutRows? {
        didSet { encBlocks.dropoutRows = dropoutRows; decBlocks.dropoutRows = dropoutRows }
    }

    /// Whether the last forward passes ran with dropout (their backward must use the same masks).
    var lastEncoderDropped = false
    var lastDecoderDropped = false
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
