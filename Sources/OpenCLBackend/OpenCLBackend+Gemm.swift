import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) throws {
        fatalError("gemm not implemented yet")
    }

    public func addBias(_ x: Tensor, bias: Tensor) throws -> Tensor {
        fatalError("addBias not implemented yet")
    }
}
