/// Every size of one 2-D convolution, validated once and shared by both backends' four
/// convolution operations, so the reference and the device reject the same inputs with the
/// same `TensorError` message (named after the operation that was called).
///
/// Input `[N, C_in, H, W]`, weight `[C_out, C_in/groups, kH, kW]`, output `[N, C_out, H_out, W_out]`
/// with `H_out = (H + 2·padH − dilationH·(kH − 1) − 1) / strideH + 1` (likewise W).
public struct ConvGeometry: Sendable, Hashable, CustomStringConvertible {
    public let batch: Int
    public let inChannels: Int, inHeight: Int, inWidth: Int
    public let outChannels: Int, outHeight: Int, outWidth: Int
    public let kernelH: Int, kernelW: Int
    public let params: Conv2dParams

    /// Validates `input` and `weight` shapes against `params`; `opName` prefixes every message.
    public init(_ opName: String, input: [Int], weight: [Int], params: Conv2dParams) throws {
        try require(input.count == 4, "\(opName): input must be [N, C, H, W], got \(input)")
        try require(weight.count == 4, "\(opName): weight must be [C_out, C_in/groups, kH, kW], got \(weight)")
        try require((input + weight).allSatisfy { $0 >= 0 }, "\(opName): negative dimension in input \(input) or weight \(weight)")
        try require(
            params.strideH >= 1 && params.strideW >= 1 && params.dilationH >= 1 && params.dilationW >= 1
                && params.padH >= 0 && params.padW >= 0 && params.groups >= 1,
            "\(opName): invalid parameters (\(params)): stride, dilation and groups must be ≥ 1, padding ≥ 0")
        try require(input[1] >= 1 && weight[0] >= 1, "\(opName): channel counts must be ≥ 1 (input \(input), weight \(weight))")
        try require(weight[2] >= 1 && weight[3] >= 1, "\(opName): kernel must be at least 1x1, got weight \(weight)")
        let groups = params.groups
        try require(
            input[1] % groups == 0 && weight[0] % groups == 0,
            "\(opName): groups \(groups) must divide input channels \(input[1]) and output channels \(weight[0])")
        try require(
            weight[1] == input[1] / groups,
            "\(opName): weight \(weight) expects \(weight[1]) input channels per group, input \(input) has \(input[1]) channels in \(groups) group(s)"
        )
        let spanH = params.dilationH * (weight[2] - 1) + 1, spanW = params.dilationW * (weight[3] - 1) + 1
        try require(
            input[2] + 2 * params.padH >= spanH && input[3] + 2 * params.padW >= spanW,
            "\(opName): kernel \(weight[2])x\(weight[3]) (dilated span \(spanH)x\(spanW)) does not fit input \(input[2])x\(input[3]) padded by \(params.padH)x\(params.padW)"
        )
        batch = input[0]
        inChannels = input[1]; inHeight = input[2]; inWidth = input[3]
        outChannels = weight[0]; kernelH = weight[2]; kernelW = weight[3]
        outHeight = (input[2] + 2 * params.padH - spanH) / params.strideH + 1
        outWidth = (input[3] + 2 * params.padW - spanW) / params.strideW + 1
        self.params = params
        // Device kernels index with 32-bit ints; the im2col matrix of one image is the largest.
        let largest = [
            inputShape.reduce(1, *), outputShape.reduce(1, *), weightShape.reduce(1, *),
            columnRowsPerImage * outHeight * outWidth,
        ].max()!
        try require(
            largest <= Int(Int32.max), "\(opName): tensors over 2³¹−1 elements are not supported (input \(input), weight \(weight))")
    }

    public var groups: Int { params.groups }
    public var inChannelsPerGroup: Int { inChannels / groups }
    public var outChannelsPerGroup: Int { outChannels / groups }
    public var inputShape: [Int] { [batch, inChannels, inHeight, inWidth] }
    public var weightShape: [Int] { [outChannels, inChannelsPerGroup, kernelH, kernelW] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    /// Output pixels per channel, `H_out·W_out`.
    public var outputPixels: Int { outHeight * outWidth }
    /// Rows of one image's im2col matrix: `C_in·kH·kW` (each group owns `C_in/groups·kH·kW` of them).
    public var columnRowsPerImage: Int { inChannels * kernelH * kernelW }
    /// Depthwise: several groups of one input channel each, so each output channel reads exactly
    /// one input channel (`C_out/groups` output channels per input channel). A single-channel
    /// input with one group (a grayscale stem) is an ordinary convolution: the dense kernels,
    /// which block output channels, run it several times faster than the per-channel ones.
    public var isDepthwise: Bool { inChannelsPerGroup == 1 && groups > 1 }
    /// Multiply-adds of the forward pass (each backward pass costs the same).
    public var multiplyAdds: Int { batch * outChannels * outputPixels * inChannelsPerGroup * kernelH * kernelW }

    public var description: String {
        "x\(inputShape) w\(weightShape) → y\(outputShape) \(params)"
    }

    // MARK: Per-operation validation

    /// `conv2d(x, weight:, bias:, params:)`: bias, when present, is `[C_out]`.
    public static func forward(input: [Int], weight: [Int], bias: [Int]?, params: Conv2dParams) throws -> ConvGeometry {
        let geometry = try ConvGeometry("conv2d", input: input, weight: weight, params: params)
        if let bias {
            try require(bias == [geometry.outChannels], "conv2d: bias must be [\(geometry.outChannels)] (C_out), got \(bias)")
        }
        return geometry
    }

    /// `conv2dBackwardInput(dy, weight:, inputShape:, params:)`: dy must be the forward output shape.
    public static func backwardInput(dy: [Int], weight: [Int], inputShape: [Int], params: Conv2dParams) throws -> ConvGeometry {
        let geometry = try ConvGeometry("conv2dBackwardInput", input: inputShape, weight: weight, params: params)
        try require(
            dy == geometry.outputShape,
            "conv2dBackwardInput: dy must have the forward output shape \(geometry.outputShape), got \(dy)")
        return geometry
    }

    /// `conv2dBackwardWeight(dy, input:, weightShape:, params:)`: dy must be the forward output shape.
    public static func backwardWeight(dy: [Int], input: [Int], weightShape: [Int], params: Conv2dParams) throws -> ConvGeometry {
        let geometry = try ConvGeometry("conv2dBackwardWeight", input: input, weight: weightShape, params: params)
        try require(
            dy == geometry.outputShape,
            "conv2dBackwardWeight: dy must have the forward output shape \(geometry.outputShape), got \(dy)")
        return geometry
    }

    /// `conv2dBackwardBias(dy)`: dy is `[N, C_out, H_out, W_out]`; returns `C_out`.
    public static func backwardBias(dy: [Int]) throws -> Int {
        try require(dy.count == 4, "conv2dBackwardBias: dy must be [N, C_out, H_out, W_out], got \(dy)")
        try require(dy.allSatisfy { $0 >= 0 }, "conv2dBackwardBias: negative dimension in dy \(dy)")
        try require(dy.reduce(1, *) <= Int(Int32.max), "conv2dBackwardBias: dy \(dy) has more than 2³¹−1 elements")
        return dy[1]
    }
}
