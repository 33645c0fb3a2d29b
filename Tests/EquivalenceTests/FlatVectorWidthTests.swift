import OpenCLBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// The flat element-wise kernels (ReLU and its gradient, add, multiply, scale, axpy, scale by
/// element) take `EW_VEC` elements per work-item: 16 on CPU devices, 4 on GPUs. The shared
/// verification cases run the launch plan's width on this device; here every element-wise case
/// also runs at the GPUs' width 4 and at 8, so each stays checked on PoCL, and the trace shows the
/// define and the global size each launch had.
@Suite(
    "Flat kernel vector width", .serialized,
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct FlatVectorWidthTests {
    static let widths = [4, 8]
    static let backends = SharedBackends.variants(widths) { backend, width in backend.flatVectorWidthOverride = width }

    static func backend(width: Int) throws -> OpenCLBackend { try #require(try backends.get()[width]) }

    @Test(arguments: VerificationSuite.cases(family: .elementwise))
    func fourWideMatchesTheReference(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try Self.backend(width: 4), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    @Test(arguments: VerificationSuite.cases(family: .elementwise))
    func eightWideMatchesTheReference(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try Self.backend(width: 8), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    /// ReLU of 37 elements launches ⌈37 / width⌉ work-items compiled with EW_VEC = width.
    @Test(arguments: [4, 8, 16])
    func launchesOneItemPerVector(width: Int) throws {
        let backend = try OpenCLBackend(device: try SharedBackends.requireOpenCL().device)
        backend.flatVectorWidthOverride = width
        let x = try backend.upload((0..<37).map { Float($0 - 18) }, shape: [37])
        let trace = LaunchTrace()
        backend.launchTrace = trace
        let y = try backend.download(backend.relu(x))
        backend.launchTrace = nil
        #expect(y == (0..<37).map { Float(max($0 - 18, 0)) })
        let launch = try #require(trace.launches.first { $0.kernel == "relu_flat" })
        #expect(launch.defines["EW_VEC"] == "\(width)")
        #expect(launch.global == [(37 + width - 1) / width])
    }
}
