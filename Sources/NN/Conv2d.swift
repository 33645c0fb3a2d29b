import TensorCore

/// 2-D convolution `y[n,o] = b[o] + Σ_c w[o,c] ⋆ x[n,c]` with stride, padding, dilation and
/// groups (depthwise when groups = C_in). Weight `[C_out, C_in/groups, k, k]`, Kaiming-normal
/// (fan-out) initialized; optional bias.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let params: Conv2dParams
    public let inChannels: Int, outChannels: Int, kernelSize: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int? = nil,
        dilation: Int = 1, groups: Int = 1, bias: Bool = false, name: String,
        backend: any Backend, rng: inout SeededRandom
    ) throws {
        try require(inChannels > 0 && outChannels > 0 && kernelSize > 0, "\(name): channels and kernel size must be positive")
        try require(
            inChannels % groups == 0 && outChannels % groups == 0,
            "\(name): groups \(groups) must divide \(inChannels) input and \(outChannels) output channels")
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize
        params = Conv2dParams(stride: stride, padding: padding ?? dilation * (kernelSize - 1) / 2, dilation: dilation, groups: groups)
        let shape = [outChannels, inChannels / groups, kernelSize, kernelSize]
        let fanOut = outChannels / groups * kernelSize * kernelSize
        weight = Parameter(
            try backend.upload(Initializer.kaimingNormal(shape.reduce(1, *), fanOut: fanOut, rng: &rng), shape: shape),
            name: "\(name).weight")
        if bias {
            let fanIn = inChannels / groups * kernelSize * kernelSize
            self.bias = Parameter(
                try backend.upload(Initializer.fanInUniform(outChannels, fanIn: fanIn, rng: &rng), shape: [outChannels]),
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
