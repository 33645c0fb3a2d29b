import TensorCore

// 2-D convolution: each case runs the forward pass and all three gradients (named y, dx, dw,
// db) on one geometry. x, w, b and dy are integers in −3…3, so every product and sum is an
// exact integer in Float32 (the largest, a weight-gradient sum over N·H_out·W_out taps, stays
// far below 2²⁴): the device must match the reference exactly whatever its summation order.
extension VerificationSuite {
    static func convolutionCases() -> [VerifyCase] {
        // (input [N, C, H, W], weight [C_out, C_in/groups, kH, kW], params, bias)
        typealias Geometry = (x: [Int], w: [Int], params: Conv2dParams, bias: Bool, quick: Bool)
        func p(_ stride: Int = 1, _ pad: Int = 0, _ dilation: Int = 1, groups: Int = 1) -> Conv2dParams {
            Conv2dParams(stride: stride, padding: pad, dilation: dilation, groups: groups)
        }
        let geometries: [Geometry] = [
            // A single channel, then 3×3 at channel counts 7 and 31, stride 1 and 2, pad 0–2.
            ([1, 1, 5, 5], [1, 1, 3, 3], p(), true, true),
            ([2, 7, 9, 11], [7, 7, 3, 3], p(1, 1), true, true),
            ([2, 7, 9, 11], [31, 7, 3, 3], p(2, 1), false, false),
            ([1, 31, 10, 12], [31, 31, 3, 3], p(1, 1), true, false),
            ([2, 7, 11, 10], [7, 7, 3, 3], p(1, 2, 2), true, false),
            ([2, 7, 7, 7], [7, 7, 3, 3], p(2, 0, 2), false, false),
            // 1×1: pointwise (the image is its own column matrix), strided, padded-only borders.
            ([1, 31, 13, 7], [7, 31, 1, 1], p(), true, false),
            ([2, 7, 8, 10], [7, 7, 1, 1], p(2), false, false),
            ([1, 3, 4, 5], [2, 3, 1, 1], p(1, 2), true, false),
            // 5×5, with and without dilation; a kernel as large as the image.
            ([2, 7, 12, 9], [5, 7, 5, 5], p(1, 2), true, false),
            ([1, 7, 15, 13], [7, 7, 5, 5], p(2, 2, 2), false, false),
            ([2, 7, 7, 7], [7, 7, 7, 7], p(), true, false),
            ([1, 7, 1, 1], [7, 7, 3, 3], p(1, 1), true, false),
            // Non-square kernels, strides, paddings and dilations.
            (
                [2, 7, 10, 9], [7, 7, 3, 5], Conv2dParams(strideH: 1, strideW: 2, padH: 1, padW: 2, dilationH: 2, dilationW: 1, groups: 1),
                true, false
            ),
            (
                [1, 7, 9, 17], [31, 7, 1, 3], Conv2dParams(strideH: 2, strideW: 1, padH: 0, padW: 1, dilationH: 1, dilationW: 2, groups: 1),
                false, false
            ),
            // Stride 3 and even kernel sizes; outputs 16+ columns wide (several 8-column tiles).
            ([2, 7, 16, 17], [9, 7, 3, 3], p(3, 1), true, false),
            (
                [1, 5, 11, 25], [6, 5, 2, 4], Conv2dParams(strideH: 3, strideW: 3, padH: 1, padW: 2, dilationH: 1, dilationW: 3, groups: 1),
                false, false
            ),
            ([2, 16, 18, 33], [16, 16, 3, 3], p(1, 1), true, false),
            ([2, 8, 10, 24], [18, 4, 3, 3], p(1, 1, groups: 2), false, false),
            // Stride 2, dilation 1 (the direct input gradient of conv_direct_strided.cl): three
            // column tiles and a partial one, paddings 0 and 2, even and 5×5 kernels, a 1-row
            // input, a non-square kernel with unequal paddings, 2 groups.
            ([1, 7, 7, 70], [9, 7, 3, 3], p(2, 1), true, false),
            ([2, 7, 9, 10], [7, 7, 3, 3], p(2, 0), false, false),
            ([2, 7, 10, 9], [7, 7, 3, 3], p(2, 2), false, false),
            ([2, 5, 9, 11], [7, 5, 2, 2], p(2), true, false),
            ([1, 7, 11, 13], [5, 7, 5, 5], p(2, 2), false, false),
            ([3, 7, 1, 5], [7, 7, 3, 3], p(2, 1), false, false),
            (
                [2, 7, 6, 9], [7, 7, 1, 3], Conv2dParams(strideH: 2, strideW: 2, padH: 0, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
                false, false
            ),
            ([2, 14, 11, 9], [6, 7, 3, 3], p(2, 1, groups: 2), true, false),
            // Grouped: 2 groups, also strided and dilated.
            ([2, 14, 9, 7], [6, 7, 3, 3], p(1, 1, groups: 2), true, false),
            ([1, 14, 11, 12], [4, 7, 3, 3], p(2, 2, 2, groups: 2), false, false),
            ([2, 14, 6, 5], [14, 7, 1, 1], p(groups: 2), true, false),
            // Depthwise (one input channel per group), with channel multiplier 2, strides, dilation.
            ([2, 7, 9, 11], [7, 1, 3, 3], p(1, 1, groups: 7), true, false),
            ([1, 31, 12, 10], [31, 1, 5, 5], p(2, 2, groups: 31), false, false),
            ([2, 7, 8, 9], [14, 1, 3, 3], p(1, 1, 2, groups: 7), true, false),
            (
                [2, 7, 13, 9], [7, 1, 3, 1], Conv2dParams(strideH: 2, strideW: 1, padH: 1, padW: 0, dilationH: 2, dilationW: 1, groups: 7),
                false, false
            ),
            // One input channel, many outputs (C_in = groups = 1 takes the depthwise path).
            ([2, 1, 17, 13], [7, 1, 3, 3], p(1, 1), true, false),
            ([1, 1, 31, 31], [7, 1, 5, 5], p(2, 2), false, false),
        ]
        return geometries.enumerated().map { index, g in
            convolutionCase(x: g.x, w: g.w, params: g.params, bias: g.bias, seed: 0xC0_0000 + UInt64(index), quick: g.quick)
        }
    }

    /// Forward and backward of one convolution: outputs y, dx, dw and db (db of the same dy,
    /// also without a forward bias).
    private static func convolutionCase(
        x xShape: [Int], w wShape: [Int], params: Conv2dParams, bias: Bool,
        seed: UInt64, quick: Bool
    ) -> VerifyCase {
        let description = "x\(xShape) w\(wShape) \(params)\(bias ? " bias" : "")"
        return VerifyCase(family: .conv, operation: "conv2d", shape: description, tolerance: .exact, quick: quick) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.integers(xShape.reduce(1, *)), shape: xShape)
            let w = try backend.upload(rng.integers(wShape.reduce(1, *)), shape: wShape)
            let b = try bias ? backend.upload(rng.integers(wShape[0]), shape: [wShape[0]]) : nil
            let y = try backend.conv2d(x, weight: w, bias: b, params: params)
            let dy = try backend.upload(rng.integers(y.count), shape: y.shape)
            let dx = try backend.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params)
            let dw = try backend.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)
            let db = try backend.conv2dBackwardBias(dy)
            return [
                try NamedOutput("y", y, on: backend), try NamedOutput("dx", dx, on: backend),
                try NamedOutput("dw", dw, on: backend), try NamedOutput("db", db, on: backend),
            ]
        }
    }
}
