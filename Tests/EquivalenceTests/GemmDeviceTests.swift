import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Device GEMM beyond the shared verification sweep: the variant this device does not use by
/// default (on PoCL, the GPU's local-memory kernel) run over every gemm and conv case, large
/// products checked across variants and against exact sampled dot products, and the errors.
@Suite(
    "OpenCL gemm variants and large products",
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct GemmDeviceTests {
    /// A second backend on the same device forced to the other GEMM variant.
    static let otherVariant: OpenCLBackend? = {
        guard let shared = SharedBackends.openCL, let backend = try? OpenCLBackend(device: shared.device) else { return nil }
        backend.gemmVariantOverride = shared.gemmVariant == .localTiles ? .registerBlocked : .localTiles
        return backend
    }()

    static func requireOtherVariant() throws -> OpenCLBackend { try #require(otherVariant, "a second OpenCL backend could not be opened") }

    /// Every gemm case and every convolution case (their GEMMs go through the same kernels).
    static let gemmAndConvolutionCases =
        VerificationSuite.cases(family: .gemm).filter { $0.operation == "gemm" }
        + VerificationSuite.cases(family: .conv)

    @Test(arguments: gemmAndConvolutionCases)
    func otherVariantMatchesReference(_ testCase: VerifyCase) throws {
        let backend = try Self.requireOtherVariant()
        #expect(backend.gemmVariant != SharedBackends.openCL?.gemmVariant)
        let result = Verifier.check(testCase, device: backend, reference: SharedBackends.reference)
        #expect(result.passed, "\(backend.gemmVariant): \(result.failureDescription)")
    }

    /// `count` integers in −2…2 from a multiplicative hash of the index: a fixed pattern with no
    /// short period that (unlike `SeededRandom.integers`) costs little in a debug build at 4 M values.
    static func integerPattern(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { i in Float(Int((UInt32(truncatingIfNeeded: (i &+ seed) &* 2_654_435_761) >> 16) % 5) - 2) }
    }

    /// `c = op(a)·op(b)` of integers in −2…2 on `backend`; returns a, b (as stored) and c.
    static func product(
        _ backend: OpenCLBackend, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
        seed: Int
    ) throws -> (a: [Float], b: [Float], c: [Float]) {
        let a = integerPattern(m * k, seed: seed), b = integerPattern(k * n, seed: seed + 1)
        let c = try backend.upload([Float](repeating: .nan, count: m * n), shape: [m, n])
        try backend.gemm(
            backend.upload(a, shape: transposeA ? [k, m] : [m, k]), backend.upload(b, shape: transposeB ? [n, k] : [k, n]),
            into: c, transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0)
        return (a, b, try backend.download(c))
    }

    /// Checks `samples` random entries of c against dot products (exact: integers below 2²⁴),
    /// including the four corners so the edge tiles are always among them.
    static func checkSampledEntries(
        _ r: (a: [Float], b: [Float], c: [Float]), m: Int, n: Int, k: Int,
        transposeA: Bool, transposeB: Bool, samples: Int, label: String
    ) {
        var rng = SeededRandom(seed: 99)
        let corners = [(0, 0), (0, n - 1), (m - 1, 0), (m - 1, n - 1)]
        let picks = corners + (0..<samples).map { _ in (Int(rng.next() % UInt64(m)), Int(rng.next() % UInt64(n))) }
        var actual: [Float] = [], expected: [Float] = []
        for (i, j) in picks {
            var sum: Float = 0
            for p in 0..<k {
                sum += (transposeA ? r.a[p * m + i] : r.a[i * k + p]) * (transposeB ? r.b[j * k + p] : r.b[p * n + j])
            }
            actual.append(r.c[i * n + j]); expected.append(sum)
        }
        assertClose(actual, expected, label)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func largeProductsAgreeAcrossVariants(_ layout: (Bool, Bool)) throws {
        let device = try SharedBackends.requireOpenCL(), other = try Self.requireOtherVariant()
        let (m, n, k) = (1030, 530, 1027)  // no dimension a multiple of any tile
        let seed = 0x1A46E + (layout.0 ? 20 : 0) + (layout.1 ? 10 : 0)
        let mine = try Self.product(device, m: m, n: n, k: k, transposeA: layout.0, transposeB: layout.1, seed: seed)
        let theirs = try Self.product(other, m: m, n: n, k: k, transposeA: layout.0, transposeB: layout.1, seed: seed)
        // Integer inputs: both variants are exact, whatever their summation order. C started
        // as NaN, so an element no work-item wrote would show (and NaN = NaN would not fail).
        #expect(!mine.c.contains { $0.isNaN } && !theirs.c.contains { $0.isNaN })
        assertClose(mine.c, theirs.c, "\(device.gemmVariant) vs \(other.gemmVariant), layout \(layout)")
        Self.checkSampledEntries(mine, m: m, n: n, k: k, transposeA: layout.0, transposeB: layout.1, samples: 500, label: "sampled entries")
    }

    @Test func twoThousandSquaredMatchesSampledDotProducts() throws {
        let device = try SharedBackends.requireOpenCL()
        for (transposeA, transposeB) in [(false, false), (true, true)] {
            let result = try Self.product(device, m: 2048, n: 2048, k: 2048, transposeA: transposeA, transposeB: transposeB, seed: 2048)
            #expect(!result.c.contains { $0.isNaN })
            Self.checkSampledEntries(
                result, m: 2048, n: 2048, k: 2048, transposeA: transposeA, transposeB: transposeB,
                samples: 300, label: "2048³ \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")")
        }
    }

    @Test func batchedSharedOperandAcrossManyItems() throws {
        // 37 items of [65, 129]·[129, 33] with b shared, then with a shared and β = 1: item t
        // must equal the rank-2 product of its own slice.
        let device = try SharedBackends.requireOpenCL()
        var rng = SeededRandom(seed: 37)
        let (batch, m, n, k) = (37, 65, 33, 129)
        let a = rng.integers(batch * m * k), b = rng.integers(k * n), c0 = rng.integers(batch * m * n)
        let c = try device.upload(c0, shape: [batch, m, n])
        try device.gemm(
            device.upload(a, shape: [batch, m, k]), device.upload(b, shape: [k, n]), into: c,
            transposeA: false, transposeB: false, alpha: 1, beta: 1)
        let batched = try device.download(c)
        for t in [0, 17, 36] {
            let single = try device.upload(Array(c0[t * m * n..<(t + 1) * m * n]), shape: [m, n])
            try device.gemm(
                device.upload(Array(a[t * m * k..<(t + 1) * m * k]), shape: [m, k]), device.upload(b, shape: [k, n]),
                into: single, transposeA: false, transposeB: false, alpha: 1, beta: 1)
            assertClose(Array(batched[t * m * n..<(t + 1) * m * n]), try device.download(single), "batch item \(t)")
        }
    }

    @Test func errorsMatchTheReference() throws {
        let device = try SharedBackends.requireOpenCL(), reference = SharedBackends.reference
        func message(_ backend: any Backend, _ body: (any Backend) throws -> Void) -> String? {
            do { try body(backend); return nil } catch { return "\(error)" }
        }
        let attempts: [(String, (any Backend) throws -> Void)] = [
            (
                "inner dimensions",
                { b in
                    try b.gemm(
                        b.zeros([2, 3]), b.zeros([2, 3]), into: b.zeros([2, 3]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
                }
            ),
            (
                "batch",
                { b in
                    try b.gemm(
                        b.zeros([3, 2, 3]), b.zeros([3, 2]), into: b.zeros([2, 2, 2]), transposeA: false, transposeB: false, alpha: 1,
                        beta: 0)
                }
            ),
            (
                "aliasing",
                { b in
                    let s = try b.zeros([2, 2]); try b.gemm(s, s, into: s, transposeA: false, transposeB: false, alpha: 1, beta: 0)
                }
            ),
            ("bias", { b in _ = try b.addBias(b.zeros([2, 3]), bias: b.zeros([2])) }),
        ]
        for (name, attempt) in attempts {
            let expected = message(reference, attempt)
            #expect(expected != nil, "\(name): the reference accepted it")
            #expect(message(device, attempt) == expected, "\(name)")
        }
    }
}
