import Foundation

/// Learning rate as a function of the step, with linear warm-up.
///
/// - cosine: `lr(t) = lr_min + (lr_0 − lr_min)·(1 + cos(π·(t − w)/(T − w)))/2` after warm-up `w`.
/// - step: `lr(t) = lr_0 · γ^⌊(t − w)/stepSize⌋`.
/// - constant.
/// During warm-up (`t < w`): `lr(t) = lr_0 · (t + 1)/w`.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case cosine, step, constant }

    public var kind: Kind
    public var baseRate: Float
    public var totalSteps: Int
    public var warmupSteps: Int
    public var minimumRate: Float
    public var stepSize: Int
    public var gamma: Float

    public init(
        kind: Kind, baseRate: Float, totalSteps: Int, warmupSteps: Int = 0, minimumRate: Float = 0,
        stepSize: Int = 1, gamma: Float = 0.1
    ) {
        self.kind = kind; self.baseRate = baseRate; self.totalSteps = max(totalSteps, 1); self.warmupSteps = max(warmupSteps, 0)
        self.minimumRate = minimumRate; self.stepSize = max(stepSize, 1); self.gamma = gamma
    }

    /// The learning rate for 0-based step `t`.
    public func rate(at t: Int) -> Float {
        if t < warmupSteps { return baseRate * Float(t + 1) / Float(warmupSteps) }
        let s = t - warmupSteps
        switch kind {
        case .constant:
            return baseRate
        case .step:
            return baseRate * pow(gamma, Float(s / stepSize))
        case .cosine:
            let span = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(s) / Double(span), 1)
            return minimumRate + (baseRate - minimumRate) * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}
