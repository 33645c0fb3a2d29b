// ReferenceBackend — the CPU reference implementation of every DiffNAS operation.
//
// This is the specification, not a fast path: plain loops over plain arrays, one line of
// arithmetic per formula, shape comments on every tensor (`// x: [N, C, H, W]`). Device
// kernels are correct exactly when they agree with this code. Keep it obvious.
import TensorCore

/// A tensor's values on the host. Mutated only by in-place operations.
public final class ReferenceStorage: TensorStorage, @unchecked Sendable {
    public var values: [Float]
    public var count: Int { values.count }
    /// Bytes (4 per value) are counted from creation to release, per backend that made them.
    private let counter: MemoryCounter?
    private let bytes: Int
    public init(_ values: [Float], counter: MemoryCounter? = nil) {
        self.values = values
        self.counter = counter
        bytes = values.count * MemoryLayout<Float>.stride
        counter?.allocate(bytes)
    }
    deinit { counter?.release(bytes) }
}

/// The CPU reference backend. Stateless; every operation is a direct transcription of its formula.
public final class ReferenceBackend: Backend, @unchecked Sendable {
    let memory = MemoryCounter()
    public init() {}

    public func memoryUsage() -> MemoryUsage { memory.usage }
    public func resetPeakMemory() { memory.resetPeak() }

    public var name: String { "reference" }
    public var deviceDescription: String { "CPU reference (plain Swift loops)" }

    // MARK: Helpers for the operation files

    /// The storage of a tensor this backend made.
    func storage(_ tensor: Tensor) -> ReferenceStorage {
        guard let storage = tensor.storage as? ReferenceStorage else {
            preconditionFailure("a tensor from another backend (\(type(of: tensor.storage))) was passed to the reference backend")
        }
        return storage
    }

    /// The values of `tensor` (a copy-on-write view).
    func values(_ tensor: Tensor) -> [Float] { storage(tensor).values }

    /// A new tensor holding `values`.
    func make(_ shape: [Int], _ values: [Float]) -> Tensor {
        Tensor(shape: shape, storage: ReferenceStorage(values, counter: memory))
    }

    // MARK: Memory

    public func zeros(_ shape: [Int]) throws -> Tensor {
        try require(shape.allSatisfy { $0 >= 0 }, "zeros: negative dimension in \(shape)")
        return make(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public func upload(_ values: [Float], shape: [Int]) throws -> Tensor {
        try require(
            shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
            "upload: \(values.count) values do not fill shape \(shape)")
        return make(shape, values)
    }

    public func download(_ tensor: Tensor) throws -> [Float] { values(tensor) }

    public func copy(_ source: Tensor, into destination: Tensor) throws {
        try require(source.count == destination.count, "copy: \(source.shape) into \(destination.shape) differ in size")
        storage(destination).values = values(source)
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        storage(tensor).values = [Float](repeating: value, count: tensor.count)
    }

    public func synchronize() throws {}
}
