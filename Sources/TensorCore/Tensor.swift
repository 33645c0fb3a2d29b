/// Memory owned by one backend: a `[Float]` for the reference backend, a device buffer for
/// OpenCL. A tensor's storage must only be handed to the backend that made it.
public protocol TensorStorage: AnyObject, Sendable {
    /// Number of Float32 elements the storage holds.
    var count: Int { get }
}

/// A dense Float32 tensor in row-major (C) order; images are NCHW.
///
/// A `Tensor` is a shape over a backend's storage. Operations live on the `Backend`, which
/// allocates results; optimizer steps and a few accumulating ops update storage in place.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let storage: any TensorStorage

    public init(shape: [Int], storage: any TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            shape.reduce(1, *) == storage.count,
            "shape \(shape) has \(shape.reduce(1, *)) elements but storage holds \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements (1 for a scalar of shape `[]`).
    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// The same storage viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.reduce(1, *) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shape("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        return Tensor(shape: newShape, storage: storage)
    }

    public var description: String { "Tensor\(shape)" }
}

/// Invalid shapes or arguments given to an operation: the message names the operation and
/// what is wrong with which input.
public enum TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    case shape(String)
    case argument(String)

    public var description: String {
        switch self {
        case .shape(let message), .argument(let message): message
        }
    }
}

/// Throws `TensorError.shape(message())` unless `condition`.
@inlinable
public func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw TensorError.shape(message()) }
}

/// Row-major strides of `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}
