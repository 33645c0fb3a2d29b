import Foundation
import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Kernel tuning on the device: every candidate the tuner can choose (for every slot, not only
/// this device's) gives exactly the reference result on integer-valued inputs over awkward
/// shapes; injected tunables reach the launched kernels' defines; and a real (small) search
/// discards wrong candidates and chooses a correct one. No test reads a clock.
@Suite(
    "Kernel tuning candidates on the device",
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct KernelTuningDeviceTests {
    /// One product `C [batch?, m, n] = op(A)·op(B)`.
    struct GemmCase: Sendable, CustomStringConvertible {
        let batch: Int, m: Int, n: Int, k: Int
        let transposeA: Bool, transposeB: Bool

        var aShape: [Int] { (batch > 1 ? [batch] : []) + (transposeA ? [k, m] : [m, k]) }
        var bShape: [Int] { (batch > 1 ? [batch] : []) + (transposeB ? [n, k] : [k, n]) }
        var cShape: [Int] { (batch > 1 ? [batch] : []) + [m, n] }
        var description: String { "\(batch)×\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")" }
    }

    /// Sizes from {1, 7, 31, 93, 1031}: M ≤ 16 and M > 16 (both register tiles), every edge,
    /// packed A (TN/TT at 1031 × 93) and packed B (93 × 1031 × 93, and every NT/TT), one batch.
    static let gemmCases: [GemmCase] = {
        let shapes = [
            (1, 1, 1, 1), (1, 1, 1031, 7), (1, 7, 31, 93), (1, 7, 93, 1031), (1, 31, 7, 1031), (1, 93, 1031, 93),
            (1, 1031, 31, 93), (1, 1031, 1, 7), (3, 31, 93, 7),
        ]
        return shapes.flatMap { s in
            [(false, false), (false, true), (true, false), (true, true)].map {
                GemmCase(batch: s.0, m: s.1, n: s.2, k: s.3, transposeA: $0.0, transposeB: $0.1)
            }
        }
    }()

    /// Inputs (integers in −2…2: every sum is exact) and the reference product of each case.
    static let gemmData: [String: (a: [Float], b: [Float], c: [Float])] = {
        let reference = SharedBackends.reference
        var data: [String: (a: [Float], b: [Float], c: [Float])] = [:]
        var rng = SeededRandom(seed: 1031)
        for testCase in gemmCases {
            let a = rng.integers(testCase.aShape.reduce(1, *), in: -2...2), b = rng.integers(testCase.bShape.reduce(1, *), in: -2...2)
            guard let c = try? reference.zeros(testCase.cShape),
                (try? reference.gemm(
                    reference.upload(a, shape: testCase.aShape), reference.upload(b, shape: testCase.bShape), into: c,
                    transposeA: testCase.transposeA, transposeB: testCase.transposeB, alpha: 1, beta: 0)) != nil,
                let values = try? reference.download(c)
            else { continue }
            data[testCase.description] = (a, b, values)
        }
        return data
    }()

    /// "" when equal, else the first differing element (NaN never equals: unwritten output shows).
    static func firstDifference(_ actual: [Float], _ expected: [Float]) -> String {
        guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
        guard let i = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return "" }
        return "element \(i) is \(actual[i]), expected \(expected[i])"
    }

    @Test(arguments: [TuningSlot.registerTile, .shortRegisterTile, .localTile])
    func everyGemmCandidateIsExact(_ slot: TuningSlot) throws {
        let device = try SharedBackends.requireOpenCL().device
        let candidates = slot.candidates(on: device)
        #expect(candidates.contains(.defaults))
        for candidate in candidates {
            let backend = try OpenCLBackend(device: device, tuning: .fixed(candidate))
            backend.gemmVariantOverride = slot.gemmVariant
            for testCase in Self.gemmCases {
                let data = try #require(Self.gemmData[testCase.description], "no reference for \(testCase)")
                let c = try backend.upload([Float](repeating: .nan, count: data.c.count), shape: testCase.cShape)
                try backend.gemm(
                    backend.upload(data.a, shape: testCase.aShape), backend.upload(data.b, shape: testCase.bShape), into: c,
                    transposeA: testCase.transposeA, transposeB: testCase.transposeB, alpha: 1, beta: 0)
                let difference = Self.firstDifference(try backend.download(c), data.c)
                #expect(difference.isEmpty, "\(slot) \(slot.value(in: candidate)), \(testCase): \(difference)")
            }
        }
    }

    /// Every GEMM variant the tuner can pick, on the real-valued cases (K = 7283, every layout)
    /// within their per-element rounding bound.
    @Test(arguments: [TuningSlot.registerTile, .shortRegisterTile, .localTile])
    func everyGemmCandidateIsWithinTheRealValuedBound(_ slot: TuningSlot) throws {
        let device = try SharedBackends.requireOpenCL().device
        let cases = VerificationSuite.cases(family: .gemm).filter { $0.operation == "gemm (real-valued)" }
        #expect(cases.count >= 10)
        let expected = try cases.map { try $0.run(SharedBackends.reference) }
        for candidate in slot.candidates(on: device) {
            let backend = try OpenCLBackend(device: device, tuning: .fixed(candidate))
            backend.gemmVariantOverride = slot.gemmVariant
            for (testCase, wanted) in zip(cases, expected) {
                let result = Verifier.check(testCase, device: backend, expected: wanted)
                #expect(result.passed, "\(slot) \(slot.value(in: candidate)): \(result.failureDescription)")
            }
        }
    }

    /// Both convolution algorithms, and every direct-kernel block the tuner can pick, on
    /// the real-valued ResNet-20 convolutions (13/29/67 channels, batch 8) within their bound.
    /// GEMM runs no direct block, so it runs once; the forward blocks on every case; a
    /// weight-gradient block changes only the weight gradients of its shape class, so it runs on
    /// the stride-1 cases of that class (32×32 and 16×16 outputs; 8×8).
    @Test func everyConvolutionAlgorithmAndCandidateIsWithinTheRealValuedBound() throws {
        let device = try SharedBackends.requireOpenCL().device
        var seed: UInt64 = 0x5245_2000
        let cases = VerificationSuite.realConvolutionCases(batch: 8, seed: &seed)
        let padded = Conv2dParams(padding: 1)
        let wide = [([8, 13, 32, 32], [13, 13, 3, 3]), ([8, 29, 16, 16], [29, 29, 3, 3])].map {
            seed += 1
            return VerificationSuite.realConvolutionCase(x: $0.0, w: $0.1, params: padded, seed: seed)
        }
        seed += 1
        let narrow = [VerificationSuite.realConvolutionCase(x: [8, 67, 8, 8], w: [67, 67, 3, 3], params: padded, seed: seed)]
        // Indices into `all` (and `expected`) of the cases each run checks.
        let all = cases + wide + narrow
        let expected = try all.map { try $0.run(SharedBackends.reference) }
        let (every, wideOnly) = (Array(cases.indices), Array(cases.count..<(cases.count + wide.count)))
        let narrowOnly = Array((cases.count + wide.count)..<all.count)
        let forwardBlocks = [TuningSlot.directOutputChannels, .narrowDirectOutputChannels].flatMap { $0.candidates(on: device) }
        let runs: [(KernelTunables, ConvolutionAlgorithm, [Int])] =
            [(KernelTunables.defaults, .gemm, every)] + forwardBlocks.map { ($0, .direct, every) }
            + TuningSlot.weightGradientBlock.candidates(on: device).map { ($0, .direct, wideOnly) }
            + TuningSlot.narrowWeightGradientBlock.candidates(on: device).map { ($0, .direct, narrowOnly) }
        for (candidate, algorithm, indices) in runs {
            let backend = try OpenCLBackend(device: device, tuning: .fixed(candidate))
            backend.convolutionAlgorithmOverride = algorithm
            for i in indices {
                let result = Verifier.check(all[i], device: backend, expected: expected[i])
                #expect(result.passed, "\(Self.blocks(candidate)) \(algorithm): \(result.failureDescription)")
            }
        }
    }

    static func blocks(_ t: KernelTunables) -> String {
        "\(t.directBlock(for: .wide)) narrow \(t.directBlock(for: .narrow)), weight gradient \(t.weightGradientBlock) narrow "
            + "\(t.narrowWeightGradientBlock)"
    }

    /// Forward, input and weight gradients by the direct kernels: odd channel counts (1, 7, 7 per
    /// group, 31: partial channel blocks for every OCB), groups, stride 2, dilation 2, a 1×1 kernel;
    /// wide outputs (31 columns; 20 at stride 2; 17 at stride 3, the generic loads) with a partial
    /// last 16-column tile, narrow ones (9, 8 columns) with a partial 8-column tile and odd rows
    /// (7 and 9 rows: a last tile of two vectors that is partly past the output).
    static let convolutionCases: [(x: [Int], w: [Int], params: Conv2dParams)] = [
        ([2, 3, 7, 31], [7, 3, 3, 3], Conv2dParams(padding: 1)),
        ([1, 5, 9, 9], [1, 5, 1, 1], Conv2dParams()),
        ([2, 4, 9, 17], [14, 2, 3, 3], Conv2dParams(stride: 2, padding: 1, groups: 2)),
        ([1, 6, 8, 8], [31, 6, 3, 3], Conv2dParams(padding: 2, dilation: 2)),
        ([1, 3, 5, 40], [5, 3, 3, 3], Conv2dParams(stride: 2, padding: 1)),
        ([1, 2, 7, 50], [3, 2, 3, 3], Conv2dParams(stride: 3, padding: 1)),
    ]

    /// Every candidate, exactly, on `convolutionCases` (integer inputs): a forward block on all
    /// three passes, a weight-gradient block on the weight gradient it changes. The reference
    /// runs once per case.
    @Test func everyConvolutionCandidateIsExact() throws {
        let device = try SharedBackends.requireOpenCL().device, reference = SharedBackends.reference
        var rng = SeededRandom(seed: 17)
        let inputs = try Self.convolutionCases.map { xShape, wShape, params in
            let yShape = try params.outputShape(input: xShape, weight: wShape)
            return (
                x: rng.integers(xShape.reduce(1, *), in: -2...2), w: rng.integers(wShape.reduce(1, *), in: -2...2),
                bias: rng.integers(wShape[0], in: -2...2), dy: rng.integers(yShape.reduce(1, *), in: -2...2), yShape: yShape
            )
        }
        func passes(_ b: any Backend, case c: Int, weightGradientOnly: Bool) throws -> [[Float]] {
            let (xShape, wShape, params) = Self.convolutionCases[c]
            let v = inputs[c]
            let (xt, wt, dyt) = (try b.upload(v.x, shape: xShape), try b.upload(v.w, shape: wShape), try b.upload(v.dy, shape: v.yShape))
            let weightGradient = try b.download(b.conv2dBackwardWeight(dyt, input: xt, weightShape: wShape, params: params))
            if weightGradientOnly { return [weightGradient] }
            return [
                weightGradient, try b.download(b.conv2d(xt, weight: wt, bias: b.upload(v.bias, shape: [wShape[0]]), params: params)),
                try b.download(b.conv2dBackwardInput(dyt, weight: wt, inputShape: xShape, params: params)),
            ]
        }
        let expected = try Self.convolutionCases.indices.map { try passes(reference, case: $0, weightGradientOnly: false) }
        let weightGradientSlots: Set<TuningSlot> = [.weightGradientBlock, .narrowWeightGradientBlock]
        let slots: [TuningSlot] = [.directOutputChannels, .narrowDirectOutputChannels, .weightGradientBlock, .narrowWeightGradientBlock]
        for slot in slots {
            for candidate in slot.candidates(on: device) {
                let backend = try OpenCLBackend(device: device, tuning: .fixed(candidate))
                backend.convolutionAlgorithmOverride = .direct
                for (c, (xShape, wShape, params)) in Self.convolutionCases.enumerated() {
                    let label = "\(Self.blocks(candidate)), x \(xShape) w \(wShape) \(params)"
                    let mine = try passes(backend, case: c, weightGradientOnly: weightGradientSlots.contains(slot))
                    for (name, (actual, wanted)) in zip(["weight gradient", "forward", "input gradient"], zip(mine, expected[c])) {
                        let difference = Self.firstDifference(actual, wanted)
                        #expect(difference.isEmpty, "\(label) \(name): \(difference)")
                    }
                }
            }
        }
    }
}
