// Shape and argument validation for batch normalization, shared by every backend so they all
// reject the same inputs with the same `TensorError` message.

/// How a channel-wise tensor splits: `x: [N, C, H, W]` (or `[N, C]`, where `spatial = 1`; or
/// `[N, C, …]` in general) is `N` blocks of `C` rows, each row `spatial` contiguous elements of
/// one channel. Used by batch norm and the channel mask.
public struct PerChannelLayout: Sendable, Hashable {
    /// N.
    public let batch: Int
    /// C.
    public let channels: Int
    /// H·W, the product of the dimensions after C (1 for `[N, C]`).
    public let spatial: Int

    public init(batch: Int, channels: Int, spatial: Int) {
        self.batch = batch; self.channels = channels; self.spatial = spatial
    }

    /// Elements reduced per channel: `n = N·H·W`.
    public var perChannel: Int { batch * spatial }

    /// Offset of element `(b, c, s)` in the row-major tensor.
    @inlinable
    public func index(batch b: Int, channel c: Int, spatial s: Int) -> Int { (b * channels + c) * spatial + s }
}

public enum NormalizationShapes {
    /// Splits `x` into N, C, H·W; `x` must be `[N, C, H, W]` or `[N, C]` with at least one channel.
    public static func layout(_ op: String, _ x: [Int]) throws -> PerChannelLayout {
        try require(x.count == 4 || x.count == 2, "\(op): x must be [N, C, H, W] or [N, C], got \(x)")
        try require(x[1] >= 1, "\(op): x must have at least one channel, got \(x)")
        let spatial = x.count == 4 ? x[2] * x[3] : 1
        return PerChannelLayout(batch: x[0], channels: x[1], spatial: spatial)
    }

    /// Every named per-channel parameter must have shape `[C]`.
    static func requirePerChannel(_ op: String, _ layout: PerChannelLayout, _ parameters: [(String, [Int])]) throws {
        for (name, shape) in parameters {
            try require(
                shape == [layout.channels],
                "\(op): \(name) must be [\(layout.channels)] (one per channel), got \(shape)")
        }
    }

    /// `epsilon` must be finite and ≥ 0 (it is added to a variance under a square root).
    static func requireEpsilon(_ op: String, _ epsilon: Float) throws {
        guard epsilon.isFinite && epsilon >= 0 else {
            throw TensorError.argument("\(op): epsilon must be finite and >= 0, got \(epsilon)")
        }
    }

    /// Validates a training-mode forward pass: `x` as in `layout`, with `N·H·W ≥ 1` (the batch
    /// mean needs an element), γ, β and the running statistics `[C]`, `momentum` in [0, 1].
    public static func batchNormTraining(
        x: [Int], gamma: [Int], beta: [Int], runningMean: [Int], runningVar: [Int],
        momentum: Float, epsilon: Float
    ) throws -> PerChannelLayout {
        let op = "batchNormTraining"
        let layout = try self.layout(op, x)
        try require(layout.perChannel >= 1, "\(op): x \(x) has no elements per channel (N·H·W = 0) to take a batch mean over")
        try requirePerChannel(op, layout, [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVar", runningVar)])
        guard momentum.isFinite && momentum >= 0 && momentum <= 1 else {
            throw TensorError.argument("\(op): momentum must be in [0, 1], got \(momentum)")
        }
        try requireEpsilon(op, epsilon)
        return layout
    }

    /// Validates an inference-mode forward pass: γ, β and the running statistics `[C]`.
    public static func batchNormInference(
        x: [Int], gamma: [Int], beta: [Int], runningMean: [Int], runningVar: [Int],
        epsilon: Float
    ) throws -> PerChannelLayout {
        let op = "batchNormInference"
        let layout = try self.layout(op, x)
        try requirePerChannel(op, layout, [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVar", runningVar)])
        try requireEpsilon(op, epsilon)
        return layout
    }

    /// Validates a backward pass: `dy` has `x`'s shape; γ and the saved statistics are `[C]`.
    public static func batchNormBackward(dy: [Int], x: [Int], gamma: [Int], savedMean: [Int], savedInvStd: [Int]) throws -> PerChannelLayout
    {
        let op = "batchNormBackward"
        let layout = try self.layout(op, x)
        try require(dy == x, "\(op): dy \(dy) and x \(x) must have the same shape")
        try requirePerChannel(op, layout, [("gamma", gamma), ("savedMean", savedMean), ("savedInvStd", savedInvStd)])
        return layout
    }
}
