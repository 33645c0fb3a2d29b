import TensorCore

// Softmax cross-entropy (forward, and backward from each backend's own probabilities),
// the backward alone on given probabilities, and argmax with ties.
extension VerificationSuite {
    static func lossCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        var seed: UInt64 = 0x1055
        for n in [1, 7, 93] {
            for k in [1, 2, 10, 31] {
                for magnitude: Float in [4, 80, 100, 1000] {
                    seed += 1
                    cases.append(
                        crossEntropyCase(n: n, k: k, magnitude: magnitude, seed: seed, quick: n == 7 && k == 10 && magnitude == 80))
                }
            }
        }
        cases.append(crossEntropyCase(n: 64, k: 1000, magnitude: 80, seed: 0x1155, quick: false))
        cases.append(crossEntropyInfinityCase())
        for (n, k) in [(1, 1), (7, 10), (93, 31)] {
            seed += 1
            cases.append(crossEntropyBackwardCase(n: n, k: k, seed: seed))
        }
        for n in [1, 7, 93] {
            for k in [1, 2, 10, 31] {
                seed += 1
                cases.append(argmaxCase(n: n, k: k, seed: seed))
            }
        }
        return cases
    }

    /// softmaxCrossEntropy on logits uniform in ±magnitude (from ±100 on, exp(x) overflows Float
    /// — exp(88.7) is the largest — without the max subtraction), then its backward with upstream
    /// 0.75 from that backend's probabilities. The device computes each row in Float (exp and log
    /// within 3 ulp, a compensated sum), the reference in Double rounded once: probabilities
    /// differ by a few ulp of values ≤ 1 (atol 1e-6); the loss, up to ~2000 per row at ±1000, by a
    /// few ulp of its size (rtol 1e-5).
    private static func crossEntropyCase(n: Int, k: Int, magnitude: Float, seed: UInt64, quick: Bool) -> VerifyCase {
        VerifyCase(
            family: .loss, operation: "softmaxCrossEntropy", shape: "logits[\(n),\(k)] ±\(Int(magnitude))",
            tolerance: Tolerance(absolute: 1e-6, relative: 1e-5), quick: quick
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let logits = try backend.upload(rng.uniform(n * k, in: -magnitude...magnitude), shape: [n, k])
            let labels = try backend.upload(rng.integers(n, in: 0...(k - 1)), shape: [n])
            let (loss, probabilities) = try backend.softmaxCrossEntropy(logits: logits, labels: labels)
            let dlogits = try backend.softmaxCrossEntropyBackward(probabilities: probabilities, labels: labels, upstream: 0.75)
            return [
                try NamedOutput("loss", loss, on: backend), try NamedOutput("probabilities", probabilities, on: backend),
                try NamedOutput("dlogits", dlogits, on: backend),
            ]
        }
    }

    /// Rows with ±inf logits: −inf in a wrong class (probability exactly 0), −inf in the label's
    /// class (loss +inf), +inf somewhere (NaN: inf − inf), and a finite row beside them, which
    /// must stay finite. Both backends must give the same values, NaN for NaN.
    private static func crossEntropyInfinityCase() -> VerifyCase {
        VerifyCase(
            family: .loss, operation: "softmaxCrossEntropy", shape: "logits[4,3] with ±inf",
            tolerance: Tolerance(absolute: 1e-6, relative: 1e-5)
        ) { backend in
            let inf = Float.infinity
            let logits = try backend.upload([1, -inf, 2, -inf, 0.5, 3, inf, 0, 1, 0.25, -1, 2], shape: [4, 3])
            let labels = try backend.upload([0, 0, 1, 2], shape: [4])
            let (loss, probabilities) = try backend.softmaxCrossEntropy(logits: logits, labels: labels)
            return [try NamedOutput("loss", loss, on: backend), try NamedOutput("probabilities", probabilities, on: backend)]
        }
    }

    /// softmaxCrossEntropyBackward on probabilities that are multiples of 1/16 with upstream
    /// 0.5: `(p − onehot)·upstream` is exact, the division by N is one rounding, which may be
    /// off by 2.5 ulp where the device's `/` is not correctly rounded (rtol 1e-6).
    private static func crossEntropyBackwardCase(n: Int, k: Int, seed: UInt64) -> VerifyCase {
        VerifyCase(
            family: .loss, operation: "softmaxCrossEntropyBackward", shape: "p[\(n),\(k)]",
            tolerance: Tolerance(absolute: 0, relative: 1e-6)
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let p = try backend.upload(rng.integers(n * k, in: 0...16).map { $0 / 16 }, shape: [n, k])
            let labels = try backend.upload(rng.integers(n, in: 0...(k - 1)), shape: [n])
            let dlogits = try backend.softmaxCrossEntropyBackward(probabilities: p, labels: labels, upstream: 0.5)
            return [try NamedOutput("dlogits", dlogits, on: backend)]
        }
    }

    /// argmax of integers in -2...2 (most rows hold ties: the first maximal index wins); exact.
    private static func argmaxCase(n: Int, k: Int, seed: UInt64) -> VerifyCase {
        VerifyCase(family: .loss, operation: "argmax", shape: "x[\(n),\(k)]", tolerance: .exact) { backend in
            var rng = SeededRandom(seed: seed)
            let x = try backend.upload(rng.integers(n * k, in: -2...2), shape: [n, k])
            return [try NamedOutput("argmax", try backend.argmax(x), on: backend)]
        }
    }
}
