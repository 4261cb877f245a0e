// Reading the official code's `config_ae.json` (keys `model::…`, `training::…`) into an
// `AutoencoderConfig`, and its `model::index_dict` into a `ParameterTable`.
import Foundation
import ZooStore

extension ParameterTable {
    /// The zoo architecture described by a GHRP `model::index_dict` (layer list, idx_start,
    /// idx_length, kernel_no, kernel_size, channels_in): per layer `module_list.{i}.weight`
    /// ([out, in, kh, kw] for conv2d with square kernels, [out, in·k] otherwise) then its bias.
    public init(ghrpIndexDict d: [String: Any]) throws {
        func ints(_ key: String) throws -> [Int] {
            guard let a = d[key] as? [Any] else { throw AutoencoderError("model::index_dict: missing list '\(key)'") }
            return try a.map {
                guard let n = ($0 as? NSNumber)?.intValue else { throw AutoencoderError("model::index_dict.\(key): expected integers") }
                return n
            }
        }
        guard let layerList = d["layer"] as? [[Any]] else { throw AutoencoderError("model::index_dict: missing list 'layer'") }
        let start = try ints("idx_start"), length = try ints("idx_length")
        let kernels = try ints("kernel_no"), size = try ints("kernel_size"), channels = try ints("channels_in")
        let n = layerList.count
        guard [start.count, length.count, kernels.count, size.count, channels.count].allSatisfy({ $0 == n }) else {
            throw AutoencoderError("model::index_dict: lists of different lengths (\(n) layers)")
        }
        var tensors: [(name: String, shape: [Int])] = []
        var offset = 0
        for i in 0..<n {
            guard let index = (layerList[i].first as? NSNumber)?.intValue, let kind = layerList[i].last as? String else {
                throw AutoencoderError("model::index_dict.layer[\(i)]: expected [index, \"conv2d\"|\"fc\"]")
            }
            let count = kernels[i] * channels[i] * size[i] + kernels[i]
            guard start[i] == offset, length[i] == count else {
                throw AutoencoderError("model::index_dict layer \(i): idx_start \(start[i]) / idx_length \(length[i]), expected \(offset) / \(count) (weights then bias, contiguous)")
            }
            let side = Int(Double(size[i]).squareRoot().rounded())
            let shape: [Int]
            if kind == "conv2d" {
                shape = side * side == size[i] ? [kernels[i], channels[i], side, side] : [kernels[i], channels[i], size[i], 1]
            } else {
                shape = [kernels[i], channels[i] * size[i]]
            }
            tensors.append(("module_list.\(index).weight", shape))
            tensors.append(("module_list.\(index).bias", [kernels[i]]))
            offset += count
        }
        try self.init(stateDict: tensors)
    }
}

extension AutoencoderConfig {
    /// The configuration of an official GHRP `config_ae.json`.
    ///
    /// Supported: `model::type` transformer, `model::encoding` neuron, `model::compression` token,
    /// `model::transformer_type` pol, `model::bottleneck` linear | linear_bounded,
    /// `model::decompression` linear | repeat, `model::decoder_bias`, one debedder layer.
    /// - Throws: `AutoencoderError` naming the key when a setting is missing or unsupported.
    public init(ghrpJSON data: Data) throws {
        guard let c = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AutoencoderError("config_ae.json: expected a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let v = (c[key] as? NSNumber)?.intValue else { throw AutoencoderError("config_ae.json: missing integer '\(key)'") }
            return v
        }
        func string(_ key: String, default value: String) -> String { c[key] as? String ?? value }
        func require(_ key: String, _ allowed: [String], default value: String) throws -> String {
            let v = string(key, default: value)
            guard allowed.contains(v) else {
                throw AutoencoderError("config_ae.json: '\(key)' = \"\(v)\" is not supported (supported: \(allowed.joined(separator: ", ")))")
            }
            return v
        }
        _ = try require("model::type", ["transformer"], default: "transformer")
        _ = try require("model::encoding", ["neuron"], default: "weight")
        _ = try require("model::compression", ["token"], default: "linear")
        _ = try require("model::transformer_type", ["pol"], default: "pol")
        if let enc = c["model::encoder"] as? String, enc == "attn" {
            throw AutoencoderError("config_ae.json: 'model::encoder' = \"attn\" is not supported (linear token embedders only)")
        }
        if let layers = (c["model::debedder_layers"] as? NSNumber)?.intValue, layers != 1 {
            throw AutoencoderError("config_ae.json: 'model::debedder_layers' = \(layers) is not supported (1 only)")
        }
        let bottleneck = BottleneckKind(rawValue: try require("model::bottleneck", ["linear", "linear_bounded"], default: "linear"))!
        let decompression = DecompressionKind(rawValue: try require("model::decompression", ["linear", "repeat"], default: "linear"))!
        guard let index = c["model::index_dict"] as? [String: Any] else {
            throw AutoencoderError("config_ae.json: missing 'model::index_dict' (needed for neuron tokens)")
        }
        let table = try ParameterTable(ghrpIndexDict: index)
        let iDim = try int("model::i_dim")
        guard iDim == table.parameterCount else {
            throw AutoencoderError("config_ae.json: model::i_dim \(iDim) but model::index_dict covers \(table.parameterCount) parameters")
        }
        let latent = try int("model::latent_dim")
        self.init(table: table,
                  modelWidth: try int("model::dim_attention_embedding"),
                  heads: try int("model::N_attention_heads"),
                  blocks: try int("model::N_attention_blocks"),
                  feedForwardWidth: try int("model::attention_hidden_dim"),
                  latentSize: latent,
                  dropout: (c["model::dropout"] as? NSNumber)?.floatValue ?? 0.1,
                  normalize: (c["model::normalize"] as? Bool) ?? true,
                  bottleneck: bottleneck, decompression: decompression,
                  decoderBias: (c["model::decoder_bias"] as? Bool) ?? false,
                  projectionLayers: (c["model::projection_head_layers"] as? NSNumber)?.intValue ?? 2,
                  projectionHidden: (c["model::projection_head_hdim"] as? NSNumber)?.intValue,
                  projectionOutput: (c["model::projection_head_odim"] as? NSNumber)?.intValue,
                  projectionBatchNorm: (c["model::projection_head_batchnorm"] as? Bool) ?? true)
        try validate()
    }
}

extension Autoencoder {
    /// Loads the official `AE_attn` state_dict (as read from `checkpoint_ae.pt`): every AE tensor
    /// must be present with the expected number of values; unknown names are refused.
    /// The projection head is not part of it and keeps its current values.
    /// - Throws: `AutoencoderError` naming the tensor.
    public func loadStateDict(_ tensors: [(name: String, shape: [Int], values: [Float])], source: String) throws {
        let expected = AutoencoderParameterNames.autoencoder(config, layout: layout)
        var byName: [String: (shape: [Int], values: [Float])] = [:]
        for t in tensors { byName[t.name] = (t.shape, t.values) }
        for (name, shape) in expected {
            guard let t = byName.removeValue(forKey: name) else {
                throw AutoencoderError("\(source): missing tensor '\(name)' (expected shape \(shape)); does the config match the checkpoint?")
            }
            guard t.shape.reduce(1, *) == shape.reduce(1, *), t.values.count == shape.reduce(1, *) else {
                throw AutoencoderError("\(source): tensor '\(name)' has shape \(t.shape), expected \(shape)")
            }
            t.values.withUnsafeBufferPointer { parameters.value(name).update(from: $0.baseAddress!, count: $0.count) }
        }
        if let extra = byName.keys.sorted().first {
            throw AutoencoderError("\(source): unexpected tensor '\(extra)' (\(byName.count) unknown); the config does not describe this checkpoint")
        }
    }
}
