// The hyper-representation autoencoder's configuration: the official code's `AE_attn` sizes and
// switches, plus the zoo architecture's parameter table that defines the neuron tokens.
import ZooStore

/// How the bottleneck maps the compression token's output to the latent.
public enum BottleneckKind: String, Codable, Sendable, CaseIterable {
    /// `Linear(d_model → latent)` (GHRP `model::bottleneck = "linear"`).
    case linear
    /// `Linear` followed by `tanh` (GHRP `"linear_bounded"`).
    case linearBounded = "linear_bounded"
}

/// How the decoder expands a latent into the token sequence.
public enum DecompressionKind: String, Codable, Sendable, CaseIterable {
    /// `Linear(latent → d_model·T)` reshaped to [T, d_model] (GHRP `"linear"`).
    case linear
    /// `Linear(latent → d_model)` repeated for every token (GHRP `"repeat"`).
    case `repeat`
}

/// Sizes and switches of the autoencoder (GHRP `AE_attn` with neuron tokens and a compression token).
public struct AutoencoderConfig: Codable, Sendable, Equatable {
    /// The zoo architecture whose flat rows the AE reads; its layers define the neuron tokens.
    public var table: ParameterTable
    /// Transformer width d_model (`model::dim_attention_embedding`).
    public var modelWidth: Int
    /// Attention heads (`model::N_attention_heads`); must divide `modelWidth`.
    public var heads: Int
    /// Transformer blocks in the encoder and again in the decoder (`model::N_attention_blocks`).
    public var blocks: Int
    /// Hidden width of the feed-forward sub-layer (`model::attention_hidden_dim`).
    public var feedForwardWidth: Int
    /// Latent size (`model::latent_dim`).
    public var latentSize: Int
    /// Dropout probability in attention weights, residual branches and feed-forward (`model::dropout`).
    public var dropout: Float
    /// Whether blocks apply the pre-norm `Norm` (`model::normalize`).
    public var normalize: Bool
    public var bottleneck: BottleneckKind
    public var decompression: DecompressionKind
    /// A learned bias added to the latent before decoding (`model::decoder_bias`).
    public var decoderBias: Bool
    /// Projection head of the contrastive loss: Linear/BatchNorm/ReLU layers
    /// (`model::projection_head_layers`, `_hdim`, `_odim`, `_batchnorm`).
    public var projectionLayers: Int
    public var projectionHidden: Int
    public var projectionOutput: Int
    public var projectionBatchNorm: Bool

    public init(table: ParameterTable, modelWidth: Int = 64, heads: Int = 4, blocks: Int = 2,
                feedForwardWidth: Int = 128, latentSize: Int = 32, dropout: Float = 0.1,
                normalize: Bool = true, bottleneck: BottleneckKind = .linear,
                decompression: DecompressionKind = .linear, decoderBias: Bool = false,
                projectionLayers: Int = 4, projectionHidden: Int? = nil, projectionOutput: Int? = nil,
                projectionBatchNorm: Bool = true) {
        self.table = table
        self.modelWidth = modelWidth
        self.heads = heads
        self.blocks = blocks
        self.feedForwardWidth = feedForwardWidth
        self.latentSize = latentSize
        self.dropout = dropout
        self.normalize = normalize
        self.bottleneck = bottleneck
        self.decompression = decompression
        self.decoderBias = decoderBias
        self.projectionLayers = projectionLayers
        self.projectionHidden = projectionHidden ?? latentSize
        self.projectionOutput = projectionOutput ?? max(1, latentSize / 2)
        self.projectionBatchNorm = projectionBatchNorm
    }

    /// Checks the sizes; the message names the offending setting.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws {
            if !ok { throw AutoencoderError(message) }
        }
        try need(modelWidth >= 2, "model width must be at least 2, got \(modelWidth)")
        try need(heads >= 1 && modelWidth % heads == 0, "heads (\(heads)) must divide the model width (\(modelWidth))")
        try need(blocks >= 0, "blocks must be ≥ 0, got \(blocks)")
        try need(feedForwardWidth >= 1, "feed-forward width must be ≥ 1, got \(feedForwardWidth)")
        try need(latentSize >= 1, "latent size must be ≥ 1, got \(latentSize)")
        try need(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        try need(projectionLayers >= 1, "projection head needs ≥ 1 layer, got \(projectionLayers)")
        try need(table.parameterCount > 0, "the parameter table is empty")
    }
}

/// An autoencoder configuration or checkpoint problem, as one line.
public struct AutoencoderError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
