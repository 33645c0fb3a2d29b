import NN

/// The settings of a DMS search (the paper's defaults unless noted).
public struct DMSConfiguration: Codable, Equatable, Sendable {
    /// Total search steps (batches).
    public var steps: Int = 600
    public var batchSize: Int = 128
    /// Weights: SGD.
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// Structure: Adam on the ratios `a` (cosine-decayed over the search). Each active step
    /// moves `a` by about this much, i.e. `lr·N` channels, so it sets how finely the final
    /// resource lands on the target.
    public var structureLearningRate: Float = 0.005
    /// The structure rate over the search: cosine decay (to 1/20) or constant (the official code).
    /// Paired ablation at 25% of ResNet-20 (3 repeats, 300 steps, 4 epochs): constant − cosine
    /// +0.32 test points (−0.02…+0.65) and +0.22 validation (−0.60…+1.04), within noise, but the
    /// constant rate lands 2.3–3.3% under the target (cosine 0.5–2.3%): cosine stays the default.
    public var structureSchedule: StructureSchedule = .cosine
    /// Importance moving-average decay.
    public var importanceDecay: Float = 0.99
    /// λ multipliers: λ = widthLambda·N for widths, depthLambda·N for depths.
    public var widthLambda: Float = 1
    public var depthLambda: Float = 4
    /// Weight of the resource loss `λ_res·log(r_c/r_t)`.
    public var resourceWeight: Float = 1
    /// Fraction of the steps over which the target moves from the full model to the final target.
    public var decayFraction: Double = 0.6
    /// Whether the weights are trained during the search (false: the `p-` pipeline).
    public var trainWeights: Bool = true
    public var augment: Bool = true
    public var seed: UInt64 = 42
    /// Checkpoint interval in steps.
    public var checkpointInterval: Int = 50
    /// Fixes of the method turned back off to measure what each is worth; nil or empty: none
    /// (configurations stored before this option read as nil).
    public var ablations: [DMSAblation]?

    /// Whether `ablation` is turned on.
    public func ablates(_ ablation: DMSAblation) -> Bool { ablations?.contains(ablation) ?? false }

    public init() {}
}

/// How the structure learning rate changes over a search.
public enum StructureSchedule: String, Codable, Sendable, CaseIterable {
    case cosine, constant
}

/// A correction of `shared/dms-method.md` undone, restoring the earlier behaviour, so a paired
/// run can measure what the correction is worth (`diffnas search --ablate …`). Never a default.
public enum DMSAblation: String, Codable, Sendable, CaseIterable {
    /// `a` starts at 1/(2N) and is clamped to [1/(2N), 1 − 1/(2N)] instead of starting at 0 and
    /// clamping from 0 (a single element that must stay still holds at 0).
    case ratioStart = "ratio-start"
    /// Depth units keep learning through the refine phase with soft masks instead of freezing
    /// to hard 0/1 masks once the target stops falling.
    case depthFreeze = "depth-freeze"
    /// Each stage's stream mask scales every block output (the identity path then carries m^k)
    /// instead of acting once where the stream is read.
    case streamOnce = "stream-once"
}
