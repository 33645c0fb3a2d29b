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

    /// One more OpenCL backend on the shared backend's device for each key, set up by
    /// `configure` (a kernel choice forced, say), so a suite can run the same cases under each.
    public static func variants<Key: Hashable>(
        _ keys: [Key], _ configure: (OpenCLBackend, Key) -> Void
    ) -> Result<[Key: OpenCLBackend], any Error> {
        Result {
            let device = try requireOpenCL().device
            var backends: [Key: OpenCLBackend] = [:]
            for key in keys {
                let backend = try OpenCLBackend(device: device)
                configure(backend, key)
                backends[key] = backend
            }
            return backends
        }
    }

    /// One more OpenCL backend on the shared backend's device with `algorithm` forced for every
    /// convolution pass.
    public static func forcing(_ algorithm: ConvolutionAlgorithm) throws -> OpenCLBackend {
        let backend = try OpenCLBackend(device: requireOpenCL().device)
        backend.convolutionAlgorithmOverride = algorithm
        return backend
    }

    /// The weight gradient of convolution `g` from the same host values on `backend` and on the
    /// reference backend: (device, reference).
    public static func weightGradients(
        on backend: OpenCLBackend, dy: [Float], input x: [Float], _ g: ConvGeometry
    ) throws -> (
        device: [Float], reference: [Float]
    ) {
        let device = try backend.download(
            backend.conv2dBackwardWeight(
                backend.upload(dy, shape: g.outputShape), input: backend.upload(x, shape: g.inputShape), weightShape: g.weightShape,
                params: g.params))
        let expected = try reference.download(
            reference.conv2dBackwardWeight(
                reference.upload(dy, shape: g.outputShape), input: reference.upload(x, shape: g.inputShape),
                weightShape: g.weightShape, params: g.params))
        return (device, expected)
    }
}
