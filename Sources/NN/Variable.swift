import TensorCore

/// A value in a differentiable computation. Operations on a `Tape` take and return variables;
/// after `Tape.backward`, the gradient of every variable that `retainsGradient` can be read
/// with `Tape.gradient(of:)`.
public class Variable: @unchecked Sendable, CustomStringConvertible {
    public let value: Tensor
    /// Whether gradients flow to this variable (parameters, and anything computed from them).
    public let requiresGradient: Bool
    /// Keep this variable's gradient after the backward pass (parameters and soft masks do);
    /// other intermediate gradients are released as soon as they have been propagated.
    public var retainsGradient: Bool

    public init(_ value: Tensor, requiresGradient: Bool = false, retainsGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.retainsGradient = retainsGradient
    }

    public var shape: [Int] { value.shape }
    public var description: String { "Variable\(value.shape)" }
}

/// A trainable tensor with a dotted name (`stage1.block0.conv1.weight`), updated in place by
/// optimizers. Layers register their parameters explicitly (no reflection).
public final class Parameter: Variable, @unchecked Sendable {
    public let name: String

    public init(_ value: Tensor, name: String) {
        self.name = name
        super.init(value, requiresGradient: true, retainsGradient: true)
    }

    public override var description: String { "Parameter(\(name))\(value.shape)" }
}
