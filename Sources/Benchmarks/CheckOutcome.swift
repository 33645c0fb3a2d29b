import TensorCore

/// Whether one run's output was right, and how that was established.
public struct CheckOutcome: Codable, Sendable, Equatable {
    public var passed: Bool
    /// How the expected values were obtained, e.g. "reference backend, exact" or
    /// "512 sampled elements vs exact integer sums on the host".
    public var method: String
    /// Elements compared.
    public var checkedElements: Int
    public var maxAbsoluteError: Double
    /// Empty when passed; otherwise the mismatches (count and the first few).
    public var detail: String

    public init(passed: Bool, method: String, checkedElements: Int, maxAbsoluteError: Double, detail: String = "") {
        self.passed = passed; self.method = method; self.checkedElements = checkedElements
        self.maxAbsoluteError = maxAbsoluteError; self.detail = detail
    }

    /// A check that could not be made (the reference threw, sizes differ, …).
    public static func failed(_ method: String, _ detail: String) -> CheckOutcome {
        CheckOutcome(passed: false, method: method, checkedElements: 0, maxAbsoluteError: .infinity, detail: detail)
    }

    /// Every element of `actual` against `expected` under the project's one rule
    /// `|a − e| ≤ atol + rtol·|e|` (NaN matches NaN), via `Closeness`.
    public static func compare(_ actual: [Float], _ expected: [Float], tolerance: Tolerance, method: String) -> CheckOutcome {
        let closeness = Closeness(actual: actual, expected: expected, tolerance: tolerance)
        return CheckOutcome(
            passed: closeness.passed, method: method + " (\(tolerance))", checkedElements: expected.count,
            maxAbsoluteError: Double(closeness.maxAbsoluteError),
            detail: closeness.passed ? "" : closeness.description)
    }

    /// The elements of `actual` at `indices` against `expected(index)` (computed in Double or
    /// exact integers by the caller), under `tolerance`; mismatches are reported by their index
    /// in `actual`.
    public static func compareSampled(
        _ actual: [Float], indices: [Int], expected: (Int) -> Double, tolerance: Tolerance,
        method: String
    ) -> CheckOutcome {
        let picked = indices.map { actual[$0] }
        let wanted = indices.map { Float(expected($0)) }
        let closeness = Closeness(actual: picked, expected: wanted, tolerance: tolerance)
        var detail = ""
        if !closeness.passed {
            detail =
                "\(closeness.mismatchCount) of \(indices.count) sampled elements out of tolerance, e.g. "
                + closeness.mismatches.map { "[\(indices[$0.index])] got \($0.actual) expected \($0.expected)" }.joined(separator: ", ")
        }
        return CheckOutcome(
            passed: closeness.passed, method: method + " (\(tolerance))", checkedElements: indices.count,
            maxAbsoluteError: Double(closeness.maxAbsoluteError), detail: detail)
    }

    /// `samples` distinct indices in `0..<count`, sorted: the first and last element always,
    /// the rest drawn with a fixed seed (all of them when `count ≤ samples`).
    public static func sampleIndices(count: Int, samples: Int, seed: UInt64 = 0x5EED) -> [Int] {
        guard count > samples else { return Array(0..<count) }
        var rng = SeededRandom(seed: seed)
        var chosen: Set<Int> = [0, count - 1]
        while chosen.count < samples { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }
}
