import TensorCore

/// 2-D convolution `y[n,o] = b[o] + Σ_c w[o,c] ⋆ x[n,c]` with stride, padding, dilation and
/// groups (depthwise when groups = C_in). Weight `[C_out, C_in/groups, k, k]`, Kaiming-normal
/// (fan-out) initialized; optional bias.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let params: Conv2dParams
    public let inChannels: Int, outChannels: Int, kernelSize: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int? = nil,
                dilation: Int = 1, groups: Int = 1, bias: Bool = false, name: String,
                backend: any Backend, rng: inout SeededRandom) throws {
        try require(inChannels > 0 && outChannels > 0 && kernelSize > 0, "\(name): channels and kernel size must be positive")
        try require(inChannels % groups == 0 && outChannels % groups == 0,
                    "\(name): groups \(groups) must divide \(inChannels) input and \(outChannels) output channels")
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize
        params = Conv2dParams(stride: stride, padding: padding ?? dilation * (kernelSize - 1) / 2, dilation: dilation, groups: groups)
        let shape = [outChannels, inChannels / groups, kernelSize, kernelSize]
        let fanOut = outChannels / groups * kernelSize * kernelSize
        weight = Parameter(try backend.upload(Initializer.kaimingNormal(shape.reduce(1, *), fanOut: fanOut, rng: &rng), shape: shape),
                           name: "\(name).weight")
        if bias {
            let fanIn = inChannels / groups * kernelSize * kernelSize
            self.bias = Parameter(try backend.upload(Initializer.fanInUniform(outChannels, fanIn: fanIn, rng: &rng), shape: [outChannels]),
                                  name: "\(name).bias")
        } else {
            self.bias = nil
        }
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.conv2d(x, weight: weight, bias: bias, params: params)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// Fully connected layer `y = x·Wᵀ + b`, `W: [out, in]`, PyTorch's default uniform init.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let inFeatures: Int, outFeatures: Int

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, name: String,
                backend: any Backend, rng: inout SeededRandom) throws {
        try require(inFeatures > 0 && outFeatures > 0, "\(name): feature counts must be positive")
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter(try backend.upload(Initializer.fanInUniform(inFeatures * outFeatures, fanIn: inFeatures, rng: &rng),
                                              shape: [outFeatures, inFeatures]), name: "\(name).weight")
        self.bias = bias ? Parameter(try backend.upload(Initializer.fanInUniform(outFeatures, fanIn: inFeatures, rng: &rng),
                                                        shape: [outFeatures]), name: "\(name).bias") : nil
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.linear(x, weight: weight, bias: bias)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// Batch normalization over `[N, C, H, W]` (or `[N, C]`) per channel, with learnable
/// `γ` (init 1) and `β` (init 0) and running statistics (momentum 0.1, ε = 1e-5).
public final class BatchNorm2d: Layer {
    public let gamma: Parameter
    public let beta: Parameter
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let momentum: Float
    public let epsilon: Float
    public let name: String

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, name: String, backend: any Backend) throws {
        try require(channels > 0, "\(name): channel count must be positive")
        self.name = name; self.momentum = momentum; self.epsilon = epsilon
        gamma = Parameter(try backend.upload([Float](repeating: 1, count: channels), shape: [channels]), name: "\(name).weight")
        beta = Parameter(try backend.zeros([channels]), name: "\(name).bias")
        runningMean = try backend.zeros([channels])
        runningVar = try backend.upload([Float](repeating: 1, count: channels), shape: [channels])
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.batchNorm(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar,
                           momentum: momentum, epsilon: epsilon)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [(name: String, tensor: Tensor)] {
        [(name: "\(name).running_mean", tensor: runningMean), (name: "\(name).running_var", tensor: runningVar)]
    }
}
