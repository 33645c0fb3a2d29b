import TensorCore

// Matrix multiply and bias add. Every input is an integer in −3…3 (α, β halves and small
// integers), so each product, sum and α/β scaling is exact in Float32 (all magnitudes stay far
// below 2²⁴) and the device must match the reference bit for bit whatever its summation order.
extension VerificationSuite {
    static func gemmCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        let layouts = [(false, false), (false, true), (true, false), (true, true)]
        var seed: UInt64 = 0x6E_0000

        // The awkward sizes in all four layouts: 1, 7, 31, 93 (no multiple of any tile) and
        // tile-edge sizes 9, 17, 65 (one past 8, 16, 64).
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (7, 31, 93), (93, 7, 31), (31, 93, 7), (93, 93, 93), (1, 93, 31), (93, 1, 7), (7, 7, 1),
            (9, 17, 65), (17, 65, 9), (65, 9, 17), (16, 16, 16), (6, 16, 8), (13, 33, 64),
        ]
        for (transposeA, transposeB) in layouts {
            for shape in shapes {
                seed += 1
                cases.append(
                    gemmCase(
                        m: shape.m, n: shape.n, k: shape.k, transposeA: transposeA, transposeB: transposeB,
                        seed: seed, quick: shape.m == 7 && shape.n == 31 && shape.k == 93 && !transposeA && !transposeB))
            }
        }

        // One dimension ≥ 1024 (full and partial tiles along it, ≤ 30 M multiply-adds each), B
        // large enough (K·N ≥ 64 Ki, ≥ 96 rows) that the register-blocked path packs it, and a
        // transposed A large enough (M·K ≥ 64 Ki) to be packed, with 6- and 8-row tiles.
        let large: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool)] = [
            (1031, 67, 129, false, false), (33, 1029, 257, false, false), (67, 33, 1100, true, false),
            (1025, 29, 31, true, true), (29, 1031, 65, false, true), (193, 131, 517, false, false),
            (97, 257, 263, true, false), (9, 7, 7283, true, true), (16, 40, 4100, true, false),
        ]
        for shape in large {
            seed += 1
            cases.append(gemmCase(m: shape.m, n: shape.n, k: shape.k, transposeA: shape.ta, transposeB: shape.tb, seed: seed))
        }

        // α/β: β = 0 over a NaN-filled C (must not propagate), β ≠ 0 (accumulate), K = 0 (C = β·C).
        let scalings: [(m: Int, n: Int, k: Int, alpha: Float, beta: Float)] = [
            (31, 93, 7, 2, 0), (31, 93, 7, -0.5, 1.5), (93, 31, 17, 1, 1), (7, 9, 33, 0.5, -2), (5, 3, 0, 1, -2), (17, 9, 0, 3, 0),
            (0, 9, 7, 1, 0), (9, 0, 7, 1, 1), (0, 0, 5, 2, 0),  // M or N = 0: an empty C, nothing launched
        ]
        for (index, s) in scalings.enumerated() {
            for (transposeA, transposeB) in layouts {
                seed += 1
                cases.append(
                    gemmCase(
                        m: s.m, n: s.n, k: s.k, transposeA: transposeA, transposeB: transposeB,
                        alpha: s.alpha, beta: s.beta, seed: seed, quick: index == 0 && !transposeA && transposeB))
            }
        }

        // Batched: both operands batched, or one rank-2 operand shared by every batch item.
        let batched: [(batch: Int, m: Int, n: Int, k: Int, aShared: Bool, bShared: Bool, ta: Bool, tb: Bool, beta: Float)] = [
            (1, 7, 31, 93, false, false, false, false, 0), (3, 7, 31, 93, false, false, false, false, 0),
            (4, 31, 17, 9, true, false, false, false, 0), (4, 31, 17, 9, false, true, true, false, 0),
            (3, 17, 93, 31, true, false, true, true, 1), (2, 9, 65, 7, false, true, false, true, -1),
            (5, 1, 7, 31, false, false, true, true, 0.5), (3, 4, 3, 2, true, true, false, false, 0),
        ]
        for b in batched {
            seed += 1
            cases.append(
                gemmCase(
                    batch: b.batch, m: b.m, n: b.n, k: b.k, aShared: b.aShared, bShared: b.bShared,
                    transposeA: b.ta, transposeB: b.tb, beta: b.beta, seed: seed))
        }

        for (rows, cols) in [(1, 1), (7, 31), (93, 65), (1031, 7), (2, 1029)] {
            seed += 1
            cases.append(addBiasCase(rows: rows, cols: cols, seed: seed))
        }
        return cases
    }

    /// `c = α·op(a)·op(b) + β·c` with integer inputs; `batch` nil means rank-2 operands. With
    /// β = 0, c starts as NaN everywhere.
    private static func gemmCase(
        batch: Int? = nil, m: Int, n: Int, k: Int, aShared: Bool = false, bShared: Bool = false,
        transposeA: Bool, transposeB: Bool, alpha: Float = 1, beta: Float = 0,
        seed: UInt64, quick: Bool = false
    ) -> VerifyCase {
        let aShape = (batch != nil && !aShared ? [batch!] : []) + (transposeA ? [k, m] : [m, k])
        let bShape = (batch != nil && !bShared ? [batch!] : []) + (transposeB ? [n, k] : [k, n])
        let cShape = (batch.map { [$0] } ?? []) + [m, n]
        let layout = "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N")"
        let description = "\(layout) a\(aShape) b\(bShape) c\(cShape) α \(alpha) β \(beta)\(beta == 0 ? " (C = NaN)" : "")"
        return VerifyCase(family: .gemm, operation: "gemm", shape: description, tolerance: .exact, quick: quick) { backend in
            var rng = SeededRandom(seed: seed)
            let a = try backend.upload(rng.integers(aShape.reduce(1, *)), shape: aShape)
            let b = try backend.upload(rng.integers(bShape.reduce(1, *)), shape: bShape)
            let cCount = cShape.reduce(1, *)
            let c = try backend.upload(beta == 0 ? [Float](repeating: .nan, count: cCount) : rng.integers(cCount), shape: cShape)
            try backend.gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            return [try NamedOutput("c", c, on: backend)]
        }
    }

    /// `y = x + bias` per row with integer inputs.
    private static func addBiasCase(rows: Int, cols: Int, seed: UInt64) -> VerifyCase {
        VerifyCase(family: .gemm, operation: "addBias", shape: "x[\(rows),\(cols)] bias[\(cols)]", tolerance: .exact) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.integers(rows * cols, in: -100...100), shape: [rows, cols])
            let bias = try backend.upload(rng.integers(cols, in: -100...100), shape: [cols])
            return [try NamedOutput("y", try backend.addBias(x, bias: bias), on: backend)]
        }
    }
}
