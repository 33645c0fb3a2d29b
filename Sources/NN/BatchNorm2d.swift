import TensorCore

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
        try tape.batchNorm(
            x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar,
            momentum: momentum, epsilon: epsilon)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [(name: String, tensor: Tensor)] {
        [(name: "\(name).running_mean", tensor: runningMean), (name: "\(name).running_var", tensor: runningVar)]
    }
}
