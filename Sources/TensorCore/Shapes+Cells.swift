// Shape and argument validation for the cell operations of the DARTS family (channel copies,
// channel shuffle, weighted sums, spatial crops), shared by every backend so all of them reject
// the same inputs with the same `TensorError` message.

/// `x: [N, C, …]` seen as N rows of C channels of `spatial` contiguous elements each.
public struct ChannelBlocks: Equatable, Sendable {
    public let batch: Int
    public let channels: Int
    public let spatial: Int
}

public enum CellShapes {
    /// `copyChannels`: same N and trailing dimensions, both channel ranges inside their tensors.
    public static func copyChannels(
        source: [Int], from: Int, destination: [Int], at: Int, count: Int
    ) throws -> (
        source: ChannelBlocks, destination: ChannelBlocks
    ) {
        let op = "copyChannels"
        try require(source.count >= 2 && destination.count >= 2, "\(op): tensors must be [N, C, …], got \(source) and \(destination)")
        try require(
            source[0] == destination[0] && Array(source.dropFirst(2)) == Array(destination.dropFirst(2)),
            "\(op): source \(source) and destination \(destination) must agree in every dimension but the channels")
        try require(count >= 0, "\(op): count must be ≥ 0, got \(count)")
        try require(
            from >= 0 && from + count <= source[1],
            "\(op): channels \(from)..<\(from + count) are outside the source's \(source[1])")
        try require(
            at >= 0 && at + count <= destination[1],
            "\(op): channels \(at)..<\(at + count) are outside the destination's \(destination[1])")
        let spatial = source.dropFirst(2).reduce(1, *)
        return (
            ChannelBlocks(batch: source[0], channels: source[1], spatial: spatial),
            ChannelBlocks(batch: destination[0], channels: destination[1], spatial: spatial)
        )
    }

    /// `channelShuffle`: `x: [N, C, …]` with `groups` dividing C.
    public static func channelShuffle(_ x: [Int], groups: Int) throws -> ChannelBlocks {
        try require(x.count >= 2, "channelShuffle: x must be [N, C, …], got \(x)")
        try require(
            groups >= 1 && x[1] % groups == 0, "channelShuffle: groups \(groups) must be ≥ 1 and divide the \(x[1]) channels")
        return ChannelBlocks(batch: x[0], channels: x[1], spatial: x.dropFirst(2).reduce(1, *))
    }

    /// `weightedSum`: at least one input, all of one shape, and `weights: [inputs.count]`.
    public static func weightedSum(_ op: String, inputs: [[Int]], weights: [Int]) throws {
        try require(!inputs.isEmpty, "\(op): needs at least one input")
        try require(
            inputs.allSatisfy { $0 == inputs[0] },
            "\(op): inputs must share one shape, got \(inputs.map { "\($0)" }.joined(separator: ", "))")
        try require(weights == [inputs.count], "\(op): weights must be [\(inputs.count)] (one per input), got \(weights)")
    }

    /// `weightedSumBackward`: as `weightedSum`, with `dy` of the inputs' shape.
    public static func weightedSumBackward(dy: [Int], inputs: [[Int]], weights: [Int]) throws {
        try weightedSum("weightedSumBackward", inputs: inputs, weights: weights)
        try require(dy == inputs[0], "weightedSumBackward: dy \(dy) must have the inputs' shape \(inputs[0])")
    }

    /// `cropSpatial`: `x: [N, C, H, W]` and a window inside it; returns the output shape.
    public static func cropSpatial(_ x: [Int], top: Int, left: Int, height: Int, width: Int) throws -> [Int] {
        try require(x.count == 4, "cropSpatial: x must be [N, C, H, W], got \(x)")
        try require(
            top >= 0 && left >= 0 && height >= 1 && width >= 1 && top + height <= x[2] && left + width <= x[3],
            "cropSpatial: window rows \(top)..<\(top + height), columns \(left)..<\(left + width) is outside \(x[2])×\(x[3])")
        return [x[0], x[1], height, width]
    }

    /// `cropSpatialBackward`: `dy` is a window of `inputShape` at `(top, left)`.
    public static func cropSpatialBackward(dy: [Int], inputShape: [Int], top: Int, left: Int) throws {
        try require(dy.count == 4, "cropSpatialBackward: dy must be [N, C, h, w], got \(dy)")
        let expected = try cropSpatial(inputShape, top: top, left: left, height: dy[2], width: dy[3])
        try require(dy == expected, "cropSpatialBackward: dy \(dy) does not match a crop of \(inputShape) (expected \(expected))")
    }
}
