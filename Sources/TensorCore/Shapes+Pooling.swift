/// Shape validation shared by both backends' pooling operations, so the reference and the
/// device reject the same inputs with the same `TensorError` message (named after the op).
public enum PoolShapes {
    /// The output shape `[N, C, H_out, W_out]` of a windowed pooling of `input` (`opName` is
    /// the operation reporting the error, e.g. "maxPool2d").
    public static func output(_ opName: String, input: [Int], params: Pool2dParams) throws -> [Int] {
        try require(input.allSatisfy { $0 >= 0 }, "\(opName): negative dimension in input \(input)")
        do {
            return try params.outputShape(input: input)
        } catch TensorError.shape(let message) {
            // Pool2dParams names itself "pool2d"; report the operation that was called.
            let detail = message.hasPrefix("pool2d: ") ? String(message.dropFirst("pool2d: ".count)) : message
            throw TensorError.shape("\(opName): \(detail)")
        }
    }

    /// Validates `dy` against the forward output of `inputShape`; returns the output shape.
    public static func backward(_ opName: String, dy: [Int], inputShape: [Int], params: Pool2dParams) throws -> [Int] {
        let expected = try output(opName, input: inputShape, params: params)
        try require(
            dy == expected,
            "\(opName): dy must have the forward output shape \(expected) for input \(inputShape) with \(params), got \(dy)")
        return expected
    }

    /// The output shape `[N, C]` of a global average pooling of `input: [N, C, H, W]`.
    public static func globalAverage(_ opName: String, input: [Int]) throws -> [Int] {
        try require(input.count == 4, "\(opName): input must be [N, C, H, W], got \(input)")
        try require(input.allSatisfy { $0 >= 0 }, "\(opName): negative dimension in input \(input)")
        try require(input[2] >= 1 && input[3] >= 1, "\(opName): spatial size must be at least 1x1, got \(input)")
        return [input[0], input[1]]
    }

    /// Validates `dy: [N, C]` against `inputShape: [N, C, H, W]` of a global average pooling.
    public static func globalAverageBackward(_ opName: String, dy: [Int], inputShape: [Int]) throws {
        let expected = try globalAverage(opName, input: inputShape)
        try require(dy == expected, "\(opName): dy must be \(expected) for input \(inputShape), got \(dy)")
    }
}
