import NN
import TensorCore

/// One differentiable top-k unit of DMS over N elements (channels of a width, or blocks of a stage).
///
/// - importance `c ∈ R^N`: moving average of Taylor scores `(m·∂L/∂m)²`, decay 0.99, from 0;
///   never trained by gradient descent;
/// - pruning ratio `a ∈ [1/(2N), 1 − 1/(2N)]` (learned, Adam): at least one element is always kept;
/// - soft mask `m = sigmoid(λ(c' − a))` with `c'` the rank-normalized importance; λ = N for
///   widths, 4N for depths by default;
/// - `∂L/∂a = Σ_i ∂L/∂m_i · (−λ m_i (1 − m_i))`.
public final class TopKUnit {
    public let key: UnitKey
    public let size: Int
    public let lambda: Float
    public let importance: Tensor
    /// The learnable ratio `a` as a `[1]` parameter.
    public let ratio: Parameter
    let backend: any Backend
    /// The mask of the current step (set by `makeMask`).
    public private(set) var mask: Variable?

    public init(key: UnitKey, size: Int, lambda: Float, initialRatio: Float = 0, backend: any Backend) throws {
        self.key = key; self.size = size; self.lambda = lambda; self.backend = backend
        importance = try backend.zeros([size])
        ratio = Parameter(try backend.upload([TopKUnit.clamp(initialRatio, size: size)], shape: [1]), name: "\(key).ratio")
    }

    /// The allowed range of `a`.
    public static func clamp(_ a: Float, size: Int) -> Float {
        let lower = 1 / (2 * Float(size)), upper = 1 - 1 / (2 * Float(size))
        return size == 1 ? min(max(a, 0), 0.5) : min(max(a, lower), upper)
    }

    /// Computes this step's soft mask from the importance and `a`, as a leaf variable whose
    /// gradient the tape keeps.
    @discardableResult
    public func makeMask() throws -> Variable {
        let normalized = try backend.rankNormalize(importance)
        let m = Variable(try backend.softMask(normalized: normalized, ratio: ratio.value, lambda: lambda),
                         requiresGradient: true, retainsGradient: true)
        mask = m
        return m
    }

    /// The hard mask `m ≥ 0.5` of the current step, downloaded.
    public func hardMask() throws -> [Bool] {
        guard let mask else { return [Bool](repeating: true, count: size) }
        return try backend.download(mask.value).map { $0 >= 0.5 }
    }

    /// Current value of `a`.
    public func ratioValue() throws -> Float { try backend.download(ratio.value)[0] }

    /// Clamps `a` into its range after an optimizer step.
    public func clampRatio() throws {
        let a = try ratioValue()
        let clamped = TopKUnit.clamp(a, size: size)
        if clamped != a { try backend.copy(try backend.upload([clamped], shape: [1]), into: ratio.value) }
    }

    /// The kept count `N − ⌊a·N⌋` predicted from `a` (equal to the hard count for distinct importances).
    public func predictedKeptCount() throws -> Int { size - Int((try ratioValue() * Float(size)).rounded(.down)) }
}
