import TensorCore

// STUB: to be replaced by the real implementation.
extension ReferenceBackend {
    public func relu(_ x: Tensor) throws -> Tensor {
        fatalError("relu not implemented yet")
    }

    public func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        fatalError("reluBackward not implemented yet")
    }

    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        fatalError("add not implemented yet")
    }

    public func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        fatalError("multiply not implemented yet")
    }

    public func scale(_ x: Tensor, by s: Float) throws -> Tensor {
        fatalError("scale not implemented yet")
    }

    public func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) throws {
        fatalError("axpy not implemented yet")
    }

    public func channelMask(_ x: Tensor, mask: Tensor) throws -> Tensor {
        fatalError("channelMask not implemented yet")
    }

    public func channelMaskBackward(_ dy: Tensor, input x: Tensor, mask: Tensor) throws -> (input: Tensor, mask: Tensor) {
        fatalError("channelMaskBackward not implemented yet")
    }

    public func scaleByElement(_ x: Tensor, _ s: Tensor, index: Int) throws -> Tensor {
        fatalError("scaleByElement not implemented yet")
    }

    public func scaleByElementBackward(_ dy: Tensor, input x: Tensor, _ s: Tensor, index: Int) throws -> (input: Tensor, scale: Tensor) {
        fatalError("scaleByElementBackward not implemented yet")
    }
}
