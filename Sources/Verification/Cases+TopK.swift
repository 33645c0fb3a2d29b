import TensorCore

// The differentiable top-k of DMS: rankNormalize, softMask, softMaskGradRatio,
// taylorImportanceUpdate. Every input is generated on the host from a fixed seed and uploaded
// as is, so both backends see identical values (masks are not chained from softMask: the
// device's exp may differ by ulps, which is softMask's own case to judge).
extension VerificationSuite {
    static func topKCases() -> [VerifyCase] {
        topKRankCases() + topKSoftMaskCases() + topKGradRatioCases() + topKTaylorCases()
    }

    /// Normalized ranks are exact: the order is unique (ties by index) and (rank+1)/N is
    /// correctly rounded on both backends.
    private static func topKRankCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        for (k, n) in [1, 2, 7, 31, 93, 1000, 4099, 100_003].enumerated() {
            for kind in ["random normal", "ties 0…5", "NaN ±inf ±0 subnormal mixed"] {
                let seed = UInt64(100 + 10 * k) + UInt64(kind.count)
                cases.append(
                    VerifyCase(
                        family: .topk, operation: "rankNormalize", shape: "c[\(n)] \(kind)",
                        tolerance: .exact, quick: n == 1000 && kind.hasPrefix("NaN")
                    ) { backend in
                        var rng = SeededRandom(seed: seed)
                        let c: [Float]
                        switch kind {
                        case "random normal": c = rng.normal(n, std: 10)
                        case "ties 0…5": c = rng.integers(n, in: 0...5)
                        default: c = topKSpecialValues(n, rng: &rng)
                        }
                        let out = try backend.rankNormalize(try backend.upload(c, shape: [n]))
                        return [try NamedOutput("normalized", out, on: backend)]
                    })
            }
        }
        return cases
    }

    /// Random normals with about half the entries replaced by NaNs (both signs, other
    /// payloads), ±inf, ±0, ±subnormals, ±greatest finite and repeats of earlier values.
    public static func topKSpecialValues(_ n: Int, rng: inout SeededRandom) -> [Float] {
        let specials: [Float] = [
            .nan, -.nan, Float(nan: 5, signaling: false), .infinity, -.infinity, 0, -0.0,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .leastNormalMagnitude,
        ]
        var c = rng.normal(n)
        for i in 0..<n where rng.next() % 2 == 0 {
            let pick = Int(rng.next() % UInt64(specials.count + 1))
            c[i] = pick < specials.count ? specials[pick] : c[Int(rng.next() % UInt64(i + 1))]
        }
        return c
    }

    /// Normalized ranks of a random permutation: `(r + 1)/N`, as rankNormalize returns them.
    static func topKPermutationRanks(_ n: Int, rng: inout SeededRandom) -> [Float] {
        Array(1...n).shuffled(using: &rng).map { Float(Double($0) / Double(n)) }
    }

    /// softMask tolerance: rtol 2e-6 (≈ 16 ulp at worst): OpenCL allows exp 3 ulp and division
    /// 2.5 ulp, the reference's libm expf is within 1 ulp, and 1/(1+e) passes e's error on at
    /// most 1:1. atol = FLT_MIN: results in the subnormal range (t ≈ −88…−104) may be flushed
    /// to zero by a device (OpenCL lets single precision flush denormals).
    private static func topKSoftMaskCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        let tolerance = Tolerance(absolute: .leastNormalMagnitude, relative: 2e-6)
        for n in [1, 10, 93, 1025] {
            for a: Float in [0, 0.3, 0.5, 0.7, 1] {
                for lambdaFactor in [1, 4] {
                    let lambda = Float(lambdaFactor * n)
                    cases.append(
                        VerifyCase(
                            family: .topk, operation: "softMask", shape: "c'[\(n)] a \(a) λ \(lambdaFactor)N",
                            tolerance: tolerance, quick: n == 93 && a == 0.3 && lambdaFactor == 1
                        ) { backend in
                            var rng = SeededRandom(seed: 200 + UInt64(n))
                            let normalized = topKPermutationRanks(n, rng: &rng)
                            let mask = try backend.softMask(
                                normalized: try backend.upload(normalized, shape: [n]),
                                ratio: try backend.upload([a], shape: [1]), lambda: lambda)
                            return [try NamedOutput("mask", mask, on: backend)]
                        })
                }
            }
        }
        return cases
    }

    /// softMaskGradRatio: each term dm·(−λ m (1 − m)) is the same Float on both backends; the
    /// reference sums them in Double, the device in a Float tree of depth ≤ log2 N + 20 (items'
    /// serial runs included), so the error is below (⌈log2 N⌉ + 20)·2⁻²⁴·Σ|terms| — the atol
    /// of each case, computed from its inputs. A dyadic case (masks k/16, integer gradients,
    /// λ = 8) keeps every partial sum exact: `.exact`.
    private static func topKGradRatioCases() -> [VerifyCase] {
        var cases = topKGradRatioInputs.map { input in
            VerifyCase(
                family: .topk, operation: "softMaskGradRatio",
                shape: "m[\(input.n)] \(input.maskKind) λ \(input.lambdaFactor)N",
                tolerance: Tolerance(absolute: input.atol, relative: 0)
            ) { backend in
                let ratio = try backend.softMaskGradRatio(
                    mask: try backend.upload(input.mask, shape: [input.n]),
                    gradMask: try backend.upload(input.gradMask, shape: [input.n]),
                    lambda: Float(input.lambdaFactor * input.n))
                return [try NamedOutput("dL/da", ratio, on: backend)]
            }
        }
        cases.append(
            VerifyCase(
                family: .topk, operation: "softMaskGradRatio", shape: "m[93] dyadic k/16 λ 8",
                tolerance: .exact
            ) { backend in
                var rng = SeededRandom(seed: 399)
                let mask = rng.integers(93, in: 0...16).map { $0 / 16 }
                let gradMask = rng.integers(93, in: -3...3)
                let ratio = try backend.softMaskGradRatio(
                    mask: try backend.upload(mask, shape: [93]),
                    gradMask: try backend.upload(gradMask, shape: [93]), lambda: 8)
                return [try NamedOutput("dL/da", ratio, on: backend)]
            })
        return cases
    }

    /// Inputs of a softMaskGradRatio case and the atol derived from them.
    private struct TopKGradRatioInput: Sendable {
        let n: Int, lambdaFactor: Int, maskKind: String
        let mask: [Float], gradMask: [Float]
        let atol: Float
    }

    /// Generated once per process: each case's tolerance depends on its inputs, and the case
    /// list is rebuilt every time `VerificationSuite.all` is read.
    private static let topKGradRatioInputs: [TopKGradRatioInput] = {
        var inputs: [TopKGradRatioInput] = []
        for n in [1, 7, 93, 1025, 100_003] {
            for (lambdaFactor, maskKind) in [(1, "band at a = 0.5"), (4, "band at a = 0.5"), (1, "uniform masks")] {
                let lambda = Float(lambdaFactor * n)
                var rng = SeededRandom(seed: 300 + UInt64(n) + UInt64(lambdaFactor))
                let mask: [Float] =
                    maskKind == "uniform masks"
                    ? rng.uniform(n, in: 0...1)
                    : topKPermutationRanks(n, rng: &rng).map { c in
                        Float(1 / (1 + _exp(-Double(lambda) * (Double(c) - 0.5))))
                    }
                let gradMask = rng.normal(n)
                var magnitude: Double = 0
                for i in 0..<n { magnitude += Double(abs(gradMask[i] * (-lambda * mask[i] * (1 - mask[i])))) }
                let depth = Double(Int.bitWidth - (n - 1).leadingZeroBitCount + 20)
                inputs.append(
                    TopKGradRatioInput(
                        n: n, lambdaFactor: lambdaFactor, maskKind: maskKind, mask: mask,
                        gradMask: gradMask, atol: Float(magnitude * depth * 0x1p-24)))
            }
        }
        return inputs
    }()

    /// taylorImportanceUpdate over 3 consecutive steps (c starts at 0 or random); a step whose
    /// gradient holds a NaN, an inf, or overflows (m·g)² must leave c untouched. Both backends
    /// perform the same IEEE operations (FP_CONTRACT OFF); rtol 1e-6 leaves room for a device
    /// that fuses decay·c + (1 − decay)·s² (a few ulp per step). Masks in {0, ½, 1}, integer
    /// gradients and decay ½ make every value dyadic: those cases are `.exact`.
    private static func topKTaylorCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        let kinds = ["finite", "NaN at step 2", "inf at step 2", "overflow at step 2", "dyadic decay ½"]
        for n in [1, 7, 93, 1025, 100_003] {
            for kind in kinds {
                let exact = kind.hasPrefix("dyadic")
                cases.append(
                    VerifyCase(
                        family: .topk, operation: "taylorImportanceUpdate", shape: "c[\(n)] \(kind)",
                        tolerance: exact ? .exact : Tolerance(absolute: 0, relative: 1e-6)
                    ) { backend in
                        var rng = SeededRandom(seed: 400 + UInt64(n) + UInt64(kind.count))
                        let decay: Float = exact ? 0.5 : 0.99
                        let start = n % 2 == 0 ? rng.uniform(n, in: 0...2) : [Float](repeating: 0, count: n)
                        let importance = try backend.upload(exact ? rng.integers(n, in: 0...9) : start, shape: [n])
                        var outputs: [NamedOutput] = []
                        var applied: [Float] = []
                        for step in 1...3 {
                            var mask = exact ? rng.integers(n, in: 0...2).map { $0 / 2 } : rng.uniform(n, in: 0...1)
                            var grad = exact ? rng.integers(n, in: -9...9) : rng.normal(n, std: 3)
                            if step == 2 {
                                let i = Int(rng.next() % UInt64(n))
                                switch kind {
                                case "NaN at step 2": grad[i] = .nan
                                case "inf at step 2": grad[i] = -.infinity
                                case "overflow at step 2": (grad[i], mask[i]) = (1e20, 0.75)  // (m·g)² > FLT_MAX
                                default: break
                                }
                            }
                            let ok = try backend.taylorImportanceUpdate(
                                importance, mask: try backend.upload(mask, shape: [n]),
                                gradMask: try backend.upload(grad, shape: [n]), decay: decay)
                            applied.append(ok ? 1 : 0)
                            outputs.append(try NamedOutput("importance after step \(step)", importance, on: backend))
                        }
                        return outputs + [NamedOutput("applied", applied)]
                    })
            }
        }
        return cases
    }
}

#if canImport(Glibc)
import Glibc
private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
