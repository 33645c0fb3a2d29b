// Shape and argument validation for the elementwise operations, shared by every backend so
// they all reject the same inputs with the same `TensorError` message.

public enum ElementwiseShapes {
    /// `a` and `b` must have identical shapes (no broadcasting).
    public static func same(_ op: String, _ aName: String, _ a: [Int], _ bName: String, _ b: [Int]) throws {
        try require(a == b, "\(op): \(aName) \(a) and \(bName) \(b) must have the same shape")
    }

    /// `x: [N, C, …]` (rank ≥ 2) with `mask: [C]`; returns the split into N, C and the rest.
    public static func channelMask(_ op: String, x: [Int], mask: [Int]) throws -> PerChannelLayout {
        try require(x.count >= 2, "\(op): x must be [N, C, …] (rank >= 2), got \(x)")
        try require(mask == [x[1]], "\(op): mask must be [\(x[1])] (one per channel of x \(x)), got \(mask)")
        return PerChannelLayout(batch: x[0], channels: x[1], spatial: x.dropFirst(2).reduce(1, *))
    }

    /// `channelMaskBackward`: `dy` has `x`'s shape, `mask: [C]`.
    public static func channelMaskBackward(dy: [Int], x: [Int], mask: [Int]) throws -> PerChannelLayout {
        let op = "channelMaskBackward"
        try same(op, "dy", dy, "x", x)
        return try channelMask(op, x: x, mask: mask)
    }

    /// `index` must address an element of `s` (counted row-major over all of `s`).
    public static func scaleIndex(_ op: String, s: [Int], index: Int) throws {
        let count = s.reduce(1, *)
        try require(index >= 0 && index < count, "\(op): index \(index) is out of range for s \(s) (\(count) elements)")
    }
}
