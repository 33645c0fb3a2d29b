import TensorCore

// Sum and mean over axis sets: every subset of a rank-4 tensor, rank 8, scalars, empty axes,
// long rows and columns (two-stage on the device), and a [1031, 1025] matrix.
extension VerificationSuite {
    static func reductionCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        var seed: UInt64 = 0x5EED
        // Every subset of the axes of [3, 7, 5, 4], sums and means of integers.
        let rank4 = [3, 7, 5, 4]
        for mask in 0..<16 {
            let axes = (0..<4).filter { mask & (1 << $0) != 0 }
            seed += 1
            cases.append(integerCase(rank4, axes: axes, mean: false, seed: seed, quick: axes == [0, 2]))
            seed += 1
            cases.append(integerCase(rank4, axes: axes, mean: true, seed: seed, quick: false))
        }
        // Alternating axis groups at rank 8, size-1 axes, scalars and empty reductions.
        let rank8 = [2, 3, 1, 4, 2, 3, 2, 5]
        for axes in [[0, 2, 4, 6], [1, 3, 5, 7], [2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 6]] {
            seed += 1
            cases.append(integerCase(rank8, axes: axes, mean: false, seed: seed, quick: false))
        }
        seed += 1
        cases.append(integerCase(rank8, axes: [0, 3, 4, 7], mean: true, seed: seed, quick: false))
        for (shape, axes) in [([], []), ([1], [0]), ([4, 0, 3], [1]), ([0, 5], [1]), ([31, 93], [])] as [([Int], [Int])] {
            for mean in [false, true] {
                seed += 1
                cases.append(integerCase(shape, axes: axes, mean: mean, seed: seed, quick: false))
            }
        }
        // Long rows, long columns, a big matrix: two-stage paths on the device; integers stay
        // exact because every partial sum is an integer below 2^24.
        for (shape, axes, mean) in [
            ([2, 50021], [1], false), ([5003, 3], [0], false), ([7, 2000, 9], [1], false),
            ([1031, 1025], [0], false), ([1031, 1025], [1], false),
            ([1031, 1025], [0, 1], true),
        ] as [([Int], [Int], Bool)] {
            seed += 1
            cases.append(integerCase(shape, axes: axes, mean: mean, seed: seed, quick: false))
        }
        // Non-integer values in [-1, 1]: rounding differs between the device's compensated tree
        // and the reference's Double sum.
        for (axes, mean) in [([0], false), ([1], true), ([0, 1], false)] as [([Int], Bool)] {
            seed += 1
            cases.append(uniformCase([1031, 1025], axes: axes, mean: mean, seed: seed))
        }
        // inf and NaN inputs: a row with +inf sums to +inf, one with +inf and −inf to NaN, one with
        // a NaN to NaN, and finite rows beside them stay exact; short rows and the long-row path.
        for (cols, axes) in [(7, [1]), (4099, [1]), (7, [0])] {
            for mean in [false, true] {
                seed += 1
                cases.append(specialValuesCase(rows: 5, cols: cols, axes: axes, mean: mean, seed: seed))
            }
        }
        return cases
    }

    /// Integers with ±inf and NaN planted: row 0 gets +inf, row 1 +inf and −inf, row 2 a NaN,
    /// row 3 −inf; row 4 stays finite. Both backends must agree exactly, NaN for NaN.
    private static func specialValuesCase(rows: Int, cols: Int, axes: [Int], mean: Bool, seed: UInt64) -> VerifyCase {
        VerifyCase(
            family: .reduce, operation: mean ? "mean" : "sum", shape: "x[\(rows), \(cols)] axes \(axes) with ±inf, NaN",
            tolerance: mean ? Tolerance(absolute: 0, relative: 1e-6) : .exact
        ) { backend in
            var values = seededIntegers(rows * cols, seed: seed)
            values[0 * cols + cols / 2] = .infinity
            values[1 * cols] = .infinity; values[1 * cols + cols - 1] = -.infinity
            values[2 * cols + cols / 3] = .nan
            values[3 * cols + cols - 1] = -.infinity
            let x = try backend.upload(values, shape: [rows, cols])
            let y = mean ? try backend.mean(x, axes: axes) : try backend.sum(x, axes: axes)
            return [NamedOutput("shape", y.shape.map(Float.init)), try NamedOutput("y", y, on: backend)]
        }
    }

    /// Integers in -3...3: sums are exact in any order (exact tolerance); a mean divides that
    /// exact sum once, which may be off by 2.5 ulp where the device's `/` is not correctly
    /// rounded (rtol 1e-6; exact on correctly rounding devices). Means over empty axes are NaN.
    private static func integerCase(_ shape: [Int], axes: [Int], mean: Bool, seed: UInt64, quick: Bool) -> VerifyCase {
        VerifyCase(
            family: .reduce, operation: mean ? "mean" : "sum", shape: "x\(shape) axes \(axes)",
            tolerance: mean ? Tolerance(absolute: 0, relative: 1e-6) : .exact, quick: quick
        ) { backend in
            let x = try backend.upload(seededIntegers(shape.reduce(1, *), seed: seed), shape: shape)
            let y = mean ? try backend.mean(x, axes: axes) : try backend.sum(x, axes: axes)
            return [NamedOutput("shape", y.shape.map(Float.init)), try NamedOutput("y", y, on: backend)]
        }
    }

    /// `count` integers in -3...3 from `seed`. Beyond 4099 values (a prime period, coprime to
    /// every dimension used here) a seeded block of 4099 repeats, which keeps the debug-build
    /// generator from dominating the reference time of the million-element cases.
    private static func seededIntegers(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let block = rng.integers(min(count, 4099), in: -3...3)
        return (0..<count).map { block[$0 % 4099] }
    }

    /// Values uniform in [-1, 1]. The device sums with Kahan compensation per work-item and a
    /// pairwise tree (or a second compensated stage); the reference rounds a Double sum once.
    /// The worst-case bound of such sums (≈ 16·2⁻²⁴·Σ|x|, 0.5 for a million values) is far too
    /// loose to catch anything, so atol is a statistical bound instead: with L ≈ log2(n) + 2
    /// levels of additions, independent roundings of partial sums of values with variance 1/3
    /// give an error of standard deviation about 2⁻²⁴·sqrt(L·n/9); atol is 10 of those (2.3e-5
    /// for n = 1031, 9.3e-4 for n = 1031·1025, where a serial Float sum is off by ~1e-3–1e-2),
    /// divided by n for a mean; rtol 1e-6 covers the final roundings of both sides.
    private static func uniformCase(_ shape: [Int], axes: [Int], mean: Bool, seed: UInt64) -> VerifyCase {
        let n = axes.map { shape[$0] }.reduce(1, *)
        let levels = Double(Int.bitWidth - max(n - 1, 0).leadingZeroBitCount + 2)  // ⌈log2 n⌉ + 2
        let sigma = 0x1p-24 * (levels * Double(n) / 9).squareRoot()
        let bound = Float(10 * sigma / (mean ? Double(n) : 1))
        return VerifyCase(
            family: .reduce, operation: mean ? "mean" : "sum", shape: "x\(shape) axes \(axes) uniform",
            tolerance: Tolerance(absolute: bound, relative: 1e-6)
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.uniform(shape.reduce(1, *), in: -1...1), shape: shape)
            let y = mean ? try backend.mean(x, axes: axes) : try backend.sum(x, axes: axes)
            return [NamedOutput("shape", y.shape.map(Float.init)), try NamedOutput("y", y, on: backend)]
        }
    }
}
