import TensorCore

/// Fully connected layer `y = x·Wᵀ + b`, `W: [out, in]`, PyTorch's default uniform init.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let inFeatures: Int, outFeatures: Int

    public init(
        _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, name: String,
        backend: any Backend, rng: inout SeededRandom
    ) throws {
        try require(inFeatures > 0 && outFeatures > 0, "\(name): feature counts must be positive")
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter(
            try backend.upload(
                Initializer.fanInUniform(inFeatures * outFeatures, fanIn: inFeatures, rng: &rng),
                shape: [outFeatures, inFeatures]), name: "\(name).weight")
        self.bias =
            bias
            ? Parameter(
                try backend.upload(
                    Initializer.fanInUniform(outFeatures, fanIn: inFeatures, rng: &rng),
                    shape: [outFeatures]), name: "\(name).bias") : nil
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.linear(x, weight: weight, bias: bias)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}
