import OpenCLBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Pooling's two kernel shapes: 16-output row tiles (CPU devices) where the strides allow them
/// (forward, max pooling's winners and the gradients' gathers: column stride 1 or 2), one output per
/// work-item elsewhere (GPUs, and other strides). `EquivalenceTests.pooling` checks the launch
/// plan's choice against the reference on this device; here every max and average pooling case
/// also runs with the row tiles forced off, so the one-output kernels the GPUs take stay checked
/// on PoCL, and the trace shows which ran.
@Suite(
    "Pooling kernel choice", .serialized, .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct PoolingKernelChoiceTests {
    static let backends = SharedBackends.variants([true, false]) { backend, rows in backend.poolingRowTilesOverride = rows }

    static func backend(rowTiles: Bool) throws -> OpenCLBackend { try #require(try backends.get()[rowTiles]) }

    @Test(arguments: VerificationSuite.cases(family: .pool).filter { $0.operation != "globalAvgPool" })
    func oneOutputPerItemMatchesTheReference(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try Self.backend(rowTiles: false), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    /// Kernels launched by an average (or max) pooling of `[2, 3, 9, 21]` and its gradient.
    static func kernels(
        _ backend: OpenCLBackend, _ params: Pool2dParams, max: Bool = false
    ) throws -> (forward: Set<String>, backward: Set<String>) {
        let x = try backend.zeros([2, 3, 9, 21])
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        let y = try max ? backend.maxPool2d(x, params: params) : backend.avgPool2d(x, params: params, countIncludePad: false)
        let forward = Set(trace.launches.map(\.kernel))
        let before = trace.launches.count
        _ =
            try max
            ? backend.maxPool2dBackward(y, input: x, params: params)
            : backend.avgPool2dBackward(y, inputShape: x.shape, params: params, countIncludePad: false)
        return (forward, Set(trace.launches.dropFirst(before).map(\.kernel)))
    }

    @Test func rowTilesWhereTheStridesAllowThem() throws {
        let rows = try Self.backend(rowTiles: true), items = try Self.backend(rowTiles: false)
        let stride1 = Pool2dParams(kernel: 3, stride: 1, padding: 1), stride2 = Pool2dParams(kernel: 3, stride: 2, padding: 1)
        let stride3 = Pool2dParams(kernelH: 1, kernelW: 4, strideH: 1, strideW: 3, padH: 0, padW: 2)
        #expect(try Self.kernels(rows, stride1) == (["avg_pool2d_rows"], ["avg_pool2d_backward_rows"]))
        #expect(try Self.kernels(rows, stride2) == (["avg_pool2d_rows"], ["avg_pool2d_backward_rows_s2"]))
        #expect(try Self.kernels(rows, stride3) == (["avg_pool2d_direct"], ["avg_pool2d_backward_gather"]))
        let rowStride2 = Pool2dParams(kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padH: 1, padW: 0)
        #expect(try Self.kernels(rows, rowStride2) == (["avg_pool2d_rows"], ["avg_pool2d_backward_rows"]))
        #expect(
            try Self.kernels(rows, stride1, max: true) == (["max_pool2d_rows"], ["max_pool2d_winners_rows", "max_pool2d_backward_rows"]))
        #expect(
            try Self.kernels(rows, stride2, max: true) == (["max_pool2d_rows"], ["max_pool2d_winners_rows", "max_pool2d_backward_rows_s2"]))
        #expect(
            try Self.kernels(rows, stride3, max: true) == (["max_pool2d_direct"], ["max_pool2d_winners", "max_pool2d_backward_winners"]))
        for params in [stride1, stride2, stride3] {
            #expect(try Self.kernels(items, params) == (["avg_pool2d_direct"], ["avg_pool2d_backward_gather"]))
            #expect(
                try Self.kernels(items, params, max: true) == (
                    ["max_pool2d_direct"], ["max_pool2d_winners", "max_pool2d_backward_winners"]
                ))
        }
    }
}
