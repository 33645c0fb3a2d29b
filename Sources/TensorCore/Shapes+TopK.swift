// Shape and argument validation for the differentiable top-k of DMS (rankNormalize, softMask,
// softMaskGradRatio, taylorImportanceUpdate), shared by every backend so they all reject the
// same inputs with the same `TensorError` message.

public enum TopKShapes {
    /// The largest element count the top-k operations accept (2³⁰): positions and indices are
    /// 32-bit `int` on the device, with headroom for tile arithmetic past the end.
    public static let maxCount = 1 << 30

    /// `importance: [N]` with `1 ≤ N ≤ maxCount`; returns N.
    public static func vector(_ op: String, _ name: String, _ shape: [Int]) throws -> Int {
        try require(shape.count == 1, "\(op): \(name) must be a vector [N], got \(shape)")
        try require(shape[0] >= 1, "\(op): \(name) must hold at least one element, got \(shape)")
        try require(shape[0] <= maxCount, "\(op): \(name) has \(shape[0]) elements, more than the supported \(maxCount)")
        return shape[0]
    }

    /// `rankNormalize`: `importance: [N]`, N ≥ 1; returns N.
    public static func rankNormalize(importance: [Int]) throws -> Int {
        try vector("rankNormalize", "importance", importance)
    }

    /// `softMask`: `normalized: [N]`, `ratio: [1]`, finite λ; returns N.
    public static func softMask(normalized: [Int], ratio: [Int], lambda: Float) throws -> Int {
        let op = "softMask"
        let n = try vector(op, "normalized", normalized)
        try require(ratio == [1], "\(op): ratio a must be a [1] tensor, got \(ratio)")
        guard lambda.isFinite else { throw TensorError.argument("\(op): lambda must be finite, got \(lambda)") }
        return n
    }

    /// `softMaskGradRatio`: `mask: [N]` and `gradMask: [N]`, finite λ; returns N.
    public static func softMaskGradRatio(mask: [Int], gradMask: [Int], lambda: Float) throws -> Int {
        let op = "softMaskGradRatio"
        let n = try vector(op, "mask", mask)
        try require(gradMask == mask, "\(op): gradMask \(gradMask) must have mask's shape \(mask)")
        guard lambda.isFinite else { throw TensorError.argument("\(op): lambda must be finite, got \(lambda)") }
        return n
    }

    /// `taylorImportanceUpdate`: `importance`, `mask` and `gradMask` all `[N]`, `0 ≤ decay ≤ 1`; returns N.
    public static func taylorImportanceUpdate(importance: [Int], mask: [Int], gradMask: [Int], decay: Float) throws -> Int {
        let op = "taylorImportanceUpdate"
        let n = try vector(op, "importance", importance)
        try require(mask == importance, "\(op): mask \(mask) must have importance's shape \(importance)")
        try require(gradMask == importance, "\(op): gradMask \(gradMask) must have importance's shape \(importance)")
        guard decay >= 0 && decay <= 1 else {
            throw TensorError.argument("\(op): decay must be in [0, 1], got \(decay)")
        }
        return n
    }
}
