import OpenCLBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// The per-channel row kernels' two shapes — batch norm's y and dx, the channel mask: one
/// work-item per row in float16 steps (CPU devices, `*_rows_loop`) and one per 4 elements of a
/// row (GPUs, `*_rows_vec4`). The shared verification cases run the launch plan's choice on this
/// device; here every batch-norm and element-wise case (the channel masks among them) also runs
/// with each choice forced, so the kernels GPUs take stay checked on PoCL, and the trace shows
/// which ran.
@Suite(
    "Row loop kernel choice", .serialized,
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct RowLoopKernelChoiceTests {
    static let backends = SharedBackends.variants([true, false]) { backend, rowLoop in backend.rowLoopsOverride = rowLoop }

    static func backend(rowLoop: Bool) throws -> OpenCLBackend { try #require(try backends.get()[rowLoop]) }

    static let cases = VerificationSuite.cases(family: .norm) + VerificationSuite.cases(family: .elementwise)

    @Test(arguments: cases)
    func fourElementItemsMatchTheReference(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try Self.backend(rowLoop: false), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    @Test(arguments: cases)
    func rowLoopsMatchTheReference(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try Self.backend(rowLoop: true), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    /// The kernels a training forward and backward of `shape` launch.
    static func kernels(_ backend: OpenCLBackend, shape: [Int]) throws -> Set<String> {
        let channels = shape[1]
        let x = try backend.upload((0..<shape.reduce(1, *)).map { Float($0 % 13) }, shape: shape)
        let ones = try backend.upload([Float](repeating: 1, count: channels), shape: [channels])
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        let forward = try backend.batchNormTraining(
            x, gamma: ones, beta: try backend.zeros([channels]), runningMean: try backend.zeros([channels]),
            runningVar: try backend.upload([Float](repeating: 1, count: channels), shape: [channels]), momentum: 0.1, epsilon: 1e-5)
        _ = try backend.batchNormBackward(x, input: x, gamma: ones, savedMean: forward.savedMean, savedInvStd: forward.savedInvStd)
        return Set(trace.launches.map(\.kernel))
    }

    @Test func eachChoiceLaunchesItsKernels() throws {
        let loops = try Self.kernels(try Self.backend(rowLoop: true), shape: [3, 5, 7, 9])
        let items = try Self.kernels(try Self.backend(rowLoop: false), shape: [3, 5, 7, 9])
        #expect(loops.isSuperset(of: ["batchnorm_normalize_rows_loop", "batchnorm_backward_input_rows_loop"]), "\(loops)")
        #expect(loops.isDisjoint(with: ["batchnorm_normalize_rows_vec4", "batchnorm_backward_input_rows_vec4"]), "\(loops)")
        #expect(items.isSuperset(of: ["batchnorm_normalize_rows_vec4", "batchnorm_backward_input_rows_vec4"]), "\(items)")
        #expect(items.isDisjoint(with: ["batchnorm_normalize_rows_loop", "batchnorm_backward_input_rows_loop"]), "\(items)")
        for (rowLoop, kernel) in [(true, "channel_mask_rows_loop"), (false, "channel_mask_rows_vec4")] {
            let backend = try Self.backend(rowLoop: rowLoop)
            let x = try backend.upload((0..<105).map { Float($0 % 7) }, shape: [1, 3, 5, 7])
            let trace = LaunchTrace()
            backend.launchTrace = trace
            let y = try backend.download(backend.channelMask(x, mask: try backend.upload([1, 0, 2], shape: [3])))
            backend.launchTrace = nil
            #expect(trace.launches.map(\.kernel) == [kernel])
            #expect(y == (0..<105).map { Float($0 % 7) * [1, 0, 2][$0 / 35] })
        }
        // [N, C] inputs take the column kernels either way.
        let columns = try Self.kernels(try Self.backend(rowLoop: true), shape: [6, 9])
        #expect(columns.contains("batchnorm_normalize_columns_vec4"), "\(columns)")
    }
}
