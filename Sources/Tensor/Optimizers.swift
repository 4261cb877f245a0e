// Optimizers over flat parameter buffers: Adam, AdamW, SGD with momentum; gradient clipping.
//
// Size legend:  N = parameters updated in one call (one model, or any contiguous slice).
// State (Adam moments, SGD momentum) lives in flat buffers beside the parameters, llm.c style,
// so one loop updates a whole model. Semantics follow torch.optim.Adam (L2 weight decay added to
// the gradient), torch.optim.AdamW (decoupled decay p ← p·(1 − lr·wd)) and torch.optim.SGD
// (dampening 0; the momentum buffer starts as the first gradient).
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Which update rule.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case adam, adamW = "adamw", sgd
}

/// An optimizer's hyperparameters (PyTorch's defaults unless given).
public struct OptimizerConfig: Codable, Sendable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Float
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// SGD momentum (0 = plain SGD).
    public var momentum: Float
    public var nesterov: Bool

    public init(kind: OptimizerKind, learningRate: Float, weightDecay: Float = 0,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                momentum: Float = 0, nesterov: Bool = false) {
        self.kind = kind; self.learningRate = learningRate; self.weightDecay = weightDecay
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.momentum = momentum; self.nesterov = nesterov
    }

    /// torch.optim.Adam(lr, weight_decay).
    public static func adam(learningRate: Float, weightDecay: Float = 0) -> OptimizerConfig {
        OptimizerConfig(kind: .adam, learningRate: learningRate, weightDecay: weightDecay)
    }
    /// torch.optim.AdamW(lr, weight_decay) (PyTorch's default decay is 0.01).
    public static func adamW(learningRate: Float, weightDecay: Float = 0.01) -> OptimizerConfig {
        OptimizerConfig(kind: .adamW, learningRate: learningRate, weightDecay: weightDecay)
    }
    /// torch.optim.SGD(lr, momentum, weight_decay).
    public static func sgd(learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) -> OptimizerConfig {
        OptimizerConfig(kind: .sgd, learningRate: learningRate, weightDecay: weightDecay, momentum: momentum)
    }

    /// Number of state floats per parameter (Adam: m and v; SGD: the momentum buffer).
    public var stateFloatsPerParameter: Int { kind == .sgd ? 1 : 2 }
}

/// One Adam/AdamW step: updates params[N], m[N], v[N] from grads[N]; `step` is 1-based.
public func adamStep(params: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                     grads: UnsafePointer<Float>, count N: Int, step t: Int, learningRate lr: Float,
                     beta1: Float, beta2: Float, epsilon: Float, weightDecay wd: Float, decoupled: Bool) {
    let bc1 = 1 - Float(pow(Double(beta1), Double(t)))
    let bc2 = 1 - Float(pow(Double(beta2), Double(t)))
    let stepSize = lr / bc1, rbc2 = 1 / bc2.squareRoot()
    let decay: Float = decoupled ? 1 - lr * wd : 1
    let l2: Float = decoupled ? 0 : wd
    for i in 0..<N {
        var p = params[i]
        let g = grads[i] + l2 * p
        p *= decay
        let mi = beta1 * m[i] + (1 - beta1) * g
        let vi = beta2 * v[i] + (1 - beta2) * g * g
        m[i] = mi; v[i] = vi
        params[i] = p - stepSize * mi / (vi.squareRoot() * rbc2 + epsilon)
    }
}

/// One SGD step with momentum μ (dampening 0): buf ← μ·buf + g (buf ← g at step 1),
/// params ← params − lr·buf (or lr·(g + μ·buf) with Nesterov). `step` is 1-based.
public func sgdStep(params: UnsafeMutablePointer<Float>, momentumBuffer buf: UnsafeMutablePointer<Float>,
                    grads: UnsafePointer<Float>, count N: Int, step t: Int, learningRate lr: Float,
                    momentum mu: Float, weightDecay wd: Float, nesterov: Bool) {
    for i in 0..<N {
        let g = grads[i] + wd * params[i]
        var d = g
        if mu != 0 {
            let b = t == 1 ? g : mu * buf[i] + g
            buf[i] = b
            d = nesterov ? g + mu * b : b
        }
        params[i] -= lr * d
    }
}

/// An optimizer with its state for `count` parameters, one allocation. Not Sendable: `step`
/// updates the state and the step count in place, so one thread at a time uses it.
public final class Optimizer {
    public let config: OptimizerConfig
    public let count: Int
    /// Steps taken so far (Adam's bias correction uses it).
    public private(set) var steps: Int = 0
    /// State [stateFloatsPerParameter, count]: Adam m then v, or the SGD momentum buffer.
    public let state: UnsafeMutablePointer<Float>

    public init(_ config: OptimizerConfig, count: Int) {
        self.config = config
        self.count = count
        let n = max(config.stateFloatsPerParameter * count, 1)
        state = .allocate(capacity: n)
        state.initialize(repeating: 0, count: n)
    }

    deinit { state.deallocate() }

    /// Applies one update to values[count] from gradients[count], at `learningRate` if given
    /// (a schedule's value), else the configured rate.
    public func step(values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate: Float? = nil) {
        steps += 1
        let lr = learningRate ?? config.learningRate
        switch config.kind {
        case .adam, .adamW:
            adamStep(params: values, m: state, v: state + count, grads: gradients, count: count, step: steps,
                     learningRate: lr, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                     weightDecay: config.weightDecay, decoupled: config.kind == .adamW)
        case .sgd:
            sgdStep(params: values, momentumBuffer: state, grads: gradients, count: count, step: steps,
                    learningRate: lr, momentum: config.momentum, weightDecay: config.weightDecay,
                    nesterov: config.nesterov)
        }
    }

    /// Updates a `FlatParameters` from its gradients.
    public func step(_ parameters: FlatParameters, learningRate: Float? = nil) {
        precondition(parameters.count == count, "optimizer built for \(count) parameters, got \(parameters.count)")
        step(values: parameters.values, gradients: parameters.gradients, learningRate: learningRate)
    }

    /// Clears the state and the step count (a fresh optimizer).
    public func reset() {
        steps = 0
        state.update(repeating: 0, count: max(config.stateFloatsPerParameter * count, 1))
    }

    /// The state as an array (for checkpoints): steps and the flat state buffer.
    public func saveState() -> (steps: Int, state: [Float]) {
        (steps, Array(UnsafeBufferPointer(start: state, count: config.stateFloatsPerParameter * count)))
    }

    /// Restores what `saveState` returned.
    public func loadState(steps: Int, state saved: [Float]) {
        precondition(saved.count == config.stateFloatsPerParameter * count, "optimizer state has \(saved.count) floats, expected \(config.stateFloatsPerParameter * count)")
        self.steps = steps
        saved.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: saved.count) }
    }
}

/// Scales grads[N] so that their L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_,
/// eps 1e-6); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: UnsafeMutablePointer<Float>, count N: Int, maxNorm: Float) -> Float {
    var s: Double = 0
    for i in 0..<N { s += Double(grads[i]) * Double(grads[i]) }
    let norm = Float(s.squareRoot())
    let coef = maxNorm / (norm + 1e-6)
    if coef < 1 { for i in 0..<N { grads[i] *= coef } }
    return norm
}

/// Clamps each of grads[N] to [−limit, limit] (torch.nn.utils.clip_grad_value_).
public func clipGradientValue(_ grads: UnsafeMutablePointer<Float>, count N: Int, limit: Float) {
    for i in 0..<N { grads[i] = min(max(grads[i], -limit), limit) }
}
