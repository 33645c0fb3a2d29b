import OpenCLBackend
import ReferenceBackend
import TensorCore

/// Matrix multiplies: `OpenCLBackend.gemm` against `CLBlastSgemm` (or, for a batch of
/// per-image products, `CLBlastSgemmStridedBatched` with the shared weights at stride 0) on the
/// same queue and buffers, both timed by marker span, and against OpenBLAS's `cblas_sgemm` on
/// the host's copies of the same inputs (one call per image for a batch), timed by host clock.
///
/// Inputs are integers in −3…3: every product and partial sum is an integer below 2²⁴, exact in
/// Float32 in any summation order, so both implementations must match the exact result bit for
/// bit — at full size, not a scaled-down stand-in. Cases up to `referenceBudget` multiply-adds
/// are compared in full with the reference backend; larger ones (the plain-loop reference
/// would take minutes at 2048³) at `sampledElements` elements (first, last, and seeded random
/// ones) whose exact integer sums the host computes from the same inputs.
public enum GemmSuite {
    /// Square sizes in the three layouts training uses — NN (forward), TN (grad-input: Wᵀ·dy),
    /// NT (grad-weight: col·dyᵀ) — then the per-layer GEMMs of ResNet-20's im2col convolutions
    /// at batch 128 (per-image forward and grad-input products with shared weights, and the
    /// grad-weight product over the whole batch).
    public static func problems(quick: Bool) -> [(name: String, problem: GemmProblem)] {
        let layouts = [(false, false), (false, true), (true, false)]
        var list: [(name: String, problem: GemmProblem)] = []
        for size in quick ? [64] : [256, 512, 1024, 2048] {
            for (ta, tb) in layouts {
                let p = GemmProblem(m: size, n: size, k: size, transposeA: ta, transposeB: tb)
                list.append(("sgemm \(p.layout)", p))
            }
        }
        let convs = quick ? [ConvSuite.quickProblems()[0]] : ConvSuite.resnet20Problems(batch: 128)
        for (label, conv) in convs {
            list += im2colProblems(conv).map { ("\($0.name) \($0.problem.layout) (\(label))", $0.problem) }
        }
        return list
    }

    /// The three GEMMs of one convolution layer lowered to im2col (forward `y_n = W·col_n`,
    /// grad-input `dcol_n = Wᵀ·dy_n`, grad-weight `dWᵀ = col·dyᵀ` over every image).
    public static func im2colProblems(_ c: ConvProblem) -> [(name: String, problem: GemmProblem)] {
        let patch = c.inChannels * c.kernel * c.kernel
        let pixels = c.outHeight * c.outWidth
        return [
            ("im2col forward", GemmProblem(m: c.outChannels, n: pixels, k: patch, batch: c.batch, sharedA: true)),
            ("im2col grad-input", GemmProblem(m: patch, n: pixels, k: c.outChannels, batch: c.batch, transposeA: true, sharedA: true)),
            ("im2col grad-weight", GemmProblem(m: patch, n: c.outChannels, k: c.batch * pixels, transposeB: true)),
        ]
    }

    public static func cases(runner: BenchRunner) -> [PendingCase] {
        problems(quick: runner.settings.quick).enumerated().map { index, item in
            PendingCase(suite: .gemm, name: item.name, shape: item.problem.description) {
                try makeCase(name: item.name, problem: item.problem, seed: runner.settings.seed &+ UInt64(index), runner: runner)
            }
        }
    }

    /// The case for `problem`: inputs uploaded once, ours and CLBlast writing separate outputs.
    public static func makeCase(name: String, problem p: GemmProblem, seed: UInt64, runner: BenchRunner) throws -> BenchCase {
        let backend = runner.backend
        var rng = SeededRandom(seed: seed)
        let aHost = rng.integers(p.aShape.reduce(1, *)), bHost = rng.integers(p.bShape.reduce(1, *))
        let a = try backend.upload(aHost, shape: p.aShape), b = try backend.upload(bHost, shape: p.bShape)
        let ours = try backend.uninitialized(p.cShape), theirs = try backend.uninitialized(p.cShape)
        let checkOutput = { (c: Tensor) throws -> CheckOutcome in
            try check(try backend.download(c), a: aHost, b: bHost, problem: p, settings: runner.settings, reference: runner.reference)
        }
        let oursContender = Contender(
            name: "DiffNAS",
            run: {
                try backend.gemm(a, b, into: ours, transposeA: p.transposeA, transposeB: p.transposeB, alpha: 1, beta: 0)
            }, check: { try checkOutput(ours) })
        let (lda, ldb) = (p.transposeA ? p.m : p.k, p.transposeB ? p.k : p.n)
        let (aBuffer, bBuffer, cBuffer) = (backend.deviceBuffer(a), backend.deviceBuffer(b), backend.deviceBuffer(theirs))
        let clblast: Contender
        if p.batch == 1 {
            clblast = Contender(
                name: "CLBlast Sgemm",
                run: {
                    try CLBlast.sgemm(
                        queue: backend.queue, transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k,
                        a: aBuffer, lda: lda, b: bBuffer, ldb: ldb, c: cBuffer, ldc: p.n)
                }, check: { try checkOutput(theirs) })
        } else {
            clblast = Contender(
                name: "CLBlast SgemmStridedBatched",
                run: {
                    try CLBlast.sgemmStridedBatched(
                        queue: backend.queue, transposeA: p.transposeA, transposeB: p.transposeB,
                        m: p.m, n: p.n, k: p.k,
                        a: aBuffer, lda: lda, aStride: p.sharedA ? 0 : p.m * p.k,
                        b: bBuffer, ldb: ldb, bStride: p.sharedB ? 0 : p.k * p.n,
                        c: cBuffer, ldc: p.n, cStride: p.m * p.n, batch: p.batch)
                }, check: { try checkOutput(theirs) })
        }
        let openBLAS = openBLASContender(problem: p, a: aHost, b: bHost) {
            try check($0, a: aHost, b: bHost, problem: p, settings: runner.settings, reference: runner.reference)
        }
        return BenchCase(
            suite: .gemm, name: name, shape: p.description, work: .flops(p.flops), timing: .markerSpan,
            ours: oursContender, comparators: [clblast, openBLAS])
    }

    /// OpenBLAS `cblas_sgemm` on the host arrays `a`, `b` (one call per item of a batch, the
    /// shared operand at offset 0), writing its own host output; missing when OpenBLAS is.
    static func openBLASContender(
        problem p: GemmProblem, a: [Float], b: [Float], check: @escaping ([Float]) throws -> CheckOutcome
    ) -> Contender {
        let name: String
        switch OpenBLAS.availability {
        case .failure(let error): return .missing("OpenBLAS sgemm", because: error.description)
        case .success(let description): name = description
        }
        let output = HostArray(count: p.cShape.reduce(1, *))
        let (lda, ldb) = (p.transposeA ? p.m : p.k, p.transposeB ? p.k : p.n)
        return Contender(
            name: p.batch > 1 ? name + ", per image" : name, timing: .hostClock,
            run: {
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        output.values.withUnsafeMutableBufferPointer { cp in
                            for item in 0..<p.batch {
                                let aOffset = p.sharedA || p.batch == 1 ? 0 : item * p.m * p.k
                                let bOffset = p.sharedB || p.batch == 1 ? 0 : item * p.k * p.n
                                OpenBLAS.sgemm(
                                    transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k,
                                    a: ap.baseAddress! + aOffset, lda: lda, b: bp.baseAddress! + bOffset, ldb: ldb,
                                    c: cp.baseAddress! + item * p.m * p.n, ldc: p.n)
                            }
                        }
                    }
                }
            }, check: { try check(output.values) })
    }

    /// `output` against the reference backend (small problems) or at sampled elements against
    /// exact integer sums (large ones). Inputs must be small integers (see the type's comment).
    public static func check(
        _ output: [Float], a: [Float], b: [Float], problem p: GemmProblem, settings: BenchSettings,
        reference: ReferenceBackend
    ) throws -> CheckOutcome {
        guard output.count == p.cShape.reduce(1, *) else {
            return .failed("size", "output has \(output.count) elements, expected \(p.cShape.reduce(1, *))")
        }
        if p.multiplyAdds <= settings.referenceBudget {
            let c = try reference.zeros(p.cShape)
            try reference.gemm(
                try reference.upload(a, shape: p.aShape), try reference.upload(b, shape: p.bShape), into: c,
                transposeA: p.transposeA, transposeB: p.transposeB, alpha: 1, beta: 0)
            return .compare(output, try reference.download(c), tolerance: .exact, method: "reference backend")
        }
        let indices = CheckOutcome.sampleIndices(count: output.count, samples: settings.sampledElements)
        return .compareSampled(
            output, indices: indices, expected: { exactElement($0, a: a, b: b, problem: p) }, tolerance: .exact,
            method: "\(indices.count) sampled elements vs exact integer sums")
    }

    /// `C[index]` computed in integers from integer-valued `a`, `b`.
    static func exactElement(_ index: Int, a: [Float], b: [Float], problem p: GemmProblem) -> Double {
        let (m, n, k) = (p.m, p.n, p.k)
        let item = index / (m * n), i = index % (m * n) / n, j = index % n
        let aBase = p.sharedA || p.batch == 1 ? 0 : item * m * k
        let bBase = p.sharedB || p.batch == 1 ? 0 : item * k * n
        var sum = 0
        for q in 0..<k {
            let x = p.transposeA ? a[aBase + q * m + i] : a[aBase + i * k + q]
            let y = p.transposeB ? b[bBase + j * k + q] : b[bBase + q * n + j]
            sum += Int(x) * Int(y)
        }
        return Double(sum)
    }
}
