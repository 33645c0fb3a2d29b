import ReferenceBackend
import TensorCore

/// One named output of an operation, flattened row-major.
public struct NamedOutput: Sendable {
    public let name: String
    public let values: [Float]
    /// Per-element allowed |device − reference|, computed from the inputs (cases whose tolerance
    /// is `Tolerance.bound`); the reference run's bound is the one used.
    public let bound: [Float]?

    public init(_ name: String, _ values: [Float], bound: [Float]? = nil) {
        self.name = name; self.values = values; self.bound = bound
    }

    /// Downloads `tensor` from `backend` under `name`.
    public init(_ name: String, _ tensor: Tensor, on backend: any Backend, bound: [Float]? = nil) throws {
        self.init(name, try backend.download(tensor), bound: bound)
    }
}

/// The operation families of the verification suite (`diffnas verify --family`), one
/// `Cases+<Family>.swift` each.
public enum VerifyFamily: String, CaseIterable, Sendable, CustomStringConvertible {
    case gemm, conv, norm, elementwise, pool, loss, reduce, topk, optim, cells
    public var description: String { rawValue }
}

/// One device-vs-reference check: an operation at one shape, run on both backends with the
/// same seeded inputs, every named output compared under `tolerance`.
///
/// `run` must build its inputs itself from a fixed seed (so both backends see identical
/// values) and return every output the operation produces, gradients included.
public struct VerifyCase: Sendable, CustomStringConvertible {
    public let family: VerifyFamily
    /// Operation name as `diffnas verify` prints it, e.g. "conv2d backward-weight".
    public let operation: String
    /// Shapes and parameters, e.g. "x[2,3,7,7] w[4,3,3,3] stride 2 pad 1".
    public let shape: String
    public let tolerance: Tolerance
    /// Part of the short `diffnas verify --quick` / `bench --quick` subset.
    public let quick: Bool
    public let run: @Sendable (any Backend) throws -> [NamedOutput]

    public init(
        family: VerifyFamily, operation: String, shape: String, tolerance: Tolerance, quick: Bool = false,
        run: @escaping @Sendable (any Backend) throws -> [NamedOutput]
    ) {
        self.family = family; self.operation = operation; self.shape = shape
        self.tolerance = tolerance; self.quick = quick; self.run = run
    }

    public var description: String { "\(operation) \(shape)" }
}

/// The outcome of one `VerifyCase` on one device.
public struct VerifyResult: Sendable {
    public let testCase: VerifyCase
    /// Per output: its name and how the device agreed with the reference.
    public let outputs: [(name: String, closeness: Closeness)]
    /// Set when either backend threw instead of producing outputs.
    public let error: String?

    public var passed: Bool { error == nil && !outputs.isEmpty && outputs.allSatisfy { $0.closeness.passed } }
    public var maxAbsoluteError: Float { outputs.map(\.closeness.maxAbsoluteError).max() ?? 0 }
    public var maxRelativeError: Float { outputs.map(\.closeness.maxRelativeError).max() ?? 0 }
    /// The largest error as a fraction of its per-element bound (cases with `Tolerance.bound`).
    public var maxBoundFraction: Float { outputs.map(\.closeness.maxBoundFraction).max() ?? 0 }

    /// A one-paragraph explanation of a failure, naming the tensor.
    public var failureDescription: String {
        if let error { return "\(testCase): \(error)" }
        return outputs.filter { !$0.closeness.passed }
            .map { "\(testCase) output '\($0.name)' (\(testCase.tolerance)): \($0.closeness)" }
            .joined(separator: "\n")
    }
}

/// Runs verification cases: the reference backend's outputs are the expected values.
public enum Verifier {
    public static func check(
        _ testCase: VerifyCase, device: any Backend,
        reference: ReferenceBackend = ReferenceBackend()
    ) -> VerifyResult {
        let expected: [NamedOutput]
        do { expected = try testCase.run(reference) } catch {
            return VerifyResult(testCase: testCase, outputs: [], error: "reference failed: \(error)")
        }
        return check(testCase, device: device, expected: expected)
    }

    /// The same against reference outputs computed once (a sweep of device variants over one case).
    public static func check(_ testCase: VerifyCase, device: any Backend, expected: [NamedOutput]) -> VerifyResult {
        let actual: [NamedOutput]
        do { actual = try testCase.run(device) } catch {
            return VerifyResult(testCase: testCase, outputs: [], error: "\(device.name) failed: \(error)")
        }
        guard actual.map(\.name) == expected.map(\.name) else {
            return VerifyResult(
                testCase: testCase, outputs: [],
                error: "outputs differ: \(actual.map(\.name)) vs \(expected.map(\.name))")
        }
        let outputs = zip(actual, expected).map { a, e in
            (name: e.name, closeness: Closeness(actual: a.values, expected: e.values, tolerance: testCase.tolerance, bounds: e.bound))
        }
        return VerifyResult(testCase: testCase, outputs: outputs, error: nil)
    }
}
