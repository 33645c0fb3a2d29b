import TensorCore

// Elementwise operations over counts 1, 7, 31, 93, 1025, 4099 (every tail length of the 4-wide
// flat kernels GPUs run; tails of 1, 3, 7, 13 and 15 of the 16-wide ones CPUs run) plus one large
// tensor; channel masks on rank 2, 3 and 4 inputs.
//
// Inputs are small integers (`rng.integers`, −3…3) wherever the result is then exact: sums,
// products, scaling by a power of two and axpy with a small integer α stay integers far below
// 2²⁴, and the reductions (dmask, ds) add at most 9·n ≤ 2²⁴ in magnitude, so every partial
// sum in any order is exact — `.exact` tolerance. The real-valued cases say why theirs.
extension VerificationSuite {
    /// Flat shapes: counts 1, 7, 31, 93, 1025, 4099, and 2¹⁸ + 3 (many work-groups).
    static let elementwiseShapes: [[Int]] = [[1], [7], [31], [3, 31], [1025], [4099], [1, 1 << 18 | 3]]

    /// Channel-mask shapes: rank 2 [N, F], rank 3, rank 4 with N = 1, C = 1, 1×1, 7×5, 31×3 maps.
    static let channelMaskShapes: [[Int]] = [
        [1, 1], [7, 31], [93, 7], [3, 5, 7], [1, 7, 7, 5], [2, 1, 31, 3],
        [4, 31, 1, 1], [3, 31, 31, 3], [8, 16, 32, 32],
    ]

    /// A tensor of `shape` holding integers in −3…3.
    private static func ints(_ backend: any Backend, _ rng: inout SeededRandom, _ shape: [Int]) throws -> Tensor {
        try backend.upload(rng.integers(shape.reduce(1, *)), shape: shape)
    }

    static func elementwiseCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        func add(
            _ operation: String, _ shape: [Int], _ extra: String = "", tolerance: Tolerance = .exact, quick: Bool = false,
            _ run: @escaping @Sendable (any Backend, inout SeededRandom) throws -> [NamedOutput]
        ) {
            let seed = UInt64(0xE1E0 + cases.count)
            cases.append(
                VerifyCase(
                    family: .elementwise, operation: operation, shape: "\(shape)" + extra,
                    tolerance: tolerance, quick: quick
                ) { backend in
                    var rng = SeededRandom(seed: seed)
                    return try run(backend, &rng)
                })
        }
        for shape in elementwiseShapes {
            let quick = shape == [1025]
            add("relu", shape) { b, rng in
                [try NamedOutput("y", b.relu(try ints(b, &rng, shape)), on: b)]
            }
            add("relu backward", shape) { b, rng in
                let dy = try ints(b, &rng, shape), x = try ints(b, &rng, shape)
                return [try NamedOutput("dx", b.reluBackward(dy, input: x), on: b)]
            }
            add("add", shape) { b, rng in
                [try NamedOutput("y", b.add(try ints(b, &rng, shape), try ints(b, &rng, shape)), on: b)]
            }
            add("multiply", shape) { b, rng in
                [try NamedOutput("y", b.multiply(try ints(b, &rng, shape), try ints(b, &rng, shape)), on: b)]
            }
            add("scale", shape, " by -0.25") { b, rng in
                [try NamedOutput("y", b.scale(try ints(b, &rng, shape), by: -0.25), on: b)]
            }
            add("axpy", shape, " alpha 3") { b, rng in
                let x = try ints(b, &rng, shape), y = try ints(b, &rng, shape)
                try b.axpy(3, x, into: y)
                return [try NamedOutput("y", y, on: b)]
            }
            add("scale by element", shape, " s[5] index 3") { b, rng in
                let s = try b.upload([2, -1, 4, -0.5, 8], shape: [5])
                return [try NamedOutput("y", b.scaleByElement(try ints(b, &rng, shape), s, index: 3), on: b)]
            }
            add("scale by element backward", shape, " s[5] index 3", quick: quick) { b, rng in
                let s = try b.upload([2, -1, 4, -0.5, 8], shape: [5])
                let dy = try ints(b, &rng, shape), x = try ints(b, &rng, shape)
                let grads = try b.scaleByElementBackward(dy, input: x, s, index: 3)
                return [try NamedOutput("dx", grads.input, on: b), try NamedOutput("ds", grads.scale, on: b)]
            }
        }

        // Single float operations are correctly rounded in OpenCL, so real inputs are exact too
        // for these; relu also passes NaN, ±inf and −0 through exactly as the reference does.
        add("relu", [12], " special values") { b, _ in
            let x = try b.upload(
                [.nan, .infinity, -.infinity, -0.0, 0, 1e-30, -1e-30, 3, -3, .greatestFiniteMagnitude, 5, -5], shape: [12])
            return [try NamedOutput("y", b.relu(x), on: b)]
        }
        add("relu backward", [12], " special values") { b, _ in
            let x = try b.upload([.nan, .infinity, -.infinity, -0.0, 0, 1e-30, -1e-30, 3, -3, 1, 2, -2], shape: [12])
            let dy = try b.upload([1, 2, .infinity, .nan, .infinity, 6, 7, 8, 9, .nan, -.infinity, .nan], shape: [12])
            return [try NamedOutput("dx", b.reluBackward(dy, input: x), on: b)]
        }
        add("multiply", [4099], " real values") { b, rng in
            let p = try b.upload(rng.normal(4099), shape: [4099]), q = try b.upload(rng.normal(4099), shape: [4099])
            return [try NamedOutput("y", b.multiply(p, q), on: b)]
        }
        add("scale", [4099], " real values by 0.1") { b, rng in
            [try NamedOutput("y", b.scale(try b.upload(rng.normal(4099), shape: [4099]), by: 0.1), on: b)]
        }
        // axpy with real values: the device may fuse y + α·x into one mad (one rounding instead
        // of two), so results may differ by one rounding of α·x (|α·x| ≲ 1.5, so ≤ 9e-8; atol
        // 1e-6 leaves 10×) plus one ulp of the result (rtol 1.2e-7 ≈ 2⁻²³).
        add("axpy", [4099], " real values alpha -0.3", tolerance: Tolerance(absolute: 1e-6, relative: 1.2e-7)) { b, rng in
            let x = try b.upload(rng.normal(4099), shape: [4099]), y = try b.upload(rng.normal(4099), shape: [4099])
            try b.axpy(-0.3, x, into: y)
            return [try NamedOutput("y", y, on: b)]
        }
        // ds = Σ dy·x over 2¹⁸+3 real terms (|ds| ~ 500): float partial sums (blocked, then two
        // trees) against the reference's Double sum. Their error is of order 2⁻²⁴·Σ|terms| ≈ 0.01
        // at worst, ~2e-4 observed on PoCL; atol 5e-3 leaves 25×, while one dropped or doubled
        // term moves ds by ~0.6.
        add("scale by element backward", [1, 1 << 18 | 3], " real values", tolerance: Tolerance(absolute: 5e-3, relative: 1e-5)) { b, rng in
            let count = 1 << 18 | 3
            let s = try b.upload([0.7], shape: [1])
            let dy = try b.upload(rng.normal(count), shape: [1, count]), x = try b.upload(rng.normal(count), shape: [1, count])
            let grads = try b.scaleByElementBackward(dy, input: x, s, index: 0)
            return [try NamedOutput("dx", grads.input, on: b), try NamedOutput("ds", grads.scale, on: b)]
        }

        for shape in channelMaskShapes {
            let channels = shape[1]
            let quick = shape == [1, 7, 7, 5]
            add("channel mask", shape, " integer mask") { b, rng in
                let x = try ints(b, &rng, shape), mask = try b.upload(rng.integers(channels, in: -2...2), shape: [channels])
                return [try NamedOutput("y", b.channelMask(x, mask: mask), on: b)]
            }
            // A real mask in [0, 1]: one correctly rounded product per element, still exact.
            add("channel mask", shape, " real mask") { b, rng in
                let x = try b.upload(rng.normal(shape.reduce(1, *)), shape: shape)
                let mask = try b.upload(rng.uniform(channels, in: 0...1), shape: [channels])
                return [try NamedOutput("y", b.channelMask(x, mask: mask), on: b)]
            }
            add("channel mask backward", shape, quick: quick) { b, rng in
                let dy = try ints(b, &rng, shape), x = try ints(b, &rng, shape)
                let mask = try b.upload(rng.integers(channels, in: -2...2), shape: [channels])
                let grads = try b.channelMaskBackward(dy, input: x, mask: mask)
                return [try NamedOutput("dx", grads.input, on: b), try NamedOutput("dmask", grads.mask, on: b)]
            }
        }
        return cases
    }
}
