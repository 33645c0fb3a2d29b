import OpenCLRuntime
import TensorCore

// STUB: to be replaced by the real implementation.
extension OpenCLBackend {
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Tensor, probabilities: Tensor) {
        fatalError("softmaxCrossEntropy not implemented yet")
    }

    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, upstream: Float) throws -> Tensor {
        fatalError("softmaxCrossEntropyBackward not implemented yet")
    }

    public func argmax(_ x: Tensor) throws -> Tensor {
        fatalError("argmax not implemented yet")
    }
}
