import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams) throws -> Tensor {
        fatalError("conv2d not implemented yet")
    }

    public func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], params: Conv2dParams) throws -> Tensor {
        fatalError("conv2dBackwardInput not implemented yet")
    }

    public func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], params: Conv2dParams) throws -> Tensor {
        fatalError("conv2dBackwardWeight not implemented yet")
    }

    public func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor {
        fatalError("conv2dBackwardBias not implemented yet")
    }
}
