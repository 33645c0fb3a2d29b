import Benchmarks
import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The correctness checks that gate timing: the host's exact formulas agree with the reference
/// backend, and a wrong result is reported as FAIL.
@Suite struct CheckTests {
    static let layouts = [(false, false), (false, true), (true, false), (true, true)]

    /// The sampled check's exact integer sums equal the reference backend's GEMM everywhere.
    @Test(arguments: [
        GemmProblem(m: 7, n: 5, k: 9), GemmProblem(m: 6, n: 4, k: 3, batch: 3, sharedA: true),
        GemmProblem(m: 3, n: 8, k: 5, batch: 2), GemmProblem(m: 4, n: 3, k: 6, batch: 2, sharedB: true),
    ])
    func gemmSampledFormulaMatchesTheReference(base: GemmProblem) throws {
        for (ta, tb) in Self.layouts {
            var p = base
            p.transposeA = ta; p.transposeB = tb
            var rng = SeededRandom(seed: 11)
            let a = rng.integers(p.aShape.reduce(1, *)), b = rng.integers(p.bShape.reduce(1, *))
            let r = SharedBackends.reference
            let c = try r.zeros(p.cShape)
            try r.gemm(
                try r.upload(a, shape: p.aShape), try r.upload(b, shape: p.bShape), into: c,
                transposeA: ta, transposeB: tb, alpha: 1, beta: 0)
            let expected = try r.download(c)
            // A zero budget forces the sampled path, here over every element.
            let settings = BenchSettings(referenceBudget: 0, sampledElements: expected.count)
            let outcome = try GemmSuite.check(expected, a: a, b: b, problem: p, settings: settings, reference: r)
            #expect(outcome.passed, "\(p) \(p.layout): \(outcome.detail)")
            #expect(outcome.checkedElements == expected.count)
        }
    }

    static let convProblems = [
        ConvProblem(batch: 2, inChannels: 3, height: 7, width: 6, outChannels: 4),
        ConvProblem(batch: 2, inChannels: 4, height: 8, width: 7, outChannels: 6, stride: 2),
        ConvProblem(batch: 3, inChannels: 4, height: 5, width: 5, outChannels: 4, groups: 4),
        ConvProblem(batch: 1, inChannels: 4, height: 6, width: 6, outChannels: 6, stride: 2, groups: 2),
    ]

    /// The sampled check's convolution formulas equal the reference backend for every pass.
    @Test(arguments: convProblems)
    func convolutionSampledFormulasMatchTheReference(p: ConvProblem) throws {
        var rng = SeededRandom(seed: 12)
        let data = ConvSuite.ConvData(
            problem: p, x: rng.integers(p.inputShape.reduce(1, *)), w: rng.integers(p.weightShape.reduce(1, *)),
            dy: rng.integers(p.outputShape.reduce(1, *)))
        let r = SharedBackends.reference
        let params = Conv2dParams(stride: p.stride, padding: p.padding, groups: p.groups)
        let x = try r.upload(data.x, shape: p.inputShape), w = try r.upload(data.w, shape: p.weightShape)
        let dy = try r.upload(data.dy, shape: p.outputShape)
        let expected: [ConvProblem.Pass: [Float]] = [
            .forward: try r.download(try r.conv2d(x, weight: w, bias: nil, params: params)),
            .gradInput: try r.download(try r.conv2dBackwardInput(dy, weight: w, inputShape: p.inputShape, params: params)),
            .gradWeight: try r.download(try r.conv2dBackwardWeight(dy, input: x, weightShape: p.weightShape, params: params)),
        ]
        for (pass, values) in expected {
            let settings = BenchSettings(referenceBudget: 0, sampledElements: values.count)
            let outcome = try ConvSuite.check(values, data: data, pass: pass, settings: settings, reference: r)
            #expect(outcome.passed, "\(p) \(pass.rawValue): \(outcome.detail)")
        }
    }

    /// One wrong element fails both the full and the sampled check (the first element is
    /// always among the samples).
    @Test(arguments: [1 << 30, 0])
    func aCorruptedGemmResultFails(budget: Int) throws {
        let p = GemmProblem(m: 33, n: 17, k: 20)
        var rng = SeededRandom(seed: 13)
        let a = rng.integers(p.aShape.reduce(1, *)), b = rng.integers(p.bShape.reduce(1, *))
        let r = SharedBackends.reference
        let c = try r.zeros(p.cShape)
        try r.gemm(
            try r.upload(a, shape: p.aShape), try r.upload(b, shape: p.bShape), into: c, transposeA: false, transposeB: false, alpha: 1,
            beta: 0)
        var output = try r.download(c)
        let settings = BenchSettings(referenceBudget: budget, sampledElements: 64)
        #expect(try GemmSuite.check(output, a: a, b: b, problem: p, settings: settings, reference: r).passed)
        output[0] += 1
        let outcome = try GemmSuite.check(output, a: a, b: b, problem: p, settings: settings, reference: r)
        #expect(!outcome.passed)
        #expect(outcome.detail.contains("[0]"), "the mismatch names the element: \(outcome.detail)")
        output[0] = .nan
        #expect(!(try GemmSuite.check(output, a: a, b: b, problem: p, settings: settings, reference: r).passed))
    }

    @Test func sampleIndicesIncludeBothEndsAndAreDistinct() {
        let indices = CheckOutcome.sampleIndices(count: 10_000, samples: 100)
        #expect(indices.count == 100 && Set(indices).count == 100)
        #expect(indices.first == 0 && indices.last == 9_999)
        #expect(indices == indices.sorted())
        #expect(CheckOutcome.sampleIndices(count: 5, samples: 100) == [0, 1, 2, 3, 4])
    }

    @Test func stepComparisonIsNormWise() {
        let expected: [(name: String, values: [Float])] = [("loss", [2.3]), ("grad w", [1, -2, 0.5, 1e-9])]
        #expect(StepSuite.compare(expected, expected).passed)
        // A near-zero element off by far more than its own size, but tiny against the tensor: passes.
        let close: [(name: String, values: [Float])] = [("loss", [2.3]), ("grad w", [1, -2, 0.5, 1e-5])]
        #expect(StepSuite.compare(close, expected).passed)
        let wrong: [(name: String, values: [Float])] = [("loss", [2.3]), ("grad w", [1, -2, 0.6, 1e-9])]
        let outcome = StepSuite.compare(wrong, expected)
        #expect(!outcome.passed && outcome.detail.contains("grad w"))
        #expect(!StepSuite.compare([("loss", [Float.nan])], [("loss", [2.3])]).passed)
        #expect(!StepSuite.compare([("other", [2.3])], [("loss", [2.3])]).passed)
    }
}

/// The runner on the device: a wrong result is FAIL, is not timed, and fails the report.
@Suite(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct RunnerTests {
    static func gemmCase(corrupt: Bool, runner: BenchRunner) throws -> BenchCase {
        let backend = runner.backend
        let p = GemmProblem(m: 24, n: 40, k: 16)
        var rng = SeededRandom(seed: 14)
        let aHost = rng.integers(p.aShape.reduce(1, *)), bHost = rng.integers(p.bShape.reduce(1, *))
        let a = try backend.upload(aHost, shape: p.aShape), b = try backend.upload(bHost, shape: p.bShape)
        let c = try backend.uninitialized(p.cShape)
        let ours = Contender(
            name: "DiffNAS",
            run: {
                try backend.gemm(a, b, into: c, transposeA: false, transposeB: false, alpha: 1, beta: 0)
                if corrupt { try backend.fill(c, with: 7) }  // an injected wrong result
            },
            check: {
                try GemmSuite.check(
                    try backend.download(c), a: aHost, b: bHost, problem: p, settings: runner.settings, reference: runner.reference)
            })
        return BenchCase(
            suite: .gemm, name: "sgemm NN", shape: p.description, work: .flops(p.flops), timing: .kernelEvents,
            ours: ours, comparators: [])
    }

    @Test func aCorrectResultIsTimedAndAWrongOneFails() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true, repetitions: 3))
        let good = runner.measure(try Self.gemmCase(corrupt: false, runner: runner))
        #expect(good.passed && good.ours.status == .ok)
        #expect(good.ours.time?.samplesMilliseconds.count == 3)
        #expect((good.ours.rate ?? 0) > 0)

        let bad = runner.measure(try Self.gemmCase(corrupt: true, runner: runner))
        #expect(!bad.passed && bad.ours.status == .failed)
        #expect(bad.ours.time == nil, "a wrong result is not timed")
        #expect(bad.ours.reason?.contains("wrong result") == true)
        #expect(BenchReport(device: backend.device, settings: runner.settings, cases: [good], steps: []).passed)
        #expect(!BenchReport(device: backend.device, settings: runner.settings, cases: [good, bad], steps: []).passed)
    }

    @Test func aThrowingComparatorIsNotAvailableNotAFailure() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true, repetitions: 1))
        var benchCase = try Self.gemmCase(corrupt: false, runner: runner)
        struct Refused: Error, CustomStringConvertible { var description: String { "not applicable to this shape" } }
        benchCase.comparators = [
            Contender(name: "CLBlast Sgemm", run: { throw Refused() }, check: { .failed("", "") }),
            .missing("OpenBLAS sgemm", because: "OpenBLAS not found"),
        ]
        let result = runner.measure(benchCase)
        #expect(result.passed)
        #expect(result.comparators.count == 2)
        #expect(result.comparator("CLBlast")?.status == .unavailable)
        #expect(result.comparator("CLBlast")?.reason?.contains("not applicable") == true)
        #expect(result.comparator("OpenBLAS")?.status == .unavailable)
        #expect(result.comparator("OpenBLAS")?.reason == "OpenBLAS not found")
        #expect(result.comparators.allSatisfy { $0.ratio == nil })
    }

    /// Both timing methods see a single kernel; the marker span also covers enqueueing.
    @Test func timingMethodsMeasureTheRun() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true))
        let x = try backend.upload([Float](repeating: 1, count: 1 << 16), shape: [1 << 16])
        let y = try backend.uninitialized([1 << 16])
        for method in [TimingMethod.kernelEvents, .markerSpan] {
            let ms = try runner.time(method) { try backend.benchCopy(x, into: y) }
            #expect(ms > 0 && ms.isFinite, "\(method)")
        }
        #expect(try runner.time(.kernelEvents) {} == 0)
        #expect(backend.profiler == nil, "the runner restores the backend's profiler")
    }

    /// PC-DARTS on the DARTS space at the benchmark's size (C = 16, 5 cells, 16×16) agrees with
    /// the reference at the step's check batch — α and every updated weight — under the step check.
    @Test func dartsSpaceSearchStepAgreesWithTheReference() throws {
        let backend = try SharedBackends.requireOpenCL()
        let workload = try #require(
            StepSuite.workloads(quick: false).first { $0.name == "pcdarts search step" && $0.detail.hasPrefix("darts") })
        let reference = ReferenceBackend()
        #expect(workload.checkBatch == 4)
        func outputs(_ backend: any Backend) throws -> [(name: String, values: [Float])] {
            let step = try workload.make(backend, workload.checkBatch)
            try step.run()
            return try step.outputs()
        }
        let device = try outputs(backend), expected = try outputs(reference)
        let check = StepSuite.compare(device, expected)
        #expect(check.passed, "\(check.detail)")
        #expect(device.contains { $0.name == "architecture weights" } && device.count > 50)
    }
}
