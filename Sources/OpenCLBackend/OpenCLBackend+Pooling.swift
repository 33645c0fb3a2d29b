import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor {
        fatalError("maxPool2d not implemented yet")
    }

    public func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor {
        fatalError("maxPool2dBackward not implemented yet")
    }

    public func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        fatalError("avgPool2d not implemented yet")
    }

    public func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        fatalError("avgPool2dBackward not implemented yet")
    }

    public func globalAvgPool(_ x: Tensor) throws -> Tensor {
        fatalError("globalAvgPool not implemented yet")
    }

    public func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor {
        fatalError("globalAvgPoolBackward not implemented yet")
    }
}
