import OpenCLRuntime
import TensorCore

// What `diffnas bench` (the Benchmarks target) needs from the backend and nothing else uses,
// visible inside this package only (`package`), not to library users:
// raw buffers to hand to CLBlast, and the launchers of Kernels/bench_copy.cl — the copy
// kernel that measures the device's bandwidth and the official O(N²) comparison-matrix
// normalization that our radix-sort ranks are compared against.
extension OpenCLBackend {
    /// The device buffer behind `tensor` (which this backend made), e.g. for CLBlast.
    package func deviceBuffer(_ tensor: Tensor) -> Buffer { buffer(tensor) }

    /// A tensor of `shape` whose contents are undefined (from the buffer pool).
    package func uninitialized(_ shape: [Int]) throws -> Tensor { try empty(shape) }

    /// `destination[i] = source[i]` by the plain one-element-per-work-item kernel `bench_copy`
    /// (not `clEnqueueCopyBuffer`): the bandwidth yardstick of the element-wise kernels.
    package func benchCopy(_ source: Tensor, into destination: Tensor) throws {
        try require(source.count == destination.count, "benchCopy: \(source.shape) into \(destination.shape) differ in size")
        try launch(
            "bench_copy.cl", "bench_copy", global: [source.count],
            [.buffer(buffer(source)), .buffer(buffer(destination)), .index(source.count)])
    }

    /// Bytes of the N×N Float32 comparison matrix `comparisonMatrixRankNormalize` allocates.
    package static func comparisonMatrixBytes(count n: Int) -> Int { n * n * MemoryLayout<Float>.stride }

    /// The official DMS normalization `c'_i = mean_j [c_j ≤ c_i]` through the materialized
    /// N×N comparison matrix (`comparison_matrix_build`, then the row means of
    /// `rank_normalize_comparison_matrix`). O(N²) time and memory; the matrix is a fresh buffer
    /// (not pooled), freed once the kernels using it finish. Throws `TensorError.argument`
    /// when it exceeds the device's largest allocation.
    package func comparisonMatrixRankNormalize(_ importance: Tensor) throws -> Tensor {
        try require(importance.rank == 1, "comparisonMatrixRankNormalize: importance must be [N], got \(importance.shape)")
        let n = importance.count
        let out = try empty([n])
        guard n > 0 else { return out }
        let bytes = Self.comparisonMatrixBytes(count: n)
        guard UInt64(bytes) <= device.maxAllocationBytes, n <= Int(Int32.max) else {
            throw TensorError.argument(
                "comparisonMatrixRankNormalize: the \(n)×\(n) matrix needs \(bytes) bytes; the device allocates at most \(device.maxAllocationBytes) per buffer"
            )
        }
        let matrix = try Buffer(context: context, byteCount: bytes)
        try launch(
            "bench_copy.cl", "comparison_matrix_build", global: [n, n],
            [.buffer(buffer(importance)), .buffer(matrix), .index(n)])
        try launch(
            "bench_copy.cl", "rank_normalize_comparison_matrix", global: [n],
            [.buffer(matrix), .buffer(buffer(out)), .index(n)])
        return out
    }
}
