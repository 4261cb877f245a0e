// The training objective of the paper's code (GHRP `GammaContrastReconLoss`):
//     L = γ · NT-Xent(head(z_i), head(z_j)) + (1 − γ) · L_rec([y_i; y_j], [x_i; x_j])
// where x_i, x_j are two augmented views of the same B models, z = encoder(x), y = decoder(z),
// and the reconstruction target is the views themselves.
//
// Size legend: B = models per batch, N = 2B rows (view i rows, then view j rows), P, L as before.
import Tensor

/// The loss settings: γ, temperature and the reconstruction loss.
public struct AutoencoderObjective: Codable, Sendable, Equatable {
    /// Weight of the contrastive term (`training::gamma`); 0 = reconstruction only.
    public var gamma: Float
    /// NT-Xent temperature τ (`training::temperature`).
    public var temperature: Float
    public var reconstruction: ReconstructionLoss

    public init(gamma: Float, temperature: Float, reconstruction: ReconstructionLoss) {
        self.gamma = gamma
        self.temperature = temperature
        self.reconstruction = reconstruction
    }
}

/// Losses of one batch.
public struct AutoencoderLosses: Sendable, Equatable {
    public var total: Float
    public var contrast: Float
    public var reconstruction: ReconstructionResult
}

/// Buffers of a training or evaluation step for one batch size.
final class ObjectiveWorkspace {
    let arena = Arena()
    let head: ProjectionHeadWorkspace
    let dY: UnsafeMutablePointer<Float>     // [N,P]
    let dZ: UnsafeMutablePointer<Float>     // [N,L]
    let dP: UnsafeMutablePointer<Float>     // [N,O]
    let scratch: UnsafeMutablePointer<Float>
    /// A data-parallel step's latents of the global batch [N,L] and this rank's rows of dZ
    /// [n ≤ N, L]; made on first use, so one process (which needs neither) allocates nothing more.
    private(set) lazy var gatheredZ: UnsafeMutablePointer<Float> = arena.make(rows * latentSize)
    private(set) lazy var ownDZ: UnsafeMutablePointer<Float> = arena.make(rows * latentSize)
    private let rows: Int, latentSize: Int

    init(model: Autoencoder, batch B: Int) {
        let N = 2 * B, O = model.config.projectionOutput
        rows = N
        latentSize = model.latentSize
        head = ProjectionHeadWorkspace(model: model, groups: 2, rowsPerGroup: B)
        dY = arena.make(N * model.parameterCount)
        dZ = arena.make(N * model.latentSize)
        dP = arena.make(N * O)
        scratch = arena.make(N * N + N * O + N)
    }
}

extension Autoencoder {
    func objectiveWorkspace(batch B: Int) -> ObjectiveWorkspace {
        if let w = objectiveWorkspaceCache, w.head.B == B { return w }
        let w = ObjectiveWorkspace(model: self, batch: B)
        objectiveWorkspaceCache = w
        return w
    }

    /// The training step's losses (TrainingStep.swift) in eval mode (no dropout, BatchNorm with
    /// running statistics), no gradients.
    public func evaluationLosses(views: UnsafePointer<Float>, batch B: Int, objective: AutoencoderObjective) -> AutoencoderLosses {
        let N = 2 * B, P = parameterCount
        let ws = workspace(batch: N, training: false)
        let ow = objectiveWorkspace(batch: B)
        var none: RandomStream? = nil
        ws.encoderForward(views, stream: &none)
        ws.decoderForward(ws.z, stream: &none)
        let recon = objective.reconstruction.evaluate(output: ws.y, target: views, rows: N, parameters: P, gradient: nil)
        var contrast: Float = 0
        if objective.gamma > 0 {
            ow.head.forward(ws.z, training: false)
            contrast = ntXentLoss(dP: ow.dP, p: ow.head.output, scratch: ow.scratch, rows: N,
                                  width: config.projectionOutput, temperature: objective.temperature)
        }
        let g = objective.gamma
        return AutoencoderLosses(total: g * contrast + (1 - g) * recon.loss, contrast: contrast, reconstruction: recon)
    }
}
