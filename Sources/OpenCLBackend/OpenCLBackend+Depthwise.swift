import OpenCLRuntime
import TensorCore

// Depthwise convolution (C_out = C_in = groups, one filter per channel) on the device:
// Kernels/depthwise.cl, compiled per window (kernel size, stride, padding, dilation) so the tap
// loops unroll. Channel multipliers > 1, stride-2 input gradients and every weight gradient keep
// the generic kernels of conv.cl (a register-tap weight gradient with a local tree measured 0.87×
// their speed on PoCL: 2.45 against 2.82 GFLOP/s at 144×16×16 3×3, batch 128).
extension OpenCLBackend {
    /// Whether `g` is a plain depthwise convolution (one output channel per input channel).
    func usesDepthwiseKernels(_ g: ConvGeometry) -> Bool { g.isDepthwise && g.outChannels == g.inChannels }

    /// The -D set of one window (`flip`: taps reversed, for the input gradient).
    func depthwiseDefines(_ g: ConvGeometry, flip: Bool = false, padH: Int? = nil, padW: Int? = nil) -> [String: String] {
        [
            "DW_KH": "\(g.kernelH)", "DW_KW": "\(g.kernelW)", "DW_SH": "\(flip ? 1 : g.params.strideH)",
            "DW_SW": "\(flip ? 1 : g.params.strideW)", "DW_PH": "\(padH ?? g.params.padH)", "DW_PW": "\(padW ?? g.params.padW)",
            "DW_DH": "\(g.params.dilationH)", "DW_DW": "\(g.params.dilationW)", "DW_FLIP": flip ? "1" : "0",
        ]
    }

    func depthwiseForward(_ x: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, into y: Tensor) throws {
        try launch(
            "depthwise.cl", "depthwise_forward", defines: depthwiseDefines(g), global: [g.outWidth, g.outHeight, g.batch * g.inChannels],
            [
                .buffer(buffer(x)), .buffer(buffer(weight)), .buffer(buffer(bias ?? weight)), .int(bias == nil ? 0 : 1), .buffer(buffer(y)),
                .index(g.batch), .index(g.inChannels), .index(g.inHeight), .index(g.inWidth), .index(g.outHeight), .index(g.outWidth),
            ])
    }

    /// Stride 1: `dx` is the correlation of `dy` with the flipped taps, padded by `(K − 1)·D − P`.
    /// Returns false (nothing launched) where that does not apply.
    func depthwiseBackwardInput(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor) throws -> Bool {
        let padH = (g.kernelH - 1) * g.params.dilationH - g.params.padH, padW = (g.kernelW - 1) * g.params.dilationW - g.params.padW
        guard g.params.strideH == 1 && g.params.strideW == 1 && padH >= 0 && padW >= 0 else { return false }
        try launch(
            "depthwise.cl", "depthwise_forward", defines: depthwiseDefines(g, flip: true, padH: padH, padW: padW),
            global: [g.inWidth, g.inHeight, g.batch * g.inChannels],
            [
                .buffer(buffer(dy)), .buffer(buffer(weight)), .buffer(buffer(weight)), .int(0), .buffer(buffer(dx)), .index(g.batch),
                .index(g.inChannels), .index(g.outHeight), .index(g.outWidth), .index(g.inHeight), .index(g.inWidth),
            ])
        return true
    }
}
