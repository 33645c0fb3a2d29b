/// Shape validation shared by both backends' matrix multiply, so the reference and the device
/// reject the same inputs with the same `TensorError` message.
///
/// Operands are row-major. `op(A)` is `[M, K]` (`a` is `[M, K]`, or `[K, M]` when transposed),
/// `op(B)` is `[K, N]`, `C` is `[M, N]`; each may carry a leading batch dimension, and a rank-2
/// `a` or `b` is shared by every batch item of a rank-3 `c`.
public struct GemmShape: Sendable, Hashable, CustomStringConvertible {
    /// Number of products (1 when `c` is rank 2).
    public let batch: Int
    public let m: Int, n: Int, k: Int
    /// Whether `a` / `b` carry their own batch dimension (false: shared by every batch item).
    public let aBatched: Bool, bBatched: Bool

    /// Validates `gemm(a, b, into: c, transposeA:, transposeB:)`'s shapes.
    public init(a: [Int], b: [Int], c: [Int], transposeA: Bool, transposeB: Bool) throws {
        try require(a.count == 2 || a.count == 3, "gemm: a must be rank 2 or 3 ([M, K] or [batch, M, K]), got \(a)")
        try require(b.count == 2 || b.count == 3, "gemm: b must be rank 2 or 3 ([K, N] or [batch, K, N]), got \(b)")
        try require(c.count == 2 || c.count == 3, "gemm: c must be rank 2 or 3 ([M, N] or [batch, M, N]), got \(c)")
        try require((a + b + c).allSatisfy { $0 >= 0 }, "gemm: negative dimension in a \(a), b \(b) or c \(c)")
        try require(
            c.count == 3 || (a.count == 2 && b.count == 2),
            "gemm: a batched operand (a \(a), b \(b)) needs a batched c [batch, M, N], got \(c)")
        let batch = c.count == 3 ? c[0] : 1
        try require(a.count == 2 || a[0] == batch, "gemm: a has batch \(a[0]) but c has batch \(batch)")
        try require(b.count == 2 || b[0] == batch, "gemm: b has batch \(b[0]) but c has batch \(batch)")
        let (aRows, aCols) = (a[a.count - 2], a[a.count - 1])
        let (bRows, bCols) = (b[b.count - 2], b[b.count - 1])
        let (m, kA) = transposeA ? (aCols, aRows) : (aRows, aCols)
        let (kB, n) = transposeB ? (bCols, bRows) : (bRows, bCols)
        try require(
            kA == kB,
            "gemm: inner dimensions differ: op(a) is [\(m), \(kA)] (a \(a)\(transposeA ? " transposed" : "")) but op(b) is [\(kB), \(n)] (b \(b)\(transposeB ? " transposed" : ""))"
        )
        try require(
            c[c.count - 2] == m && c[c.count - 1] == n,
            "gemm: c must be [\(m), \(n)] (per batch) for op(a) [\(m), \(kA)] · op(b) [\(kB), \(n)], got \(c)")
        for (name, shape) in [("a", a), ("b", b), ("c", c)] {
            try require(shape.reduce(1, *) <= Int(Int32.max), "gemm: \(name) \(shape) has more than 2³¹−1 elements")
        }
        self.batch = batch
        self.m = m; self.n = n; self.k = kA
        aBatched = a.count == 3
        bBatched = b.count == 3
    }

    /// Also rejects `c` sharing storage with `a` or `b` (the product would read its own output).
    public init(a: Tensor, b: Tensor, c: Tensor, transposeA: Bool, transposeB: Bool) throws {
        try self.init(a: a.shape, b: b.shape, c: c.shape, transposeA: transposeA, transposeB: transposeB)
        try require(c.storage !== a.storage && c.storage !== b.storage, "gemm: c must not share storage with a or b")
    }

    /// Multiply-adds of the whole product.
    public var multiplyAdds: Int { batch * m * n * k }

    public var description: String { "\(batch == 1 ? "" : "\(batch)×")[\(m)×\(k)]·[\(k)×\(n)]" }
}

/// Shape validation of `addBias(x, bias:)`: `x: [rows, cols]`, `bias: [cols]`.
public enum AddBiasShapes {
    /// Returns `(rows, cols)`.
    public static func validate(x: [Int], bias: [Int]) throws -> (rows: Int, cols: Int) {
        try require(x.count == 2, "addBias: x must be [rows, cols], got \(x)")
        try require(bias.count == 1, "addBias: bias must be [cols], got \(bias)")
        try require(bias[0] == x[1], "addBias: bias has \(bias[0]) entries but x has \(x[1]) columns (x \(x))")
        try require(x.reduce(1, *) <= Int(Int32.max), "addBias: x \(x) has more than 2³¹−1 elements")
        return (x[0], x[1])
    }
}
