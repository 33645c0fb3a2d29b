import Foundation
import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Device checks of the top-k family beyond the shared VerifyCases: sizes too large for the
/// reference (checked by properties), both radix sort variants on this device, and the
/// official kept-count test run through the device.
@Suite("OpenCL top-k (DMS)", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct TopKDeviceTests {
    /// rankNormalize's ascending order: NaN first, then IEEE order (−0 == +0), ties by index.
    static func precedes(_ x: Float, _ i: Int, _ y: Float, _ j: Int) -> Bool {
        if x.isNaN != y.isNaN { return x.isNaN }
        if !x.isNaN && x != y { return x < y }
        return i < j
    }

    /// N = 10⁷ random floats with many duplicates and NaN/±inf/±0: output·N is a permutation
    /// of 1…N (counted exactly), and walking the elements by output rank visits them in
    /// non-decreasing key order with index tie-breaks.
    @Test func rankNormalizeTenMillionByProperties() throws {
        let device = try SharedBackends.requireOpenCL()
        let n = 10_000_000
        var rng = SeededRandom(seed: 77)
        var c = [Float](repeating: 0, count: n)
        let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0]
        for i in 0..<n {
            let r = rng.next()
            c[i] = r % 64 == 0 ? specials[Int(r >> 8) % specials.count] : Float(Int(r >> 32) % 2_000_000 - 1_000_000) * 0.125
        }
        let out = try device.download(device.rankNormalize(device.upload(c, shape: [n])))
        try #require(out.count == n)
        var order = [Int](repeating: -1, count: n)
        var bad = 0
        for i in 0..<n {
            let r = Int((Double(out[i]) * Double(n)).rounded())
            guard r >= 1 && r <= n && out[i] == Float(Double(r) / Double(n)) && order[r - 1] == -1 else { bad += 1; continue }
            order[r - 1] = i
        }
        #expect(bad == 0, "\(bad) outputs are not distinct values k/N")
        try #require(bad == 0)
        var misordered = 0
        for k in 0..<(n - 1) where !Self.precedes(c[order[k]], order[k], c[order[k + 1]], order[k + 1]) {
            misordered += 1
        }
        #expect(misordered == 0, "\(misordered) adjacent ranks out of order")
    }

    @Test func rankNormalizeMillionMatchesReference() throws {
        let device = try SharedBackends.requireOpenCL()
        let n = 1_000_000
        var rng = SeededRandom(seed: 78)
        let c = VerificationSuite.topKSpecialValues(n, rng: &rng).enumerated().map { i, x in i % 3 == 0 ? x.rounded() : x }
        let expected = try SharedBackends.reference.download(
            SharedBackends.reference.rankNormalize(
                SharedBackends.reference.upload(c, shape: [n])))
        let actual = try device.download(device.rankNormalize(device.upload(c, shape: [n])))
        assertClose(actual, expected, "rankNormalize N = 10⁶")
    }

    /// Both kernel variants with awkward block/tile splits (partial tiles, chunks that do not
    /// divide N, one element per block), whatever this device's default plan is.
    @Test(arguments: [
        RadixSortPlan(variant: .workGroup, workGroupSize: 64, scanWorkGroupSize: 32, maxBlocks: 50, minimumChunk: 100),
        RadixSortPlan(variant: .workGroup, workGroupSize: 256, scanWorkGroupSize: 256, maxBlocks: 1024, minimumChunk: 2048),
        RadixSortPlan(variant: .workGroup, workGroupSize: 1, scanWorkGroupSize: 1, maxBlocks: 3, minimumChunk: 1),
        RadixSortPlan(variant: .serial, workGroupSize: 1, scanWorkGroupSize: 1, maxBlocks: 7, minimumChunk: 1),
        RadixSortPlan(variant: .serial, workGroupSize: 1, scanWorkGroupSize: 16, maxBlocks: 1000, minimumChunk: 5),
    ])
    func rankNormalizePlansMatchReference(plan: RadixSortPlan) throws {
        let device = try SharedBackends.requireOpenCL()
        for n in [1, 2, 7, 93, 1000, 4099, 100_003] {
            var rng = SeededRandom(seed: 79 + UInt64(n))
            let c = n % 2 == 0 ? rng.integers(n, in: 0...5) : VerificationSuite.topKSpecialValues(n, rng: &rng)
            let expected = try SharedBackends.reference.download(
                SharedBackends.reference.rankNormalize(
                    SharedBackends.reference.upload(c, shape: [n])))
            let actual = try device.download(device.rankNormalize(device.upload(c, shape: [n]), plan: plan))
            assertClose(actual, expected, "N \(n) plan \(plan)")
        }
    }

    @Test func invalidPlanThrows() throws {
        let device = try SharedBackends.requireOpenCL()
        let x = try device.upload([1, 2, 3], shape: [3])
        let plan = RadixSortPlan(variant: .workGroup, workGroupSize: 48, scanWorkGroupSize: 32, maxBlocks: 4, minimumChunk: 1)
        #expect(throws: TensorError.self) { try device.rankNormalize(x, plan: plan) }
    }

    /// The official unit test through the device: λ = N ⇒ exactly N − ⌊a·N⌋ masks exceed 0.5.
    @Test(arguments: [10, 7, 31, 93, 1000])
    func officialKeptCountOnDevice(n: Int) throws {
        let device = try SharedBackends.requireOpenCL()
        var rng = SeededRandom(seed: 7 + UInt64(n))
        let c = (0..<n).map { _ in rng.nextUnit() + Float(rng.next() % 1000) }
        try #require(Set(c).count == n)
        let normalized = try device.rankNormalize(device.upload(c, shape: [n]))
        for a: Float in [0, 0.3, 0.5, 0.7, 1] {
            let m = try device.download(
                device.softMask(
                    normalized: normalized, ratio: device.upload([a], shape: [1]),
                    lambda: Float(n)))
            #expect(m.filter { $0 > 0.5 }.count == n - Int((a * Float(n)).rounded(.down)), "N \(n) a \(a)")
        }
    }

    /// N = 1 on the device agrees with the reference (the softMask verification tolerance, rtol
    /// 2e-6: OpenCL's exp and division ulps) and keeps the element exactly when a < 0.5.
    @Test func singleElementMaskMatchesReference() throws {
        let device = try SharedBackends.requireOpenCL()
        let reference = ReferenceBackend()
        for a: Float in [0, 0.3, 0.5, 0.7, 1] {
            for lambda: Float in [1, 4, 100] {
                let d = try device.download(
                    device.softMask(normalized: device.upload([1], shape: [1]), ratio: device.upload([a], shape: [1]), lambda: lambda))
                let r = try reference.download(
                    reference.softMask(
                        normalized: reference.upload([1], shape: [1]), ratio: reference.upload([a], shape: [1]), lambda: lambda))
                assertClose(d, r, atol: Float.leastNormalMagnitude, rtol: 2e-6, "N = 1, a \(a), λ \(lambda)")
            }
            let m = try device.download(
                device.softMask(normalized: device.upload([1], shape: [1]), ratio: device.upload([a], shape: [1]), lambda: 4))[0]
            #expect((m > 0.5) == (a < 0.5), "a \(a): m \(m)")
        }
    }

    /// The device's sigmoid (its own vector exp, exp_nonpositive of topk.cl) against σ(t) in
    /// Double at the same Float t = λ(c' − a), t sweeping [−λ/2, λ/2] through full vectors and
    /// the partial last chunk. Error budget in ulps of the result: e^−|t| ≤ 2 (argument
    /// reduction and polynomial), 1 + e 0.5, the division ≤ 2.5 (OpenCL's single-precision
    /// bound), e·r 0.5, and σ carries at most e's relative error: ≤ 5.5 ulps, so 6·2⁻²³·σ, plus
    /// 2⁻¹⁴⁸ (two roundings to the subnormal spacing 2⁻¹⁴⁹: e's last scaling and e·r) where
    /// σ < FLT_MIN.
    @Test(arguments: [(1, Float(4)), (7, 4), (31, 31), (93, 20), (100_003, 200), (100_003, 100_003)])
    func softMaskWithinUlpsOfDoubleSigmoid(n: Int, lambda: Float) throws {
        let device = try SharedBackends.requireOpenCL()
        var rng = SeededRandom(seed: 90 + UInt64(n))
        let c = Array(1...n).shuffled(using: &rng).map { Float(Double($0) / Double(n)) }
        for a: Float in [0.5, 0.37, 0] {
            let m = try device.download(
                device.softMask(normalized: device.upload(c, shape: [n]), ratio: device.upload([a], shape: [1]), lambda: lambda))
            var worst = 0.0
            for i in 0..<n {
                let t = n == 1 ? lambda * (0.5 - a) : lambda * (c[i] - a)
                let sigma = 1 / (1 + Foundation.exp(-Double(t)))
                let excess = abs(Double(m[i]) - sigma) / (6 * 0x1p-23 * sigma + 0x1p-148)
                worst = max(worst, excess)
                if excess > 1 { Issue.record("N \(n) λ \(lambda) a \(a) t \(t): device \(m[i]), σ \(sigma)"); break }
            }
            #expect(worst <= 1, "N \(n) λ \(lambda) a \(a): worst error \(worst) of the bound")
        }
    }

    /// A NaN ratio gives a NaN mask on the device, as in the reference (not a silent 0 or 1).
    @Test func softMaskPropagatesNaN() throws {
        let device = try SharedBackends.requireOpenCL()
        for n in [1, 37] {
            let m = try device.download(
                device.softMask(
                    normalized: device.upload((1...n).map { Float($0) / Float(n) }, shape: [n]),
                    ratio: device.upload([.nan], shape: [1]), lambda: Float(n)))
            #expect(m.allSatisfy { $0.isNaN }, "N \(n): \(m)")
        }
    }

    /// The ratio gradient of a million elements against a Double sum of the same Float terms.
    @Test func gradRatioMillionAgainstDoubleSum() throws {
        let device = try SharedBackends.requireOpenCL()
        let n = 1_000_000
        var rng = SeededRandom(seed: 81)
        let m = rng.uniform(n, in: 0...1), g = rng.normal(n)
        let lambda = Float(n)
        var sum: Double = 0, magnitude: Double = 0
        for i in 0..<n {
            let term = g[i] * (-lambda * m[i] * (1 - m[i]))
            sum += Double(term)
            magnitude += Double(abs(term))
        }
        let got = try device.download(
            device.softMaskGradRatio(
                mask: device.upload(m, shape: [n]),
                gradMask: device.upload(g, shape: [n]), lambda: lambda))
        // A Float tree of depth ≤ log2 N + 20 errs by at most (log2 N + 20)·2⁻²⁴·Σ|terms|.
        assertClose([Double(got[0])], [sum], atol: 40 * 0x1p-24 * magnitude, rtol: 0, "Σ over 10⁶ terms")
    }

    @Test func taylorSkipLeavesImportanceUntouchedOnDevice() throws {
        let device = try SharedBackends.requireOpenCL()
        let n = 5000
        var rng = SeededRandom(seed: 82)
        let start = rng.uniform(n, in: 0...1)
        let c = try device.upload(start, shape: [n])
        var g = rng.normal(n)
        g[n - 1] = .nan  // the very last element, in the last work-group
        let skipped = try device.taylorImportanceUpdate(
            c, mask: device.upload(rng.uniform(n, in: 0...1), shape: [n]),
            gradMask: device.upload(g, shape: [n]), decay: 0.99)
        #expect(!skipped)
        #expect(try device.download(c) == start)
        g[n - 1] = 1
        let applied = try device.taylorImportanceUpdate(
            c, mask: device.upload([Float](repeating: 1, count: n), shape: [n]),
            gradMask: device.upload(g, shape: [n]), decay: 0.5)
        #expect(applied)
        #expect(try device.download(c) != start)
    }
}
