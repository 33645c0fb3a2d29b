import TensorCore

// Pooling: max and average (both divisor conventions) forward and backward, global average.
//
// Inputs are small integers, so window sums are exact. Max pooling draws from -2...2 so most
// windows hold ties (the first maximal element must win, forward and backward), and it also
// runs on constant images (every window one big tie; all values below the zero padding).
extension VerificationSuite {
    static func poolingCases() -> [VerifyCase] {
        let shapes: [[Int]] = [[1, 1, 1, 1], [2, 3, 7, 7], [1, 7, 31, 29], [2, 31, 8, 8], [2, 3, 16, 16], [1, 2, 6, 45]]
        let windows: [Pool2dParams] = [
            Pool2dParams(kernel: 3, stride: 1, padding: 1),
            Pool2dParams(kernel: 3, stride: 2, padding: 1),
            Pool2dParams(kernel: 2, stride: 2, padding: 0),
            Pool2dParams(kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padH: 1, padW: 0),
            Pool2dParams(kernelH: 1, kernelW: 4, strideH: 1, strideW: 3, padH: 0, padW: 2),
        ]
        var cases: [VerifyCase] = []
        var seed: UInt64 = 0x9001
        for shape in shapes {
            for params in windows where (try? params.outputShape(input: shape)) != nil {
                seed += 1
                let quick = shape == [2, 3, 7, 7] && params == windows[1]
                cases.append(maxPoolCase(shape, params, seed: seed, quick: quick))
                for countIncludePad in [true, false] {
                    seed += 1
                    cases.append(
                        avgPoolCase(
                            shape, params, countIncludePad: countIncludePad, seed: seed,
                            quick: quick && !countIncludePad))
                }
            }
        }
        // Constant images: every window is a tie, and −1 lies below the padding's zeros.
        cases.append(maxPoolCase([2, 3, 7, 7], windows[0], seed: 0, constant: -1))
        cases.append(maxPoolCase([1, 7, 31, 29], windows[1], seed: 0, constant: 4))
        for shape in shapes + [[3, 5, 93, 1], [2, 16, 45, 47]] {
            seed += 1
            cases.append(globalAvgPoolCase(shape, seed: seed))
        }
        return cases
    }

    /// maxPool2d forward and backward; exact (only comparisons and sums of small integers).
    private static func maxPoolCase(
        _ shape: [Int], _ params: Pool2dParams, seed: UInt64, constant: Float? = nil,
        quick: Bool = false
    ) -> VerifyCase {
        let label = constant.map { " constant \($0)" } ?? ""
        return VerifyCase(
            family: .pool, operation: "maxPool2d", shape: "x\(shape) \(params)\(label)", tolerance: .exact,
            quick: quick
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let count = shape.reduce(1, *)
            let xs = constant.map { [Float](repeating: $0, count: count) } ?? rng.integers(count, in: -2...2)
            let x = try backend.upload(xs, shape: shape)
            let y = try backend.maxPool2d(x, params: params)
            let dy = try backend.upload(rng.integers(y.count, in: -3...3), shape: y.shape)
            let dx = try backend.maxPool2dBackward(dy, input: x, params: params)
            return [try NamedOutput("y", y, on: backend), try NamedOutput("dx", dx, on: backend)]
        }
    }

    /// avgPool2d forward and backward. Window sums of small integers are exact and both
    /// backends add the backward's quotients in the same (row-major window) order, so a device
    /// whose `/` rounds correctly agrees exactly. OpenCL allows single-precision `/` to be off by
    /// 2.5 ulp (≈ 3e-7 relative): rtol 1e-6 for the forward; the backward adds up to 9 such
    /// quotients of |dy| ≤ 3 (each off by ≤ 9e-7, ≤ 8e-6 in all), hence atol 1e-5.
    private static func avgPoolCase(
        _ shape: [Int], _ params: Pool2dParams, countIncludePad: Bool, seed: UInt64,
        quick: Bool
    ) -> VerifyCase {
        VerifyCase(
            family: .pool, operation: "avgPool2d",
            shape: "x\(shape) \(params) countIncludePad \(countIncludePad)",
            tolerance: Tolerance(absolute: 1e-5, relative: 1e-6), quick: quick
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.integers(shape.reduce(1, *), in: -3...3), shape: shape)
            let y = try backend.avgPool2d(x, params: params, countIncludePad: countIncludePad)
            let dy = try backend.upload(rng.integers(y.count, in: -3...3), shape: y.shape)
            let dx = try backend.avgPool2dBackward(dy, inputShape: shape, params: params, countIncludePad: countIncludePad)
            return [try NamedOutput("y", y, on: backend), try NamedOutput("dx", dx, on: backend)]
        }
    }

    /// globalAvgPool forward and backward. The plane sums of small integers are exact in any
    /// order; the one division per element may be off by 2.5 ulp on devices whose `/` is not
    /// correctly rounded, hence rtol 1e-6 (exact on correctly rounding devices).
    private static func globalAvgPoolCase(_ shape: [Int], seed: UInt64) -> VerifyCase {
        VerifyCase(
            family: .pool, operation: "globalAvgPool", shape: "x\(shape)",
            tolerance: Tolerance(absolute: 0, relative: 1e-6)
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.integers(shape.reduce(1, *), in: -3...3), shape: shape)
            let y = try backend.globalAvgPool(x)
            let dy = try backend.upload(rng.integers(y.count, in: -3...3), shape: y.shape)
            let dx = try backend.globalAvgPoolBackward(dy, inputShape: shape)
            return [try NamedOutput("y", y, on: backend), try NamedOutput("dx", dx, on: backend)]
        }
    }
}
