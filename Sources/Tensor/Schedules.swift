// Learning-rate schedules, evaluated once per epoch.
//
// Closed forms of torch.optim.lr_scheduler.StepLR and CosineAnnealingLR, and the stateful
// ReduceLROnPlateau (mode 'min', relative threshold), which is the one schedule that needs the
// validation metric.
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A learning-rate schedule.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// base · gamma^⌊epoch / stepSize⌋.
    case step(stepSize: Int, gamma: Float)
    /// minimum + (base − minimum)(1 + cos(π · epoch / epochs)) / 2.
    case cosine(epochs: Int, minimum: Float)
    /// Multiply by `factor` when the monitored metric has not improved by a relative `threshold`
    /// for more than `patience` epochs; never below `minimum`.
    case reduceOnPlateau(factor: Float, patience: Int, threshold: Float, minimum: Float)
}

/// A schedule with the state ReduceLROnPlateau needs.
public struct LearningRateScheduler: Codable, Sendable, Equatable {
    public let schedule: LearningRateSchedule
    public let base: Float
    /// The rate to use in the current epoch.
    public private(set) var current: Float
    private var best: Float?   // nil until a metric is seen (JSON has no infinity)
    private var badEpochs = 0

    public init(_ schedule: LearningRateSchedule, base: Float) {
        self.schedule = schedule
        self.base = base
        self.current = base
    }

    /// Whether `advance` reads the metric: only ReduceLROnPlateau does, so only it makes the
    /// trainer evaluate at epochs whose checkpoints are not kept.
    public var needsMetric: Bool {
        if case .reduceOnPlateau = schedule { return true }
        return false
    }

    /// Moves to epoch `epoch` (0-based: the epoch about to be trained), having seen `metric`
    /// (e.g. validation loss; only ReduceLROnPlateau reads it). Returns the new rate.
    @discardableResult
    public mutating func advance(toEpoch epoch: Int, metric: Float = .nan) -> Float {
        switch schedule {
        case .constant:
            current = base
        case let .step(stepSize, gamma):
            current = base * Float(pow(Double(gamma), Double(epoch / max(stepSize, 1))))
        case let .cosine(epochs, minimum):
            let t = Double(min(epoch, epochs)) / Double(max(epochs, 1))
            current = minimum + (base - minimum) * Float((1 + cos(Double.pi * t)) / 2)
        case let .reduceOnPlateau(factor, patience, threshold, minimum):
            guard !metric.isNaN else { break }
            if best.map({ metric < $0 * (1 - threshold) }) ?? true {
                best = metric
                badEpochs = 0
            } else {
                badEpochs += 1
                if badEpochs > patience {
                    current = max(current * factor, minimum)
                    badEpochs = 0
                }
            }
        }
        return current
    }
}
