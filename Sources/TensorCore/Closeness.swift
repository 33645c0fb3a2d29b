/// How closely two arrays agree: the one tolerance rule of the project.
///
/// An element passes when `|a − e| ≤ atol + rtol·|e|`, or when both are the same non-finite
/// value (NaN with NaN, +inf with +inf). `rtol = atol = 0` demands exact equality.
public struct Tolerance: Sendable, Hashable, CustomStringConvertible {
    public var absolute: Float
    public var relative: Float

    /// Set when each output carries its own per-element bound (`NamedOutput.bound`): the rule it
    /// follows, e.g. "|Δ| ≤ 2·K·ε·Σ|a||b|". Then `absolute` and `relative` are unused.
    public var perElementBound: String?

    public init(absolute: Float, relative: Float) {
        self.absolute = absolute; self.relative = relative
    }

    /// Bit-for-bit equal values (integer-valued inputs, sorting, ranks).
    public static let exact = Tolerance(absolute: 0, relative: 0)

    /// A per-element bound, stated by its rule.
    public static func bound(_ rule: String) -> Tolerance {
        var t = Tolerance(absolute: 0, relative: 0)
        t.perElementBound = rule
        return t
    }

    public var description: String { perElementBound ?? (self == .exact ? "exact" : "atol \(absolute) rtol \(relative)") }
}

/// The result of comparing `actual` with `expected` element by element.
public struct Closeness: Sendable, CustomStringConvertible {
    public let count: Int
    public let maxAbsoluteError: Float
    /// Largest `|a − e| / |e|` over elements with `e ≠ 0`.
    public let maxRelativeError: Float
    /// Index of the element with the largest excess over the tolerance (or largest error).
    public let worstIndex: Int?
    /// Up to 5 failing elements: (index, actual, expected).
    public let mismatches: [(index: Int, actual: Float, expected: Float)]
    public let mismatchCount: Int
    public let sizeMismatch: Bool

    public var passed: Bool { mismatchCount == 0 && !sizeMismatch }

    /// The largest |actual − expected| / bound over the elements (with per-element bounds).
    public private(set) var maxBoundFraction: Float = 0

    /// Compares element by element: element i may differ by `bounds[i]` when bounds are given,
    /// else by `tolerance.absolute + tolerance.relative·|expected[i]|`.
    public init(actual: [Float], expected: [Float], tolerance: Tolerance, bounds: [Float]? = nil) {
        count = expected.count
        sizeMismatch = actual.count != expected.count
        var maxAbs: Float = 0, maxRel: Float = 0, worst: Int? = nil, worstExcess: Float = -.infinity
        var bad: [(Int, Float, Float)] = [], badCount = 0
        for i in 0..<min(actual.count, expected.count) {
            let a = actual[i], e = expected[i]
            if !a.isFinite || !e.isFinite {
                let same = (a.isNaN && e.isNaN) || a == e
                if !same {
                    badCount += 1
                    if bad.count < 5 { bad.append((i, a, e)) }
                    worstExcess = .infinity; worst = i
                    maxAbs = .infinity
                }
                continue
            }
            let err = abs(a - e)
            maxAbs = max(maxAbs, err)
            if e != 0 { maxRel = max(maxRel, err / abs(e)) }
            let allowed = bounds.map { i < $0.count ? $0[i] : 0 } ?? (tolerance.absolute + tolerance.relative * abs(e))
            if bounds != nil { maxBoundFraction = max(maxBoundFraction, allowed > 0 ? err / allowed : (err > 0 ? .infinity : 0)) }
            let excess = err - allowed
            if excess > worstExcess { worstExcess = excess; worst = i }
            if excess > 0 {
                badCount += 1
                if bad.count < 5 { bad.append((i, a, e)) }
            }
        }
        maxAbsoluteError = maxAbs
        maxRelativeError = maxRel
        worstIndex = worst
        mismatches = bad.map { (index: $0.0, actual: $0.1, expected: $0.2) }
        mismatchCount = badCount
    }

    public var description: String {
        if sizeMismatch { return "size mismatch: \(count) expected" }
        var text = "max abs error \(maxAbsoluteError), max rel error \(maxRelativeError)"
        if mismatchCount > 0 {
            text += "; \(mismatchCount) of \(count) elements out of tolerance, e.g. "
            text += mismatches.map { "[\($0.index)] got \($0.actual) expected \($0.expected)" }.joined(separator: ", ")
        }
        return text
    }
}
