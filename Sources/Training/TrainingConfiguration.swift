import Datasets
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
    /// Side of DARTS' cutout square on the training split (0: none; 16 is DARTS' CIFAR-10 value).
    public var cutout: Int = 0
    public var seed: UInt64 = 42
    public var evaluationBatchSize: Int = 256

    public init() {}

    /// The training split's augmentation for square images of `imageSize` pixels.
    public func augmentation(imageSize: Int) -> Augmentation {
        augment
            ? Augmentation.standard(imageSize: imageSize, cutout: cutout)
            : Augmentation(cropPadding: 0, horizontalFlip: false, cutout: cutout)
    }

    /// The learning-rate schedule over `stepsPerEpoch · epochs` steps.
    public func learningRateSchedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        let total = stepsPerEpoch * epochs
        return LearningRateSchedule(
            kind: schedule, baseRate: learningRate, totalSteps: total,
            warmupSteps: Int((warmupEpochs * Double(stepsPerEpoch)).rounded()),
            stepSize: max(1, total / 3), gamma: 0.1)
    }
}

extension TrainingConfiguration {
    private enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, momentum, weightDecay, nesterov, optimizer, schedule, warmupEpochs, augment
        case cutout, seed, evaluationBatchSize
    }

    /// Decodes a stored configuration; `cutout`, added later, reads as 0 from checkpoints and plans
    /// written before it existed, so they still resume.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        momentum = try c.decode(Float.self, forKey: .momentum)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        nesterov = try c.decode(Bool.self, forKey: .nesterov)
        optimizer = try c.decode(OptimizerKind.self, forKey: .optimizer)
        schedule = try c.decode(LearningRateSchedule.Kind.self, forKey: .schedule)
        warmupEpochs = try c.decode(Double.self, forKey: .warmupEpochs)
        augment = try c.decode(Bool.self, forKey: .augment)
        cutout = try c.decodeIfPresent(Int.self, forKey: .cutout) ?? 0
        seed = try c.decode(UInt64.self, forKey: .seed)
        evaluationBatchSize = try c.decode(Int.self, forKey: .evaluationBatchSize)
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
