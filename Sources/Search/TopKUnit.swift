import NN
import TensorCore

/// One differentiable top-k unit of DMS over N elements (channels of a width, or blocks of a stage).
///
/// - importance `c ∈ R^N`: moving average of Taylor scores `(m·∂L/∂m)²`, decay 0.99, from 0;
///   never trained by gradient descent;
/// - pruning ratio `a`, starting at 0 (the whole supernet kept), learned, clamped after every
///   step to `[0, upperBound]` (see `upperBound(size:minimumKept:)`);
/// - soft mask `m = sigmoid(λ(c' − a))` with `c'` the rank-normalized importance (ties broken by
///   index, so `c'` is exactly `{1/N, …, 1}`); N = 1: `m = sigmoid(λ(0.5 − a))`. λ = N for
///   widths, 4N for depths by default;
/// - `∂L/∂a = Σ_i ∂L/∂m_i · (−λ m_i (1 − m_i))`;
/// - hard keep rule `m > 0.5` (the element with `c' = a` has m = 0.5 exactly and is removed), so
///   the kept count is `N − ⌊a·N⌋` for N ≥ 2 and `[a < 0.5]` for N = 1.
public final class TopKUnit {
    public let key: UnitKey
    public let size: Int
    public let lambda: Float
    /// The fewest elements the unit may keep: 1, or 0 for a depth unit whose stage keeps an
    /// ungated (projection) block anyway.
    public let minimumKept: Int
    /// The smallest allowed `a`: 0, or `1/(2N)` under the `ratio-start` ablation.
    public let lowerBound: Float
    public let importance: Tensor
    /// The learnable ratio `a` as a `[1]` parameter.
    public let ratio: Parameter
    let backend: any Backend
    /// The mask of the current step (set by `makeMask`).
    public private(set) var mask: Variable?

    /// - Parameter halfElementStart: the `ratio-start` ablation: `a` starts at and is clamped
    ///   from `1/(2N)` (held below the upper bound, so a single element that must stay stays at 0).
    public init(
        key: UnitKey, size: Int, lambda: Float, minimumKept: Int = 1, initialRatio: Float = 0, halfElementStart: Bool = false,
        backend: any Backend
    ) throws {
        precondition(size >= 1 && (minimumKept == 0 || minimumKept == 1), "TopKUnit: size ≥ 1, minimumKept 0 or 1")
        self.key = key; self.size = size; self.lambda = lambda; self.minimumKept = minimumKept; self.backend = backend
        lowerBound = halfElementStart ? min(1 / (2 * Float(size)), TopKUnit.upperBound(size: size, minimumKept: minimumKept)) : 0
        importance = try backend.zeros([size])
        ratio = Parameter(
            try backend.upload([min(max(initialRatio, lowerBound), TopKUnit.upperBound(size: size, minimumKept: minimumKept))], shape: [1]),
            name: "\(key).ratio")
    }

    /// The largest allowed `a`: `1 − 1/(2N)` when at least one element must stay (then
    /// `N − ⌊a·N⌋ ≥ 1`, and no element sits exactly on the bound); 1 when every element may be
    /// removed; 0 for a single element that must stay (nothing to search: its `a` stays at 0).
    public static func upperBound(size: Int, minimumKept: Int) -> Float {
        if minimumKept == 0 { return 1 }
        return size == 1 ? 0 : 1 - 1 / (2 * Float(size))
    }

    /// `a` clamped into `[0, upperBound]`.
    public static func clamp(_ a: Float, size: Int, minimumKept: Int = 1) -> Float {
        min(max(a, 0), upperBound(size: size, minimumKept: minimumKept))
    }

    /// Computes this step's soft mask from the importance and `a`, as a leaf variable whose
    /// gradient the tape keeps. `hard`: the mask thresholded to exactly 0/1 by `m > 0.5` (a
    /// frozen depth unit), with no gradient.
    @discardableResult
    public func makeMask(hard: Bool = false) throws -> Variable {
        let normalized = try backend.rankNormalize(importance)
        let soft = try backend.softMask(normalized: normalized, ratio: ratio.value, lambda: lambda)
        let m: Variable
        if hard {
            m = Variable(try backend.upload(try backend.download(soft).map { TopKUnit.keeps($0) ? 1 : 0 }, shape: [size]))
        } else {
            m = Variable(soft, requiresGradient: true, retainsGradient: true)
        }
        mask = m
        return m
    }

    /// The hard keep rule on a mask value.
    @inline(__always) public static func keeps(_ m: Float) -> Bool { m > 0.5 }

    /// The hard mask `m > 0.5` of the current step, downloaded.
    public func hardMask() throws -> [Bool] {
        guard let mask else { return [Bool](repeating: true, count: size) }
        return try backend.download(mask.value).map(TopKUnit.keeps)
    }

    /// Current value of `a`.
    public func ratioValue() throws -> Float { try backend.download(ratio.value)[0] }

    /// `a` clamped into this unit's `[lowerBound, upperBound]`.
    func clamped(_ a: Float) -> Float { min(max(a, lowerBound), TopKUnit.upperBound(size: size, minimumKept: minimumKept)) }

    /// Sets `a` (clamped).
    public func setRatio(_ a: Float) throws {
        try backend.copy(try backend.upload([clamped(a)], shape: [1]), into: ratio.value)
    }

    /// Clamps `a` into its range after an optimizer step.
    public func clampRatio() throws {
        let a = try ratioValue()
        if clamped(a) != a { try setRatio(a) }
    }

    /// The kept count the rule `m > 0.5` gives at ratio `a` for distinct importances:
    /// `N − ⌊a·N⌋` for N ≥ 2 (counted on the exact grid `c' = r/N` as the mask compares it), and
    /// 1 if `a < 0.5` else 0 for N = 1.
    public static func keptCount(size n: Int, ratio a: Float) -> Int {
        if n == 1 { return a < 0.5 ? 1 : 0 }
        return (1...n).filter { Float(Double($0) / Double(n)) > a }.count
    }
}
