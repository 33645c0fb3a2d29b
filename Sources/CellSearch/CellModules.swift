import NN
import TensorCore

// The modules cell operations are made of. Names follow the official modules' parameter names
// (`op.1.weight` becomes `<edge>.conv.weight` here: ours are fixed at construction).

/// ReLU → conv k×k (stride, padding) → BN.
public final class ReLUConvBN: Layer {
    let conv: Conv2d
    let norm: any Layer

    public init(
        _ channelsIn: Int, _ channelsOut: Int, kernelSize: Int, stride: Int, padding: Int, dilation: Int = 1, bias: Bool = false,
        affine: Bool, track: Bool, name: String, backend: any Backend, rng: inout SeededRandom
    ) throws {
        conv = try Conv2d(
            channelsIn, channelsOut, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, bias: bias,
            name: "\(name).conv", backend: backend, rng: &rng)
        norm = try makeNorm(channelsOut, affine: affine, track: track, name: "\(name).bn", backend: backend)
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try norm.forward(conv.forward(tape.relu(x), on: tape), on: tape)
    }
    public var parameters: [Parameter] { conv.parameters + norm.parameters }
    public var buffers: [(name: String, tensor: Tensor)] { norm.buffers }
}

/// `x` unchanged.
public final class IdentityOperation: Layer {
    public init() {}
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable { x }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// `x·0` (`x[:, :, ::s, ::s]·0` at stride s), with `channelsOut` channels.
public final class ZeroOperation: Layer {
    public let stride: Int
    public let channelsOut: Int
    public init(stride: Int, channelsOut: Int) { self.stride = stride; self.channelsOut = channelsOut }
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        let zero = try tape.zero(like: x, stride: stride)
        guard zero.shape[1] != channelsOut else { return zero }
        return tape.constant(try tape.backend.zeros([zero.shape[0], channelsOut, zero.shape[2], zero.shape[3]]))
    }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// 3×3 average (padding excluded from the divisor) or max pooling, pad 1, optionally followed by a
/// non-affine BN (the DARTS search network's pools).
public final class CellPooling: Layer {
    let params: Pool2dParams
    let isMax: Bool
    let norm: (any Layer)?

    public init(max isMax: Bool, stride: Int, normalizedChannels: Int?, name: String, backend: any Backend) throws {
        self.isMax = isMax
        params = Pool2dParams(kernel: 3, stride: stride, padding: 1)
        norm = try normalizedChannels.map { try NonAffineBatchNorm2d($0, name: "\(name).bn", backend: backend) }
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        let y = isMax ? try tape.maxPool2d(x, params: params) : try tape.avgPool2d(x, params: params, countIncludePad: false)
        return try norm?.forward(y, on: tape) ?? y
    }
    public var parameters: [Parameter] { norm?.parameters ?? [] }
    public var buffers: [(name: String, tensor: Tensor)] { norm?.buffers ?? [] }
}

/// ReLU → concat[conv1×1 s2 (C_in → C_out/2) on x, conv1×1 s2 (C_in → C_out/2) on x[:, :, 1:, 1:]] → BN.
/// Both halves have ⌈H/2⌉ rows only for even H, W (the official code's limit, kept: odd sizes are refused).
public final class FactorizedReduce: Layer {
    let first: Conv2d
    let second: Conv2d
    let norm: any Layer
    let name: String

    public init(
        _ channelsIn: Int, _ channelsOut: Int, affine: Bool, track: Bool, name: String, backend: any Backend, rng: inout SeededRandom
    ) throws {
        try require(channelsOut % 2 == 0, "\(name): FactorizedReduce needs an even output width, got \(channelsOut)")
        self.name = name
        first = try Conv2d(channelsIn, channelsOut / 2, kernelSize: 1, stride: 2, name: "\(name).conv_1", backend: backend, rng: &rng)
        second = try Conv2d(channelsIn, channelsOut / 2, kernelSize: 1, stride: 2, name: "\(name).conv_2", backend: backend, rng: &rng)
        norm = try makeNorm(channelsOut, affine: affine, track: track, name: "\(name).bn", backend: backend)
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try require(
            x.shape.count == 4 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0,
            "\(name): FactorizedReduce needs even height and width, got \(x.shape)")
        let h = try tape.relu(x)
        let shifted = try tape.cropSpatial(h, top: 1, left: 1, height: x.shape[2] - 1, width: x.shape[3] - 1)
        let y = try tape.concatChannels([first.forward(h, on: tape), second.forward(shifted, on: tape)])
        return try norm.forward(y, on: tape)
    }
    public var parameters: [Parameter] { first.parameters + second.parameters + norm.parameters }
    public var buffers: [(name: String, tensor: Tensor)] { norm.buffers }
}

/// DARTS' convolutional operations as layer sequences.
public enum DARTSConvolutions {
    /// `sep_conv_k`: [ReLU → depthwise k×k (stride s) → 1×1 (C_in → C_in) → BN] then
    /// [ReLU → depthwise k×k → 1×1 (C_in → C_out) → BN].
    public static func separable(
        _ channelsIn: Int, _ channelsOut: Int, kernelSize k: Int, stride: Int, affine: Bool, track: Bool, name: String,
        backend: any Backend, rng: inout SeededRandom
    ) throws -> Sequential {
        Sequential([
            ReLU(),
            try Conv2d(
                channelsIn, channelsIn, kernelSize: k, stride: stride, groups: channelsIn, name: "\(name).dw1", backend: backend, rng: &rng),
            try Conv2d(channelsIn, channelsIn, kernelSize: 1, name: "\(name).pw1", backend: backend, rng: &rng),
            try makeNorm(channelsIn, affine: affine, track: track, name: "\(name).bn1", backend: backend),
            ReLU(),
            try Conv2d(channelsIn, channelsIn, kernelSize: k, groups: channelsIn, name: "\(name).dw2", backend: backend, rng: &rng),
            try Conv2d(channelsIn, channelsOut, kernelSize: 1, name: "\(name).pw2", backend: backend, rng: &rng),
            try makeNorm(channelsOut, affine: affine, track: track, name: "\(name).bn2", backend: backend),
        ])
    }

    /// `dil_conv_k`: ReLU → depthwise k×k, dilation 2, stride s (padding k − 1) → 1×1 → BN.
    public static func dilated(
        _ channelsIn: Int, _ channelsOut: Int, kernelSize k: Int, stride: Int, affine: Bool, track: Bool, name: String,
        backend: any Backend, rng: inout SeededRandom
    ) throws -> Sequential {
        Sequential([
            ReLU(),
            try Conv2d(
                channelsIn, channelsIn, kernelSize: k, stride: stride, padding: k - 1, dilation: 2, groups: channelsIn, name: "\(name).dw",
                backend: backend, rng: &rng),
            try Conv2d(channelsIn, channelsOut, kernelSize: 1, name: "\(name).pw", backend: backend, rng: &rng),
            try makeNorm(channelsOut, affine: affine, track: track, name: "\(name).bn", backend: backend),
        ])
    }
}
