import OpenCLRuntime
import TensorCore

extension OpenCLBackend {
    /// `C[b] = α·op(A[b])·op(B[b]) + β·C[b]` in place on `c` (see `Backend.gemm`), run by
    /// `gemmRaw` with the variant chosen for this device.
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) throws {
        let shape = try GemmShape(a: a, b: b, c: c, transposeA: transposeA, transposeB: transposeB)
        let (m, n, k) = (shape.m, shape.n, shape.k)
        // Stored row lengths: a is [M, K] or [K, M]; b is [K, N] or [N, K]; c is [M, N].
        let aOperand = GemmOperand(buffer(a), leadingDimension: transposeA ? m : k, batchStride: shape.aBatched ? m * k : 0)
        let bOperand = GemmOperand(buffer(b), leadingDimension: transposeB ? k : n, batchStride: shape.bBatched ? k * n : 0)
        let cOperand = GemmOperand(buffer(c), leadingDimension: n, batchStride: m * n)
        try gemmRaw(
            m: m, n: n, k: k, batch: shape.batch, a: aOperand, transposeA: transposeA,
            b: bOperand, transposeB: transposeB, c: cOperand, alpha: alpha, beta: beta)
    }

    /// `y[r, j] = x[r, j] + bias[j]`: `add_bias_rows`, one work-item per element.
    public func addBias(_ x: Tensor, bias: Tensor) throws -> Tensor {
        let (rows, cols) = try AddBiasShapes.validate(x: x.shape, bias: bias.shape)
        let y = try empty([rows, cols])
        try launch(
            "gemm.cl", "add_bias_rows", global: [cols, rows],
            [
                .buffer(buffer(x)), .buffer(buffer(bias)), .buffer(buffer(y)), .index(rows), .index(cols),
            ])
        return y
    }
}
