import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func sgdStep(_ parameter: Tensor, gradient: Tensor, velocity: Tensor, _ hyper: SGDParameters) throws {
        fatalError("sgdStep not implemented yet")
    }

    public func adamStep(_ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor, step: Int, _ hyper: AdamParameters) throws {
        fatalError("adamStep not implemented yet")
    }
}
