import NN

/// Everything that determines a training run besides the architecture and the data.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case sgd, adamw }

    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 0.1
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var nesterov: Bool = true
    public var optimizer: OptimizerKind = .sgd
    public var schedule: LearningRateSchedule.Kind = .cosine
    /// Linear warm-up length in epochs (fractional allowed).
    public var warmupEpochs: Double = 0.5
    /// Random crop with padding and horizontal flip on the training split.
    public var augment: Bool = true
    public var seed: UInt64 = 42
    public var evaluationBatchSize: Int = 256

    public init() {}

    /// The learning-rate schedule over `stepsPerEpoch · epochs` steps.
    public func learningRateSchedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        let total = stepsPerEpoch * epochs
        return LearningRateSchedule(
            kind: schedule, baseRate: learningRate, totalSteps: total,
            warmupSteps: Int((warmupEpochs * Double(stepsPerEpoch)).rounded()),
            stepSize: max(1, total / 3), gamma: 0.1)
    }
}

/// What went wrong during training, reported as one line.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)
    case incompatibleData(String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step, value):
            "the loss became \(value) at epoch \(epoch + 1), step \(step + 1); training stopped (lower --lr?)"
        case let .incompatibleData(message): message
        }
    }
}
