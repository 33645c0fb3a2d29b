import TensorCore

// STUB: to be replaced by the real implementation.
extension ReferenceBackend {
    public func rankNormalize(_ importance: Tensor) throws -> Tensor {
        fatalError("rankNormalize not implemented yet")
    }

    public func softMask(normalized: Tensor, ratio a: Tensor, lambda: Float) throws -> Tensor {
        fatalError("softMask not implemented yet")
    }

    public func softMaskGradRatio(mask: Tensor, gradMask: Tensor, lambda: Float) throws -> Tensor {
        fatalError("softMaskGradRatio not implemented yet")
    }

    public func taylorImportanceUpdate(_ importance: Tensor, mask: Tensor, gradMask: Tensor, decay: Float) throws -> Bool {
        fatalError("taylorImportanceUpdate not implemented yet")
    }
}
