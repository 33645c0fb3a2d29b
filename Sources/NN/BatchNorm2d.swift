import TensorCore

/// Batch normalization over `[N, C, H, W]` (or `[N, C]`) per channel, with learnable
/// `γ` (init 1) and `β` (init 0) and running statistics (momentum 0.1, ε = 1e-5).
public final class BatchNorm2d: Layer {
    public let gamma: Parameter
    public let beta: Parameter
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// Weight of the batch's statistics in the running ones: r ← (1 − momentum)·r + momentum·s
    /// (s: the batch mean, and the unbiased batch variance). Settable, so a re-estimation can take
    /// the cumulative average (momentum 1/b at batch b).
    public var momentum: Float
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

/// Batch normalization without learnable parameters (`affine=False`): `y = (x − μ)/sqrt(σ² + ε)`,
/// as in the search networks of the DARTS family. With `trackRunningStatistics` false
/// (NAS-Bench-201's search cells) it normalizes with the batch's statistics in evaluation too.
public final class NonAffineBatchNorm2d: Layer {
    let ones: Variable
    let zeros: Variable
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let trackRunningStatistics: Bool
    public let momentum: Float
    public let epsilon: Float
    public let name: String

    public init(
        _ channels: Int, trackRunningStatistics: Bool = true, momentum: Float = 0.1, epsilon: Float = 1e-5, name: String,
        backend: any Backend
    ) throws {
        try require(channels > 0, "\(name): channel count must be positive")
        self.name = name; self.momentum = momentum; self.epsilon = epsilon; self.trackRunningStatistics = trackRunningStatistics
        ones = Variable(try backend.upload([Float](repeating: 1, count: channels), shape: [channels]))
        zeros = Variable(try backend.zeros([channels]))
        runningMean = try backend.zeros([channels])
        runningVar = try backend.upload([Float](repeating: 1, count: channels), shape: [channels])
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        if !trackRunningStatistics && !tape.training {
            // Batch statistics in evaluation; the scratch running statistics are not kept.
            let scratchMean = try tape.backend.zeros(runningMean.shape)
            let scratchVar = try tape.backend.zeros(runningVar.shape)
            let forward = try tape.backend.batchNormTraining(
                x.value, gamma: ones.value, beta: zeros.value, runningMean: scratchMean, runningVar: scratchVar,
                momentum: momentum, epsilon: epsilon)
            return tape.constant(forward.output)
        }
        return try tape.batchNorm(
            x, gamma: ones, beta: zeros, runningMean: runningMean, runningVar: runningVar, momentum: momentum, epsilon: epsilon)
    }

    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] {
        trackRunningStatistics
            ? [(name: "\(name).running_mean", tensor: runningMean), (name: "\(name).running_var", tensor: runningVar)] : []
    }
}
