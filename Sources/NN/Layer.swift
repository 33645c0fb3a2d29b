import TensorCore

/// A building block of a network. Parameters and state buffers are registered explicitly,
/// with dotted names fixed at construction (`stage1.block0.conv1.weight`) — no reflection.
public protocol Layer: AnyObject {
    func forward(_ x: Variable, on tape: Tape) throws -> Variable
    /// Trainable parameters, in a fixed order.
    var parameters: [Parameter] { get }
    /// Non-trained state saved in checkpoints (batch-norm running statistics), by name.
    var buffers: [(name: String, tensor: Tensor)] { get }
}

/// `max(x, 0)`.
public final class ReLU: Layer {
    public init() {}
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable { try tape.relu(x) }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// `[N, C, H, W] → [N, C·H·W]`.
public final class Flatten: Layer {
    public init() {}
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.reshape(x, [x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// Max pooling over windows.
public final class MaxPool2d: Layer {
    public let params: Pool2dParams
    public init(_ params: Pool2dParams) { self.params = params }
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable { try tape.maxPool2d(x, params: params) }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// Average pooling over windows.
public final class AvgPool2d: Layer {
    public let params: Pool2dParams
    public let countIncludePad: Bool
    public init(_ params: Pool2dParams, countIncludePad: Bool = true) {
        self.params = params; self.countIncludePad = countIncludePad
    }
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try tape.avgPool2d(x, params: params, countIncludePad: countIncludePad)
    }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// `[N, C, H, W] → [N, C]`, the mean over each channel's plane.
public final class GlobalAvgPool: Layer {
    public init() {}
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable { try tape.globalAvgPool(x) }
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
}

/// Layers applied in order.
public final class Sequential: Layer {
    public let layers: [any Layer]
    public init(_ layers: [any Layer]) { self.layers = layers }
    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        try layers.reduce(x) { try $1.forward($0, on: tape) }
    }
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var buffers: [(name: String, tensor: Tensor)] { layers.flatMap(\.buffers) }
}

/// Weight initializers (host-side, seeded).
public enum Initializer {
    /// Kaiming (He) normal, fan-out mode, for ReLU networks: `N(0, 2/fan_out)`, as torchvision's ResNets.
    public static func kaimingNormal(_ count: Int, fanOut: Int, rng: inout SeededRandom) -> [Float] {
        rng.normal(count, std: (2 / Float(max(fanOut, 1))).squareRoot())
    }

    /// `U(−1/√fan_in, 1/√fan_in)`, PyTorch's default for linear layers and biases.
    public static func fanInUniform(_ count: Int, fanIn: Int, rng: inout SeededRandom) -> [Float] {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return rng.uniform(count, in: -bound...bound)
    }
}
