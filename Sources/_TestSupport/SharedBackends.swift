import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import TensorCore

/// Backends shared by every test in a process: one reference backend, and one OpenCL backend
/// on the default device (PoCL's CPU device in CI) when a platform exists.
public enum SharedBackends {
    public static let reference = ReferenceBackend()

    private static let openCLResult: Result<OpenCLBackend, any Error> = Result { try OpenCLBackend() }

    /// The OpenCL backend, or nil when no OpenCL platform/device is present.
    public static var openCL: OpenCLBackend? { try? openCLResult.get() }

    /// Whether OpenCL tests can run here.
    public static var openCLAvailable: Bool { openCL != nil }

    /// Why OpenCL tests are skipped (shown by the test runner).
    public static var openCLSkipReason: String {
        switch openCLResult {
        case .success: "OpenCL available"
        case .failure(let error): "OpenCL tests skipped: \(error)"
        }
    }

    /// The OpenCL backend; records a test failure when called without a device (guard with
    /// `.enabled(if: SharedBackends.openCLAvailable)`).
    public static func requireOpenCL() throws -> OpenCLBackend { try openCLResult.get() }
}
