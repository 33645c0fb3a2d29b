import Foundation
import NN
import Training

/// DMS pipelines of the paper's Table 1.
public enum Pipeline: String, Codable, CaseIterable, Sendable {
    /// Search a random-init supernet (weights and structure), retrain the result from scratch.
    case np
    /// Pretrain the supernet, search, fine-tune keeping the top-k channels' weights.
    case p
    /// Pretrained weights, structure only, no retraining.
    case pMinus = "p-"
}

/// The arms of a comparison: each is trained with the same recipe and seeds as the others.
public enum Arm: String, Codable, CaseIterable, Sendable, Comparable {
    /// The architecture DMS found (retrained, fine-tuned, or evaluated as pruned).
    case dms
    /// The base family uniformly scaled in width to the DMS result's resource (±1%).
    case uniform
    /// An architecture drawn at random from the same search space at the same resource (±2%).
    case random

    public static func < (a: Arm, b: Arm) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// Everything that defines a search run; stored as `plan.json` in its folder, so a resumed run
/// is refused when any of it differs (the repeat count may grow).
public struct SearchPlan: Codable, Equatable, Sendable {
    public var pipeline: Pipeline = .np
    public var resource: ResourceKind = .macs
    /// The final resource target, absolute.
    public var target: Double
    public var base: Architecture
    public var supernet: Architecture
    /// The search settings (its seed is replaced by each repeat's).
    public var search: DMSConfiguration
    /// The recipe every arm is retrained with (its seed is replaced by each repeat's).
    public var retrain: TrainingConfiguration
    /// Supernet pretraining epochs (pipeline p).
    public var pretrainEpochs: Int = 0
    /// Paired repeats: repeat r (1-based) uses seed `seed + r − 1` for initialization, batches,
    /// the search and the random draw of every arm.
    public var repeats: Int = 1
    public var seed: UInt64 = 42
    public var arms: [Arm] = Arm.allCases
    /// Fraction of the training split held out (fixed split, seed 0) for validation: the
    /// search and all retraining use the rest; the report gives validation and test accuracy.
    public var validationFraction: Double = 1.0 / 12
    /// Pipeline p-: training images whose batch statistics replace the pruned network's running
    /// statistics before it is evaluated (`BatchNormRecalibration`); nil or 0 keeps the supernet's
    /// (plans stored before this option read as nil).
    public var recalibrationImages: Int?

    public init(base: Architecture, supernet: Architecture, target: Double, search: DMSConfiguration, retrain: TrainingConfiguration) {
        self.base = base; self.supernet = supernet; self.target = target; self.search = search; self.retrain = retrain
    }

    /// The seed of repeat `r` (1-based).
    public func seed(ofRepeat r: Int) -> UInt64 { seed &+ UInt64(r - 1) }

    /// Whether a run made with `stored` may continue under this plan (only `repeats` may differ).
    public func canResume(_ stored: SearchPlan) -> Bool {
        var a = self, b = stored
        a.repeats = 0; b.repeats = 0
        return a == b
    }
}

/// One arm's result in one repeat.
public struct ArmResult: Codable, Equatable, Sendable {
    public var arm: Arm
    public var repeatIndex: Int
    public var seed: UInt64
    public var macs: Int
    public var parameters: Int
    public var depths: String
    public var testAccuracy: Double
    public var validationAccuracy: Double?
    /// Seconds of training (0 when evaluated only).
    public var trainSeconds: Double
    /// Seconds of the search that produced it (DMS only).
    public var searchSeconds: Double?
    public var note: String?

    public init(
        arm: Arm, repeatIndex: Int, seed: UInt64, macs: Int, parameters: Int, depths: String, testAccuracy: Double,
        validationAccuracy: Double?, trainSeconds: Double, searchSeconds: Double?, note: String?
    ) {
        self.arm = arm; self.repeatIndex = repeatIndex; self.seed = seed; self.macs = macs; self.parameters = parameters
        self.depths = depths; self.testAccuracy = testAccuracy; self.validationAccuracy = validationAccuracy
        self.trainSeconds = trainSeconds; self.searchSeconds = searchSeconds; self.note = note
    }
}
