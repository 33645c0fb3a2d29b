/// Stride, padding, dilation and groups of a 2-D convolution.
///
/// Output size per spatial axis: `(in + 2·pad − dilation·(k − 1) − 1) / stride + 1`.
public struct Conv2dParams: Sendable, Hashable, Codable, CustomStringConvertible {
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(
            strideH: stride, strideW: stride, padH: padding, padW: padding,
            dilationH: dilation, dilationW: dilation, groups: groups)
    }

    public init(strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int, groups: Int) {
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.groups = groups
    }

    public var description: String {
        "stride \(strideH)x\(strideW) pad \(padH)x\(padW) dilation \(dilationH)x\(dilationW) groups \(groups)"
    }

    /// Output shape `[N, C_out, H_out, W_out]` for input `[N, C_in, H, W]` and weight
    /// `[C_out, C_in/groups, kH, kW]`; throws on any inconsistency.
    public func outputShape(input: [Int], weight: [Int]) throws -> [Int] {
        try require(input.count == 4, "conv2d: input must be [N, C, H, W], got \(input)")
        try require(weight.count == 4, "conv2d: weight must be [C_out, C_in/groups, kH, kW], got \(weight)")
        try require(
            strideH >= 1 && strideW >= 1 && dilationH >= 1 && dilationW >= 1 && padH >= 0 && padW >= 0 && groups >= 1,
            "conv2d: invalid parameters (\(self))")
        let (cIn, cOut) = (input[1], weight[0])
        try require(
            cIn % groups == 0 && cOut % groups == 0,
            "conv2d: groups \(groups) must divide input channels \(cIn) and output channels \(cOut)")
        try require(
            weight[1] == cIn / groups,
            "conv2d: weight expects \(weight[1]) input channels per group, input has \(cIn) channels in \(groups) group(s)")
        let outH = (input[2] + 2 * padH - dilationH * (weight[2] - 1) - 1) / strideH + 1
        let outW = (input[3] + 2 * padW - dilationW * (weight[3] - 1) - 1) / strideW + 1
        try require(
            input[2] + 2 * padH - dilationH * (weight[2] - 1) - 1 >= 0 && input[3] + 2 * padW - dilationW * (weight[3] - 1) - 1 >= 0,
            "conv2d: kernel \(weight[2])x\(weight[3]) with \(self) does not fit input \(input[2])x\(input[3])")
        return [input[0], cOut, outH, outW]
    }
}

/// Window, stride and padding of a 2-D max or average pooling.
///
/// Output size per spatial axis: `(in + 2·pad − k) / stride + 1`. Padding must be at most
/// half the window so every window holds at least one real element.
public struct Pool2dParams: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int

    public init(kernel: Int, stride: Int, padding: Int = 0) {
        self.init(kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride, padH: padding, padW: padding)
    }

    public init(kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int) {
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
    }

    public var description: String { "kernel \(kernelH)x\(kernelW) stride \(strideH)x\(strideW) pad \(padH)x\(padW)" }

    /// Output shape `[N, C, H_out, W_out]` for input `[N, C, H, W]`.
    public func outputShape(input: [Int]) throws -> [Int] {
        try require(input.count == 4, "pool2d: input must be [N, C, H, W], got \(input)")
        try require(
            kernelH >= 1 && kernelW >= 1 && strideH >= 1 && strideW >= 1 && padH >= 0 && padW >= 0,
            "pool2d: invalid parameters (\(self))")
        try require(2 * padH <= kernelH && 2 * padW <= kernelW, "pool2d: padding must be at most half the window (\(self))")
        try require(
            input[2] + 2 * padH >= kernelH && input[3] + 2 * padW >= kernelW,
            "pool2d: window \(kernelH)x\(kernelW) does not fit input \(input[2])x\(input[3]) with padding")
        return [input[0], input[1], (input[2] + 2 * padH - kernelH) / strideH + 1, (input[3] + 2 * padW - kernelW) / strideW + 1]
    }
}

/// Results of a training-mode batch normalization forward pass.
public struct BatchNormForward: Sendable {
    /// `y = γ·(x − μ_B)·invstd_B + β`, shape of `x`.
    public let output: Tensor
    /// Batch mean per channel `[C]`, saved for the backward pass.
    public let savedMean: Tensor
    /// `1/sqrt(σ²_B + ε)` per channel `[C]` (biased batch variance), saved for backward.
    public let savedInvStd: Tensor

    public init(output: Tensor, savedMean: Tensor, savedInvStd: Tensor) {
        self.output = output; self.savedMean = savedMean; self.savedInvStd = savedInvStd
    }
}

/// Gradients of batch normalization with respect to its input and affine parameters.
public struct BatchNormGradients: Sendable {
    public let input: Tensor
    public let gamma: Tensor
    public let beta: Tensor

    public init(input: Tensor, gamma: Tensor, beta: Tensor) {
        self.input = input; self.gamma = gamma; self.beta = beta
    }
}

/// Hyper-parameters of one SGD step (PyTorch semantics).
public struct SGDParameters: Sendable, Hashable, Codable {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool

    public init(learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
    }
}

/// Hyper-parameters of one Adam or AdamW step.
public struct AdamParameters: Sendable, Hashable, Codable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// true: AdamW (decay applied to the weights directly); false: L2 added to the gradient.
    public var decoupledWeightDecay: Bool

    public init(
        learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupledWeightDecay: Bool = true
    ) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay
    }
}
