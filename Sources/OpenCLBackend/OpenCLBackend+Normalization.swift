import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, momentum: Float, epsilon: Float) throws -> BatchNormForward {
        fatalError("batchNormTraining not implemented yet")
    }

    public func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, epsilon: Float) throws -> Tensor {
        fatalError("batchNormInference not implemented yet")
    }

    public func batchNormBackward(_ dy: Tensor, input x: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor) throws -> BatchNormGradients {
        fatalError("batchNormBackward not implemented yet")
    }
}
