import ReferenceBackend
import TensorCore
import Testing
import Verification

/// The reference backend with one fault in every operation: the output element of largest
/// magnitude moved by `ulps` units in the last place (in-place operations: in their destination),
/// or — in `wrongStride` mode — GEMM reading B one row off, as an index bug would. Verifying it
/// as a "device" must fail in every family: proof that the checker can fail.
final class FaultyBackend: Backend, @unchecked Sendable {
    let reference = ReferenceBackend()
    let ulps: Int
    let wrongStride: Bool

    init(ulps: Int = 4, wrongStride: Bool = false) { self.ulps = ulps; self.wrongStride = wrongStride }

    var name: String { "faulty" }
    var deviceDescription: String { "the reference backend with one element off by \(ulps) ulps per operation" }

    /// `t` with its largest-magnitude element moved by `ulps` ulps (written back in place).
    @discardableResult
    func perturb(_ t: Tensor) throws -> Tensor {
        var v = try reference.download(t)
        guard let i = v.indices.filter({ v[$0].isFinite }).max(by: { abs(v[$0]) < abs(v[$1]) }) else { return t }
        for _ in 0..<ulps { v[i] = v[i] == 0 ? Float.leastNormalMagnitude : v[i].nextUp }
        try reference.copy(try reference.upload(v, shape: t.shape), into: t)
        return t
    }

    func zeros(_ shape: [Int]) throws -> Tensor { try reference.zeros(shape) }
    func upload(_ values: [Float], shape: [Int]) throws -> Tensor { try reference.upload(values, shape: shape) }
    func download(_ tensor: Tensor) throws -> [Float] { try reference.download(tensor) }
    func copy(_ source: Tensor, into destination: Tensor) throws { try reference.copy(source, into: destination) }
    func fill(_ tensor: Tensor, with value: Float) throws { try reference.fill(tensor, with: value) }
    func synchronize() throws {}
    func memoryUsage() -> MemoryUsage { reference.memoryUsage() }
    func resetPeakMemory() { reference.resetPeakMemory() }

    func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) throws {
        var operand = b
        if wrongStride, b.count > 1 {
            // B read one element off: what a wrong leading dimension or offset produces.
            let v = try reference.download(b)
            operand = try reference.upload(Array(v.dropFirst()) + [v[0]], shape: b.shape)
        }
        try reference.gemm(a, operand, into: c, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        if !wrongStride { try perturb(c) }
    }
    func addBias(_ x: Tensor, bias: Tensor) throws -> Tensor { try perturb(reference.addBias(x, bias: bias)) }

    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams) throws -> Tensor {
        try perturb(reference.conv2d(x, weight: weight, bias: bias, params: params))
    }
    func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], params: Conv2dParams) throws -> Tensor {
        try perturb(reference.conv2dBackwardInput(dy, weight: weight, inputShape: inputShape, params: params))
    }
    func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], params: Conv2dParams) throws -> Tensor {
        try perturb(reference.conv2dBackwardWeight(dy, input: x, weightShape: weightShape, params: params))
    }
    func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor { try perturb(reference.conv2dBackwardBias(dy)) }

    func batchNormTraining(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        momentum: Float, epsilon: Float
    ) throws -> BatchNormForward {
        let r = try reference.batchNormTraining(
            x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar,
            momentum: momentum, epsilon: epsilon)
        return BatchNormForward(output: try perturb(r.output), savedMean: r.savedMean, savedInvStd: r.savedInvStd)
    }
    func batchNormInference(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, epsilon: Float
    ) throws -> Tensor {
        try perturb(
            reference.batchNormInference(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon))
    }
    func batchNormBackward(
        _ dy: Tensor, input x: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor
    ) throws -> BatchNormGradients {
        let r = try reference.batchNormBackward(dy, input: x, gamma: gamma, savedMean: savedMean, savedInvStd: savedInvStd)
        return BatchNormGradients(input: try perturb(r.input), gamma: r.gamma, beta: r.beta)
    }

    func relu(_ x: Tensor) throws -> Tensor { try perturb(reference.relu(x)) }
    func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor { try perturb(reference.reluBackward(dy, input: x)) }
    func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try perturb(reference.add(a, b)) }
    func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor { try perturb(reference.multiply(a, b)) }
    func scale(_ x: Tensor, by s: Float) throws -> Tensor { try perturb(reference.scale(x, by: s)) }
    func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) throws { try reference.axpy(alpha, x, into: y); try perturb(y) }
    func channelMask(_ x: Tensor, mask: Tensor) throws -> Tensor { try perturb(reference.channelMask(x, mask: mask)) }
    func channelMaskBackward(_ dy: Tensor, input x: Tensor, mask: Tensor) throws -> (input: Tensor, mask: Tensor) {
        let r = try reference.channelMaskBackward(dy, input: x, mask: mask)
        return (try perturb(r.input), r.mask)
    }
    func scaleByElement(_ x: Tensor, _ s: Tensor, index: Int) throws -> Tensor { try perturb(reference.scaleByElement(x, s, index: index)) }
    func scaleByElementBackward(_ dy: Tensor, input x: Tensor, _ s: Tensor, index: Int) throws -> (input: Tensor, scale: Tensor) {
        let r = try reference.scaleByElementBackward(dy, input: x, s, index: index)
        return (try perturb(r.input), r.scale)
    }

    func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor { try perturb(reference.maxPool2d(x, params: params)) }
    func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor {
        try perturb(reference.maxPool2dBackward(dy, input: x, params: params))
    }
    func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        try perturb(reference.avgPool2d(x, params: params, countIncludePad: countIncludePad))
    }
    func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        try perturb(reference.avgPool2dBackward(dy, inputShape: inputShape, params: params, countIncludePad: countIncludePad))
    }
    func globalAvgPool(_ x: Tensor) throws -> Tensor { try perturb(reference.globalAvgPool(x)) }
    func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor {
        try perturb(reference.globalAvgPoolBackward(dy, inputShape: inputShape))
    }

    func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Tensor, probabilities: Tensor) {
        let r = try reference.softmaxCrossEntropy(logits: logits, labels: labels)
        return (try perturb(r.loss), r.probabilities)
    }
    func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, upstream: Float) throws -> Tensor {
        try perturb(reference.softmaxCrossEntropyBackward(probabilities: probabilities, labels: labels, upstream: upstream))
    }
    func argmax(_ x: Tensor) throws -> Tensor { try perturb(reference.argmax(x)) }

    func sum(_ x: Tensor, axes: [Int]) throws -> Tensor { try perturb(reference.sum(x, axes: axes)) }
    func mean(_ x: Tensor, axes: [Int]) throws -> Tensor { try perturb(reference.mean(x, axes: axes)) }

    func copyChannels(_ source: Tensor, from: Int, into destination: Tensor, at: Int, count: Int) throws {
        try reference.copyChannels(source, from: from, into: destination, at: at, count: count)
        try perturb(destination)
    }
    func channelShuffle(_ x: Tensor, groups: Int) throws -> Tensor { try perturb(reference.channelShuffle(x, groups: groups)) }
    func weightedSum(_ inputs: [Tensor], weights: Tensor) throws -> Tensor { try perturb(reference.weightedSum(inputs, weights: weights)) }
    func weightedSumBackward(_ dy: Tensor, inputs: [Tensor], weights: Tensor) throws -> (inputs: [Tensor], weights: Tensor) {
        let r = try reference.weightedSumBackward(dy, inputs: inputs, weights: weights)
        return (try r.inputs.map { try perturb($0) }, try perturb(r.weights))
    }
    func cropSpatial(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
        try perturb(reference.cropSpatial(x, top: top, left: left, height: height, width: width))
    }
    func cropSpatialBackward(_ dy: Tensor, inputShape: [Int], top: Int, left: Int) throws -> Tensor {
        try perturb(reference.cropSpatialBackward(dy, inputShape: inputShape, top: top, left: left))
    }
    func rankNormalize(_ importance: Tensor) throws -> Tensor { try perturb(reference.rankNormalize(importance)) }
    func softMask(normalized: Tensor, ratio a: Tensor, lambda: Float) throws -> Tensor {
        try perturb(reference.softMask(normalized: normalized, ratio: a, lambda: lambda))
    }
    func softMaskGradRatio(mask: Tensor, gradMask: Tensor, lambda: Float) throws -> Tensor {
        try perturb(reference.softMaskGradRatio(mask: mask, gradMask: gradMask, lambda: lambda))
    }
    func taylorImportanceUpdate(_ importance: Tensor, mask: Tensor, gradMask: Tensor, decay: Float) throws -> Bool {
        let applied = try reference.taylorImportanceUpdate(importance, mask: mask, gradMask: gradMask, decay: decay)
        try perturb(importance)
        return applied
    }

    func sgdStep(_ parameter: Tensor, gradient: Tensor, velocity: Tensor, _ hyper: SGDParameters) throws {
        try reference.sgdStep(parameter, gradient: gradient, velocity: velocity, hyper)
        try perturb(parameter)
    }
    func adamStep(
        _ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor, step: Int, _ hyper: AdamParameters
    ) throws {
        try reference.adamStep(parameter, gradient: gradient, firstMoment: firstMoment, secondMoment: secondMoment, step: step, hyper)
        try perturb(parameter)
    }
}

/// The verifier catches a backend that is slightly wrong, in every family, and one whose GEMM
/// reads with a wrong stride. One case per operation (the quick subset, without the batch-128
/// convolutions) keeps it cheap.
///
/// 32 ulps (≈ 4e-6 relative) is caught everywhere; 4 ulps is within the documented tolerance of
/// the cases whose arithmetic has a division, square root or exp that OpenCL lets be off by a
/// few ulps (batch norm, optimizers, cross-entropy, means, the soft mask) — those are listed.
@Suite struct FaultyBackendTests {
    static let cases = VerificationSuite.quick.filter { $0.operation != VerificationSuite.realValuedConvolution }

    @Test(arguments: VerifyFamily.allCases)
    func aSmallErrorFailsEveryFamily(_ family: VerifyFamily) throws {
        let cases = Self.cases.filter { $0.family == family }
        #expect(!cases.isEmpty)
        let caught = cases.filter { !Verifier.check($0, device: FaultyBackend(ulps: 32)).passed }
        #expect(!caught.isEmpty, "no \(family) case notices a 32-ulp error (\(cases.count) cases)")
        let missed = cases.filter { Verifier.check($0, device: FaultyBackend(ulps: 4)).passed }.map(\.description)
        if !missed.isEmpty { print("\(family): 4 ulps is within tolerance for \(missed.joined(separator: "; "))") }
    }

    /// The exact families notice a single ulp.
    @Test(arguments: [VerifyFamily.gemm, .conv, .elementwise, .pool, .reduce, .topk, .cells])
    func oneUlpFailsTheExactFamilies(_ family: VerifyFamily) {
        let caught = Self.cases.filter { $0.family == family && $0.tolerance == .exact }
            .filter { !Verifier.check($0, device: FaultyBackend(ulps: 1)).passed }
        #expect(!caught.isEmpty, "no exact \(family) case notices a 1-ulp error")
    }

    @Test func gemmWithAWrongStrideFails() {
        let cases = VerificationSuite.cases(family: .gemm).filter { $0.operation.hasPrefix("gemm") }
        let results = cases.prefix(40).map { Verifier.check($0, device: FaultyBackend(wrongStride: true)) }
        let passed = results.filter(\.passed).map(\.testCase.description)
        // Only products whose B has a single element (or none) are unchanged by the shift.
        #expect(
            passed.allSatisfy { $0.contains("b[1, 1]") || $0.contains(", 0]") || $0.contains("[0,") }, "a wrong stride passed: \(passed)")
    }
}
