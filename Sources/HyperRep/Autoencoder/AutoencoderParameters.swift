// The autoencoder's parameters, named exactly as the official PyTorch state_dict of `AE_attn`
// (plus the projection head as `projection_head.layers.{j}.*`), so an official checkpoint maps
// onto them by name and our HDF5 checkpoints read like the PyTorch ones.
//
// Size legend: D = model width, F = feed-forward width, L = latent, T = tokens, S = T + 1
// (the compression token first), w_l = token width of layer l, n_l = its tokens.
import Tensor

/// Names and shapes of every tensor of the autoencoder and its projection head, in storage order.
public enum AutoencoderParameterNames {
    /// All tensors: encoder, decoder, then the projection head.
    public static func tensors(_ c: AutoencoderConfig, layout: TokenLayout) -> [(name: String, shape: [Int])] {
        autoencoder(c, layout: layout) + projectionHead(c)
    }

    /// The AE_attn state_dict entries (what `checkpoint_ae.pt` of the official code holds).
    public static func autoencoder(_ c: AutoencoderConfig, layout: TokenLayout) -> [(name: String, shape: [Int])] {
        let D = c.modelWidth, T = layout.tokenCount
        var t: [(name: String, shape: [Int])] = []
        t.append(("encoder.comp_token", [1, 1, D]))
        for (l, layer) in layout.layers.enumerated() {
            t.append(("encoder.token_embeddings.layer_lst.\(l).weight", [D, layer.width]))
            t.append(("encoder.token_embeddings.layer_lst.\(l).bias", [D]))
        }
        t.append(("encoder.position_embeddings.weight", [T + 1, D]))
        for i in 0..<c.blocks { t += block("encoder.layers.\(i)", c) }
        t.append(("encoder.vec2neck.0.weight", [c.latentSize, D]))
        t.append(("encoder.vec2neck.0.bias", [c.latentSize]))
        for (l, layer) in layout.layers.enumerated() {
            t.append(("decoder.token_debeddings.layer_lst.\(l).weight", [layer.width, D]))
            t.append(("decoder.token_debeddings.layer_lst.\(l).bias", [layer.width]))
        }
        t.append(("decoder.position_embeddings.weight", [T, D]))
        for i in 0..<c.blocks { t += block("decoder.layers.\(i)", c) }
        let expand = c.decompression == .linear ? T * D : D
        t.append(("decoder.nec2vec.weight", [expand, c.latentSize]))
        t.append(("decoder.nec2vec.bias", [expand]))
        if c.decoderBias { t.append(("decoder.decoder_bias", [c.latentSize])) }
        return t
    }

    static func block(_ p: String, _ c: AutoencoderConfig) -> [(name: String, shape: [Int])] {
        let D = c.modelWidth, F = c.feedForwardWidth
        var t: [(name: String, shape: [Int])] = []
        if c.normalize {
            t += [("\(p).norm_1.alpha", [D]), ("\(p).norm_1.bias", [D]),
                  ("\(p).norm_2.alpha", [D]), ("\(p).norm_2.bias", [D])]
        }
        for name in ["q_linear", "v_linear", "k_linear", "out"] {
            t += [("\(p).attn.\(name).weight", [D, D]), ("\(p).attn.\(name).bias", [D])]
        }
        t += [("\(p).ff.linear_1.weight", [F, D]), ("\(p).ff.linear_1.bias", [F]),
              ("\(p).ff.linear_2.weight", [D, F]), ("\(p).ff.linear_2.bias", [D])]
        return t
    }

    /// The projection head's layers as (module index of the Linear, in, out, followed by BN, followed by ReLU).
    static func headLayers(_ c: AutoencoderConfig) -> [(index: Int, inputs: Int, outputs: Int, batchNorm: Bool, relu: Bool)] {
        var layers: [(Int, Int, Int, Bool, Bool)] = []
        var index = 0
        var inputs = c.latentSize
        for _ in 0..<c.projectionLayers {
            layers.append((index, inputs, c.projectionHidden, c.projectionBatchNorm, true))
            index += c.projectionBatchNorm ? 3 : 2
            inputs = c.projectionHidden
        }
        layers.append((index, inputs, c.projectionOutput, true, false))
        return layers
    }

    /// The projection head's learnable tensors (BatchNorm running statistics are kept apart).
    public static func projectionHead(_ c: AutoencoderConfig) -> [(name: String, shape: [Int])] {
        var t: [(name: String, shape: [Int])] = []
        for h in headLayers(c) {
            t += [("projection_head.layers.\(h.index).weight", [h.outputs, h.inputs]),
                  ("projection_head.layers.\(h.index).bias", [h.outputs])]
            if h.batchNorm {
                t += [("projection_head.layers.\(h.index + 1).weight", [h.outputs]),
                      ("projection_head.layers.\(h.index + 1).bias", [h.outputs])]
            }
        }
        return t
    }

    /// Fills `p` with PyTorch's default initialisation for each module type: Linear weights and
    /// biases U(±1/√fan_in), embeddings and the compression token N(0,1), Norm alpha 1 / bias 0;
    /// the projection head's Linear weights kaiming-normal with bias 0.01, BatchNorm 1 / 0.
    public static func initialize(_ p: FlatParameters, stream: inout RandomStream) {
        for v in p.views {
            let ptr = p.values + v.offset
            let name = v.name
            if name.hasPrefix("projection_head.") {
                if v.shape.count == 2 {
                    let std = (2 / Float(v.shape[1])).squareRoot()
                    for i in 0..<v.count { ptr[i] = stream.nextNormal() * std }
                } else {
                    // Linear bias 0.01; BatchNorm weight 1, bias 0.
                    let isBias = name.hasSuffix(".bias")
                    let linearBias = isBias && p.view(String(name.dropLast(5)) + ".weight").shape.count == 2
                    let value: Float = isBias ? (linearBias ? 0.01 : 0) : 1
                    ptr.update(repeating: value, count: v.count)
                }
            } else if name.hasSuffix(".alpha") {
                ptr.update(repeating: 1, count: v.count)
            } else if name.contains(".norm_") {
                ptr.update(repeating: 0, count: v.count)
            } else if name.hasSuffix("position_embeddings.weight") || name == "encoder.comp_token" {
                for i in 0..<v.count { ptr[i] = stream.nextNormal() }
            } else if name == "decoder.decoder_bias" {
                for i in 0..<v.count { ptr[i] = stream.nextNormal() / 1000 }
            } else {
                // A Linear's weight [out, in] or bias [out]: bound from the weight's fan-in.
                let weightName = name.hasSuffix(".bias") ? String(name.dropLast(5)) + ".weight" : name
                let fanIn = p.view(weightName).shape[1]
                let bound = 1 / Float(fanIn).squareRoot()
                for i in 0..<v.count { ptr[i] = stream.nextFloat(in: -bound, bound) }
            }
        }
    }
}
