import Foundation
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference backend's differentiable top-k (DMS) against hand-computed values, the
/// official unit test, finite differences in Double, and its shape/argument checks.
@Suite("Reference top-k (DMS)")
struct TopKTests {
    let backend = SharedBackends.reference

    func rank(_ c: [Float]) throws -> [Float] {
        try backend.download(backend.rankNormalize(backend.upload(c, shape: [c.count])))
    }

    func mask(_ normalized: [Float], a: Float, lambda: Float) throws -> [Float] {
        try backend.download(
            backend.softMask(
                normalized: backend.upload(normalized, shape: [normalized.count]),
                ratio: backend.upload([a], shape: [1]), lambda: lambda))
    }

    /// `r/N` as rankNormalize must return it (correctly rounded).
    static func ratio(_ r: Int, _ n: Int) -> Float { Float(Double(r) / Double(n)) }

    static func sigmoid(_ t: Double) -> Double { 1 / (1 + exp(-t)) }

    // MARK: rankNormalize

    @Test func ranksOfDistinctValues() throws {
        #expect(try rank([3, 1, 2]) == [1, Self.ratio(1, 3), Self.ratio(2, 3)])
        #expect(try rank([42]) == [1])
        #expect(try rank([-5, 10]) == [0.5, 1])
    }

    @Test func tiesAreBrokenByIndex() throws {
        #expect(try rank([2, 1, 2, 1]) == [0.75, 0.25, 1, 0.5])
        #expect(try rank([7, 7, 7]) == [Self.ratio(1, 3), Self.ratio(2, 3), 1])
    }

    @Test func nanRanksFirstAndSignedZerosTie() throws {
        // Ascending: NaN[0], −NaN[5] (tied NaNs in index order), −inf[1], −subnormal[6],
        // 0[2] and −0[3] (equal: index order), inf[4].
        let c: [Float] = [.nan, -.infinity, 0, -0.0, .infinity, -.nan, -.leastNonzeroMagnitude]
        let positions = [1, 3, 5, 6, 7, 2, 4]
        #expect(try rank(c) == positions.map { Self.ratio($0, 7) })
        #expect(try rank([-0.0, 0]) == [0.5, 1])
        #expect(try rank([0, -0.0]) == [0.5, 1])
        #expect(try rank([1, Float(nan: 3, signaling: false), -.greatestFiniteMagnitude]) == [1, Self.ratio(1, 3), Self.ratio(2, 3)])
    }

    @Test(arguments: [1, 2, 7, 31, 93, 1000, 4099])
    func ranksArePermutationRespectingOrder(n: Int) throws {
        var rng = SeededRandom(seed: UInt64(n))
        let c = rng.integers(n, in: -20...20).map { $0 * 0.25 }  // many ties
        let out = try rank(c)
        var seen = [Bool](repeating: false, count: n + 1)
        var positionOf = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let r = Int((Double(out[i]) * Double(n)).rounded())
            try #require(r >= 1 && r <= n && out[i] == Self.ratio(r, n), "c'[\(i)] = \(out[i]) is not k/\(n)")
            #expect(!seen[r], "rank \(r) appears twice")
            seen[r] = true
            positionOf[i] = r
        }
        for i in 0..<n {
            for j in (i + 1)..<min(n, i + 40) {
                if c[i] < c[j] || c[i] == c[j] { #expect(positionOf[i] < positionOf[j], "c[\(i)] = \(c[i]), c[\(j)] = \(c[j])") }
                if c[i] > c[j] { #expect(positionOf[i] > positionOf[j]) }
            }
        }
    }

    // MARK: softMask

    /// The official unit test: N distinct random importances, λ = N ⇒ exactly N − ⌊a·N⌋ masks
    /// exceed 0.5 (⌊a·N⌋ of the Float product, as a = 0.3f lies a hair above 0.3).
    @Test(arguments: [10, 7, 31, 93, 1000])
    func officialKeptCount(n: Int) throws {
        var rng = SeededRandom(seed: 7 + UInt64(n))
        let c = (0..<n).map { _ in rng.nextUnit() + Float(rng.next() % 1000) }  // distinct with overwhelming odds
        try #require(Set(c).count == n)
        let normalized = try rank(c)
        for a: Float in [0, 0.3, 0.5, 0.7, 1] {
            let m = try mask(normalized, a: a, lambda: Float(n))
            let kept = m.filter { $0 > 0.5 }.count
            #expect(kept == n - Int((a * Float(n)).rounded(.down)), "N \(n) a \(a)")
            // The kept elements are the most important ones.
            let threshold = kept > 0 ? c.sorted()[n - kept] : .infinity
            #expect(zip(c, m).allSatisfy { ($0.0 >= threshold) == ($0.1 > 0.5) })
        }
    }

    @Test func softMaskHandValues() throws {
        let m = try mask([0.25, 0.5, 0.75, 1], a: 0.5, lambda: 4)
        // Float result: expf within 1 ulp, then 1 + e and the division rounded: ≈ 3 ulp ≤ 4e-7.
        assertClose(m.map(Double.init), [-1.0, 0, 1, 2].map(Self.sigmoid), atol: 0, rtol: 4e-7, "sigmoid(4(c' − 0.5))")
        #expect(m[1] == 0.5)
    }

    /// N = 1: the element sits at c' = 0.5, m = sigmoid(λ(0.5 − a)) whatever its importance:
    /// a = 0 keeps it, a = 1 removes it (the official formula, read for the pruned fraction a,
    /// was inverted: a single-block stage started pruned).
    @Test func softMaskSingleElementKeepsAtZeroAndRemovesAtOne() throws {
        let keep = try mask([1], a: 0, lambda: 4), remove = try mask([1], a: 1, lambda: 4)
        #expect(keep[0] > 0.5 && remove[0] < 0.5, "a = 0 → \(keep[0]), a = 1 → \(remove[0])")
        assertClose(keep.map(Double.init), [Self.sigmoid(2)], atol: 0, rtol: 4e-7)
        assertClose(remove.map(Double.init), [Self.sigmoid(-2)], atol: 0, rtol: 4e-7)
        let m = try mask([1], a: 0.3, lambda: 4)
        assertClose(m.map(Double.init), [Self.sigmoid(4 * (0.5 - Double(Float(0.3))))], atol: 0, rtol: 4e-7)
        #expect(try mask([0.123], a: 0.5, lambda: 100) == [0.5])
    }

    /// N = 1: the ratio gradient has the sign and size of the finite difference of
    /// L(a) = g·sigmoid(λ(0.5 − a)) (negative for g > 0: raising a lowers m).
    @Test(arguments: [Float(0), 0.2, 0.5, 0.9])
    func singleElementGradientMatchesFiniteDifference(a: Float) throws {
        let lambda = 4.0, g: Float = 1.7
        func loss(_ a: Double) -> Double { Double(g) * Self.sigmoid(lambda * (0.5 - a)) }
        let h = 1e-6
        let numeric = (loss(Double(a) + h) - loss(Double(a) - h)) / (2 * h)
        let m = try backend.softMask(
            normalized: backend.upload([1], shape: [1]), ratio: backend.upload([a], shape: [1]), lambda: Float(lambda))
        let analytic = try backend.download(
            backend.softMaskGradRatio(mask: m, gradMask: backend.upload([g], shape: [1]), lambda: Float(lambda)))[0]
        #expect(numeric < 0 && analytic < 0)
        assertClose([Double(analytic)], [numeric], atol: 1e-6, rtol: 1e-5, "N = 1, a \(a)")
    }

    @Test func softMaskSaturatesWithoutNaN() throws {
        #expect(try mask([0.1, 0.9, 0.5], a: 0.5, lambda: 1e6) == [0, 1, 0.5])
        #expect(try mask([0.2, 0.8], a: 0.5, lambda: 1e30) == [0, 1])
    }

    // MARK: softMaskGradRatio

    @Test func gradRatioHandValues() throws {
        // Σ dm·(−λ m (1 − m)) = 1·(−1) + 2·(−0.75) + 5·0 = −2.5
        let m = try backend.upload([0.5, 0.25, 1], shape: [3])
        let dm = try backend.upload([1, 2, 5], shape: [3])
        #expect(try backend.download(backend.softMaskGradRatio(mask: m, gradMask: dm, lambda: 4)) == [-2.5])
    }

    /// ∂L/∂a of L(a) = Σ g_i·sigmoid(λ(c'_i − a)) by central differences in Double, against the
    /// reference's softMask → softMaskGradRatio in Float.
    @Test(arguments: [(10, Float(0.37)), (93, Float(0.5)), (93, Float(0.81)), (1000, Float(0.3))])
    func gradRatioMatchesFiniteDifferences(n: Int, a: Float) throws {
        var rng = SeededRandom(seed: 11 + UInt64(n))
        let normalized = try rank(rng.normal(n))
        let g = rng.normal(n)
        for lambda in [Double(n), 4 * Double(n)] {
            func loss(_ a: Double) -> Double {
                (0..<n).map { Double(g[$0]) * Self.sigmoid(lambda * (Double(normalized[$0]) - a)) }.reduce(0, +)
            }
            let h = 1e-6 / lambda
            let numeric = (loss(Double(a) + h) - loss(Double(a) - h)) / (2 * h)
            let m = try backend.softMask(
                normalized: backend.upload(normalized, shape: [n]),
                ratio: backend.upload([a], shape: [1]), lambda: Float(lambda))
            let analytic = try backend.download(
                backend.softMaskGradRatio(
                    mask: m, gradMask: backend.upload(g, shape: [n]),
                    lambda: Float(lambda)))
            // Float masks carry ≈ 2⁻²⁴ absolute error, which reaches each term as λ·|g_i|·2⁻²⁴;
            // the finite difference itself is accurate to ≈ (λh)² relative.
            let atol = lambda * g.map { Double(abs($0)) }.reduce(0, +) * 0x1p-22
            assertClose([Double(analytic[0])], [numeric], atol: atol, rtol: 1e-5, "N \(n) a \(a) λ \(lambda)")
        }
    }

    /// One-hot upstream gradients give ∂m_i/∂a itself, element by element.
    @Test func gradRatioOneHotIsElementDerivative() throws {
        let normalized: [Float] = (1...10).map { Self.ratio($0, 10) }
        let (a, lambda): (Float, Double) = (0.45, 10)
        let m = try backend.softMask(
            normalized: backend.upload(normalized, shape: [10]),
            ratio: backend.upload([a], shape: [1]), lambda: Float(lambda))
        var analytic: [Double] = [], numeric: [Double] = []
        for i in 0..<10 {
            var e = [Float](repeating: 0, count: 10)
            e[i] = 1
            analytic.append(
                Double(
                    try backend.download(
                        backend.softMaskGradRatio(
                            mask: m, gradMask: backend.upload(e, shape: [10]),
                            lambda: Float(lambda)))[0]))
            let h = 1e-7
            let c = Double(normalized[i])
            numeric.append((Self.sigmoid(lambda * (c - Double(a) - h)) - Self.sigmoid(lambda * (c - Double(a) + h))) / (2 * h))
        }
        assertClose(analytic, numeric, atol: 1e-5, rtol: 1e-5)
    }

    // MARK: taylorImportanceUpdate

    @Test func taylorUpdateHandValues() throws {
        let c = try backend.upload([1, 2, 0], shape: [3])
        let applied = try backend.taylorImportanceUpdate(
            c, mask: backend.upload([0.5, 1, 0.25], shape: [3]),
            gradMask: backend.upload([2, 3, -4], shape: [3]), decay: 0.5)
        #expect(applied)
        #expect(try backend.download(c) == [1, 5.5, 0.5])  // 0.5·c + 0.5·(m·g)²
    }

    @Test func taylorUpdateMovingAverage() throws {
        let c = try backend.zeros([4])
        let m: [Float] = [0.1, 0.5, 0.9, 1], g: [Float] = [3, -2, 0.5, 0]
        var expected = [Double](repeating: 0, count: 4)
        for _ in 0..<3 {
            #expect(
                try backend.taylorImportanceUpdate(
                    c, mask: backend.upload(m, shape: [4]),
                    gradMask: backend.upload(g, shape: [4]), decay: 0.99))
            for i in 0..<4 { expected[i] = 0.99 * expected[i] + 0.01 * pow(Double(m[i]) * Double(g[i]), 2) }
        }
        assertClose(try backend.download(c).map(Double.init), expected, atol: 0, rtol: 1e-6)
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, 1e20])
    func taylorUpdateSkipsNonFiniteScores(bad: Float) throws {
        let start: [Float] = [0.5, 1.5, 2.5]
        let c = try backend.upload(start, shape: [3])
        let applied = try backend.taylorImportanceUpdate(
            c, mask: backend.upload([1, 0.75, 0.5], shape: [3]),
            gradMask: backend.upload([1, bad, 2], shape: [3]), decay: 0.9)
        #expect(!applied)
        #expect(try backend.download(c) == start)
    }

    // MARK: Shapes and arguments

    @Test func badShapesAndArgumentsThrow() throws {
        let v3 = try backend.zeros([3]), v4 = try backend.zeros([4]), a = try backend.zeros([1])
        #expect(throws: TensorError.shape("rankNormalize: importance must be a vector [N], got [2, 3]")) {
            try backend.rankNormalize(backend.zeros([2, 3]))
        }
        #expect(throws: TensorError.shape("rankNormalize: importance must hold at least one element, got [0]")) {
            try backend.rankNormalize(backend.zeros([0]))
        }
        #expect(throws: TensorError.self) { try backend.rankNormalize(backend.zeros([])) }
        #expect(throws: TensorError.shape("softMask: ratio a must be a [1] tensor, got [3]")) {
            try backend.softMask(normalized: v3, ratio: v3, lambda: 3)
        }
        #expect(throws: TensorError.self) { try backend.softMask(normalized: v3, ratio: backend.zeros([]), lambda: 3) }
        #expect(throws: TensorError.argument("softMask: lambda must be finite, got inf")) {
            try backend.softMask(normalized: v3, ratio: a, lambda: .infinity)
        }
        #expect(throws: TensorError.shape("softMaskGradRatio: gradMask [4] must have mask's shape [3]")) {
            try backend.softMaskGradRatio(mask: v3, gradMask: v4, lambda: 3)
        }
        #expect(throws: TensorError.self) { try backend.softMaskGradRatio(mask: v3, gradMask: v3, lambda: .nan) }
        #expect(throws: TensorError.shape("taylorImportanceUpdate: mask [4] must have importance's shape [3]")) {
            try backend.taylorImportanceUpdate(v3, mask: v4, gradMask: v3, decay: 0.9)
        }
        #expect(throws: TensorError.self) { try backend.taylorImportanceUpdate(v3, mask: v3, gradMask: v4, decay: 0.9) }
        #expect(throws: TensorError.argument("taylorImportanceUpdate: decay must be in [0, 1], got 1.5")) {
            try backend.taylorImportanceUpdate(v3, mask: v3, gradMask: v3, decay: 1.5)
        }
    }
}
