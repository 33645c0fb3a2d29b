import Foundation
import TensorCore

/// The cell-search algorithms.
public enum CellMethod: String, CaseIterable, Sendable, Codable {
    /// DARTS, first order: `g_α = ∇_α L_val(w, α)`.
    case darts
    /// DARTS, second order: the unrolled gradient with the finite-difference Hessian-vector product.
    case darts2
    /// PC-DARTS: partial channels (K = 4) with the shuffle, edge normalization β, α frozen at first.
    case pcdarts
    /// GDAS: Gumbel-softmax, hard one-hot forward, one operation per edge computed.
    case gdas
}

/// Every setting of a cell search, with the official values unless a preset says otherwise.
public struct CellSearchConfiguration: Sendable, Equatable, Codable {
    public var method: CellMethod
    public var space: CellSpace
    public var size: CellNetworkSize
    public var epochs: Int
    public var batchSize: Int
    /// w: SGD, per-epoch cosine from `weightLearningRate` to `weightMinimumRate`.
    public var weightLearningRate: Float
    public var weightMinimumRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    /// Global gradient-norm clip of the w-step (5 in every official search).
    public var gradientClip: Float
    /// α (and β): Adam with L2 weight decay added to the gradient.
    public var architectureLearningRate: Double
    public var architectureWeightDecay: Double
    public var architectureBeta1: Double
    public var architectureBeta2: Double
    /// PC-DARTS: the K of partial channels, and the fraction of epochs α and β stay frozen.
    public var partialChannels: Int
    public var architectureWarmupFraction: Double
    /// GDAS: τ from `temperatureMax` to `temperatureMin` linearly over the epochs.
    public var temperatureMax: Double
    public var temperatureMin: Double
    /// Random crop and flip on both halves (the official loaders do).
    public var augment: Bool
    /// Held-out images the supernet is evaluated on after each epoch (0: none).
    public var evaluationImages: Int
    /// Steps between snapshots of α in the history (the α-evolution charts).
    public var recordInterval: Int
    /// Stop after this many iterations (`--search-steps`), even inside an epoch; nil: all epochs.
    public var stepLimit: Int?
    public var seed: UInt64

    /// The official settings of `method` (see `../shared/darts-family.md`): DARTS batch 64, w-SGD
    /// 0.025 → 0.001, momentum 0.9, wd 3e-4, α Adam 3e-4 (0.5, 0.999) wd 1e-3, 50 epochs; PC-DARTS
    /// batch 256, w 0.1 → 0, α 6e-4, frozen 15 of 50 epochs, K = 4; GDAS nesterov w-SGD 0.025 →
    /// 0.001, wd 5e-4, τ 10 → 0.1, 250 epochs (NAS-Bench-201) with batch 64.
    public static func official(_ method: CellMethod, space: CellSpace) -> CellSearchConfiguration {
        let size =
            space == .nb201
            ? CellNetworkSize(channels: 16, cells: 5, nodes: 3) : CellNetworkSize(channels: 16, cells: 8, nodes: 4)
        var c = CellSearchConfiguration(
            method: method, space: space, size: size, epochs: 50, batchSize: 64, weightLearningRate: 0.025, weightMinimumRate: 0.001,
            momentum: 0.9, weightDecay: 3e-4, nesterov: false, gradientClip: 5, architectureLearningRate: 3e-4,
            architectureWeightDecay: 1e-3, architectureBeta1: 0.5, architectureBeta2: 0.999, partialChannels: 1,
            architectureWarmupFraction: 0, temperatureMax: 10, temperatureMin: 0.1, augment: true, evaluationImages: 10_000,
            recordInterval: 10, stepLimit: nil, seed: 42)
        switch method {
        case .darts, .darts2: break
        case .pcdarts:
            c.batchSize = 256; c.weightLearningRate = 0.1; c.weightMinimumRate = 0; c.architectureLearningRate = 6e-4
            c.partialChannels = 4; c.architectureWarmupFraction = 15.0 / 50
        case .gdas:
            c.nesterov = true; c.weightDecay = 5e-4
            c.epochs = space == .nb201 ? 250 : 240
            c.batchSize = space == .nb201 ? 64 : 256
        }
        return c
    }

    /// The reduced settings that run on a 2-core CPU in about half an hour (the shared notes'
    /// budget): NAS-Bench-201 with C = 8, 2 cells per stage at 16×16; DARTS with C = 8, 5 cells.
    /// Deliberate deviation: Adam moves each α by at most about its rate per step, so with
    /// `steps` steps instead of the official ≈19.5k the α rate is rescaled to keep the official
    /// total movement (≈ 3e-4 × 19.5k ≈ 6): `6 / steps`, capped at 0.01.
    public static func reduced(_ method: CellMethod, space: CellSpace, epochs: Int, stepsPerEpoch: Int) -> CellSearchConfiguration {
        var c = official(method, space: space)
        c.size =
            space == .nb201
            ? CellNetworkSize(channels: 8, cells: 2, nodes: 3, inputChannels: 1)
            : CellNetworkSize(channels: 8, cells: 5, nodes: 4, inputChannels: 1)
        c.epochs = epochs
        c.batchSize = space == .nb201 ? 64 : 32
        if method == .pcdarts { c.batchSize = space == .nb201 ? 128 : 64; c.size.channels = 16 }
        let steps = max(1, epochs * stepsPerEpoch)
        let officialMovement = (method == .pcdarts ? 6e-4 : 3e-4) * 19_500
        c.architectureLearningRate = min(0.01, officialMovement / Double(steps))
        c.evaluationImages = 2000
        return c
    }

    /// Checks what would fail later, naming the setting.
    public func validate() throws {
        try require(epochs >= 1 && batchSize >= 1, "cell search: epochs and batch size must be ≥ 1")
        try require(size.channels >= 1 && size.cells >= 1 && size.nodes >= 1, "cell search: channels, cells and nodes must be ≥ 1")
        try require(
            partialChannels >= 1 && size.channels % partialChannels == 0,
            "cell search: partial channels K = \(partialChannels) must divide the width C = \(size.channels)")
        try require(method != .pcdarts || partialChannels >= 1, "cell search: pcdarts needs K ≥ 1")
        try require(temperatureMax > 0 && temperatureMin > 0, "cell search: temperatures must be positive")
        try require(
            architectureWarmupFraction >= 0 && architectureWarmupFraction < 1, "cell search: the α warm-up fraction must be in [0, 1)")
    }

    /// The w learning rate of epoch e (0-based): `min + (max − min)(1 + cos(π e/E))/2`.
    public func weightRate(epoch: Int) -> Float {
        weightMinimumRate + (weightLearningRate - weightMinimumRate) * Float(1 + cos(Double.pi * Double(epoch) / Double(epochs))) / 2
    }

    /// GDAS' τ at epoch e: `max − (max − min)·e/(E − 1)`.
    public func temperature(epoch: Int) -> Double {
        epochs <= 1 ? temperatureMax : temperatureMax - (temperatureMax - temperatureMin) * Double(epoch) / Double(epochs - 1)
    }

    /// Whether α is updated during epoch e (PC-DARTS freezes it for the first fraction).
    public func updatesArchitecture(epoch: Int) -> Bool { Double(epoch) >= architectureWarmupFraction * Double(epochs) }
}
