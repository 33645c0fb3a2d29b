import TensorCore

extension ReferenceBackend {
    /// `C[b] = α·op(A[b])·op(B[b]) + β·C[b]`, in place on `c`, where
    /// `op(A)[i, p] = transposeA ? A[p, i] : A[i, p]` and `op(B)[p, j] = transposeB ? B[j, p] : B[p, j]`.
    ///
    /// Each element is `c[i, j] = α·Σ_p op(A)[i, p]·op(B)[p, j] + β·c[i, j]`, summed in order of
    /// `p`; with β = 0 the old `c[i, j]` is not read (so a NaN there does not propagate).
    /// A rank-2 `a` or `b` is shared by every batch item of a rank-3 `c`.
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) throws {
        let shape = try GemmShape(a: a, b: b, c: c, transposeA: transposeA, transposeB: transposeB)
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let av = values(a)  // a: [M, K] or [K, M] (transposeA), optionally [batch, …]
        let bv = values(b)  // b: [K, N] or [N, K] (transposeB), optionally [batch, …]
        var cv = values(c)  // c: [M, N] or [batch, M, N]
        for batch in 0..<shape.batch {
            let aBase = shape.aBatched ? batch * m * k : 0
            let bBase = shape.bBatched ? batch * k * n : 0
            let cBase = batch * m * n
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k {
                        let aip = transposeA ? av[aBase + p * m + i] : av[aBase + i * k + p]
                        let bpj = transposeB ? bv[bBase + j * k + p] : bv[bBase + p * n + j]
                        sum += aip * bpj
                    }
                    let index = cBase + i * n + j
                    cv[index] = beta == 0 ? alpha * sum : alpha * sum + beta * cv[index]
                }
            }
        }
        storage(c).values = cv
    }

    /// `y[r, j] = x[r, j] + bias[j]` for `x: [rows, cols]`, `bias: [cols]`.
    public func addBias(_ x: Tensor, bias: Tensor) throws -> Tensor {
        let (rows, cols) = try AddBiasShapes.validate(x: x.shape, bias: bias.shape)
        let xv = values(x)  // x: [rows, cols]
        let bv = values(bias)  // bias: [cols]
        var y = [Float](repeating: 0, count: rows * cols)  // y: [rows, cols]
        for r in 0..<rows {
            for j in 0..<cols {
                y[r * cols + j] = xv[r * cols + j] + bv[j]
            }
        }
        return make([rows, cols], y)
    }
}
