import Testing
import TensorCore

/// The one numeric assertion of the test suite: every element must satisfy
/// `|actual − expected| ≤ atol + rtol·|expected|` (NaN/inf must match exactly). On failure it
/// reports the largest errors and the first mismatching elements at the caller's location.
public func assertClose(
    _ actual: [Float], _ expected: [Float], atol: Float = 0, rtol: Float = 0,
    _ label: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let result = Closeness(actual: actual, expected: expected, tolerance: Tolerance(absolute: atol, relative: rtol))
    if result.sizeMismatch {
        Issue.record("\(label()) size mismatch: got \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
    } else if !result.passed {
        Issue.record("\(label()) not close (atol \(atol), rtol \(rtol)): \(result)", sourceLocation: sourceLocation)
    }
}

/// `assertClose` for Double values (finite-difference gradient checks).
public func assertClose(
    _ actual: [Double], _ expected: [Double], atol: Double, rtol: Double,
    _ label: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("\(label()) size mismatch: got \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0, worstExcess = -Double.infinity, failures: [String] = [], failing = 0
    for i in actual.indices {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if excess > worstExcess || excess.isNaN { worstExcess = excess; worst = i }
        if !(excess <= 0) {
            failing += 1
            if failures.count < 5 { failures.append("[\(i)] got \(actual[i]) expected \(expected[i])") }
        }
    }
    if failing > 0 {
        let examples = failures.joined(separator: ", ")
        Issue.record(
            "\(label()) not close (atol \(atol), rtol \(rtol)): \(failing) of \(actual.count) out of tolerance, worst [\(worst)]; \(examples)",
            sourceLocation: sourceLocation)
    }
}
