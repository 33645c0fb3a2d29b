import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Device convolutions: each algorithm forced over every conv case,
/// batch sizes too large for the reference backend (several im2col chunks, many reduction
/// splits) checked image by image against the reference, and the device's shape errors (they
/// must equal the reference's, message included).
@Suite("OpenCL convolution at scale", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct ConvolutionDeviceTests {
    /// Backends on the same device forced to one convolution algorithm for every pass it
    /// applies to (the shared backend chooses per pass and geometry).
    static let forced: [ConvolutionAlgorithm: OpenCLBackend] = {
        guard let shared = SharedBackends.openCL else { return [:] }
        var backends: [ConvolutionAlgorithm: OpenCLBackend] = [:]
        for algorithm in ConvolutionAlgorithm.allCases {
            guard let backend = try? OpenCLBackend(device: shared.device) else { continue }
            backend.convolutionAlgorithmOverride = algorithm
            backends[algorithm] = backend
        }
        return backends
    }()

    static func backend(_ algorithm: ConvolutionAlgorithm) throws -> OpenCLBackend {
        try #require(forced[algorithm], "a second OpenCL backend could not be opened")
    }

    static let casesWithEachAlgorithm = ConvolutionAlgorithm.allCases.flatMap { algorithm in
        VerificationSuite.cases(family: .conv).map { (algorithm, $0) }
    }

    @Test(arguments: casesWithEachAlgorithm)
    func eachAlgorithmMatchesReference(_ algorithm: ConvolutionAlgorithm, _ testCase: VerifyCase) throws {
        let backend = try Self.backend(algorithm)
        let result = Verifier.check(testCase, device: backend, reference: SharedBackends.reference)
        #expect(result.passed, "\(algorithm): \(result.failureDescription)")
    }

    /// Runs forward and backward on the device for the whole batch with dy zero except on
    /// `probes`, and on the reference for just the probe images: y and dx of each probe image
    /// must match, and dw, db (sums over the batch, so only the probes contribute) must match
    /// the reference's sums over the probes. All values are integers: exact.
    func checkAtScale(
        x xShape: [Int], w wShape: [Int], params: Conv2dParams, probes: [Int], seed: UInt64,
        algorithm: ConvolutionAlgorithm
    ) throws {
        let device = try Self.backend(algorithm), reference = SharedBackends.reference
        var rng = SeededRandom(seed: seed)
        let (batch, imageSize) = (xShape[0], xShape.dropFirst().reduce(1, *))
        let xValues = rng.integers(batch * imageSize), wValues = rng.integers(wShape.reduce(1, *)), bValues = rng.integers(wShape[0])
        let yShape = try ConvGeometry("test", input: xShape, weight: wShape, params: params).outputShape
        let outSize = yShape.dropFirst().reduce(1, *)
        var dyValues = [Float](repeating: 0, count: batch * outSize)
        for n in probes {
            for (offset, value) in rng.integers(outSize).enumerated() { dyValues[n * outSize + offset] = value }
        }

        let x = try device.upload(xValues, shape: xShape), w = try device.upload(wValues, shape: wShape)
        let dy = try device.upload(dyValues, shape: yShape)
        let y = try device.download(device.conv2d(x, weight: w, bias: device.upload(bValues, shape: [wShape[0]]), params: params))
        let dx = try device.download(device.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params))
        let dw = try device.download(device.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params))
        let db = try device.download(device.conv2dBackwardBias(dy))

        func images(_ values: [Float], size: Int) -> [Float] { probes.flatMap { values[$0 * size..<($0 + 1) * size] } }
        let probeX = try reference.upload(images(xValues, size: imageSize), shape: [probes.count] + xShape.dropFirst())
        let probeDy = try reference.upload(images(dyValues, size: outSize), shape: [probes.count] + yShape.dropFirst())
        let rw = try reference.upload(wValues, shape: wShape)
        let expectedY = try reference.conv2d(probeX, weight: rw, bias: reference.upload(bValues, shape: [wShape[0]]), params: params)
        let expectedDx = try reference.conv2dBackwardInput(probeDy, weight: rw, inputShape: probeX.shape, params: params)
        let label = "x\(xShape) w\(wShape) \(params)"
        assertClose(images(y, size: outSize), try reference.download(expectedY), "y of images \(probes), \(label)")
        assertClose(images(dx, size: imageSize), try reference.download(expectedDx), "dx of images \(probes), \(label)")
        assertClose(
            dw, try reference.download(reference.conv2dBackwardWeight(probeDy, input: probeX, weightShape: wShape, params: params)),
            "dw, \(label)")
        assertClose(db, try reference.download(reference.conv2dBackwardBias(probeDy)), "db, \(label)")
        // Images without upstream gradient get dx = 0 exactly.
        let quiet = (0..<batch).first { !probes.contains($0) }!
        #expect(dx[quiet * imageSize..<(quiet + 1) * imageSize].allSatisfy { $0 == 0 })
    }

    /// CIFAR ResNet-20's first stage at batch 128, with both algorithms. The 144 × 1024 column
    /// matrices of 128 images exceed the 64 MiB budget, so im2col + GEMM runs the forward and
    /// input-gradient passes in chunks of 113 images and the weight gradient (columns plus
    /// permuted dy, both algorithms) in chunks of 102; the probes sit at both ends of every chunk.
    @Test(arguments: ConvolutionAlgorithm.allCases)
    func resNetStageAtBatch128SpansTwoChunks(_ algorithm: ConvolutionAlgorithm) throws {
        try checkAtScale(
            x: [128, 16, 32, 32], w: [16, 16, 3, 3], params: Conv2dParams(stride: 1, padding: 1),
            probes: [0, 101, 102, 112, 113, 127], seed: 1, algorithm: algorithm)
    }

    @Test func stridedGroupedAndDepthwiseAtScale() throws {
        try checkAtScale(
            x: [128, 32, 16, 16], w: [64, 16, 3, 3], params: Conv2dParams(stride: 2, padding: 1, groups: 2),
            probes: [0, 64, 127], seed: 2, algorithm: .direct)
        try checkAtScale(
            x: [96, 32, 17, 15], w: [64, 1, 3, 3], params: Conv2dParams(stride: 2, padding: 1, groups: 32),
            probes: [1, 50, 95], seed: 3, algorithm: .direct)
        try checkAtScale(x: [128, 64, 8, 8], w: [32, 64, 1, 1], params: Conv2dParams(), probes: [5, 127], seed: 4, algorithm: .gemm)
    }

    /// An empty batch: empty y and dx, and zero weight and bias gradients, on every path.
    @Test(arguments: ConvolutionAlgorithm.allCases)
    func emptyBatchGivesZeroGradients(_ algorithm: ConvolutionAlgorithm) throws {
        let device = try Self.backend(algorithm)
        for (wShape, groups) in [([4, 3, 3, 3], 1), ([6, 1, 3, 3], 3)] {
            let params = Conv2dParams(stride: 1, padding: 1, groups: groups)
            let x = try device.zeros([0, 3, 5, 5]), w = try device.upload([Float](repeating: 1, count: wShape.reduce(1, *)), shape: wShape)
            let y = try device.conv2d(
                x, weight: w, bias: device.upload([Float](repeating: 1, count: wShape[0]), shape: [wShape[0]]), params: params)
            #expect(y.shape == [0, wShape[0], 5, 5])
            let dy = try device.zeros(y.shape)
            #expect(try device.conv2dBackwardInput(dy, weight: w, inputShape: x.shape, params: params).shape == [0, 3, 5, 5])
            let dw = try device.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)
            #expect(try device.download(dw) == [Float](repeating: 0, count: wShape.reduce(1, *)))
            #expect(try device.download(device.conv2dBackwardBias(dy)) == [Float](repeating: 0, count: wShape[0]))
        }
    }

    @Test func errorsMatchTheReference() throws {
        let device = try SharedBackends.requireOpenCL(), reference = SharedBackends.reference
        func message(_ backend: any Backend, _ body: (any Backend) throws -> Void) -> String? {
            do { try body(backend); return nil } catch { return "\(error)" }
        }
        let x = [1, 4, 5, 5]
        let attempts: [(String, (any Backend) throws -> Void)] = [
            ("channels", { b in _ = try b.conv2d(b.zeros(x), weight: b.zeros([2, 3, 3, 3]), bias: nil, params: Conv2dParams()) }),
            ("groups", { b in _ = try b.conv2d(b.zeros(x), weight: b.zeros([3, 1, 3, 3]), bias: nil, params: Conv2dParams(groups: 3)) }),
            ("kernel too large", { b in _ = try b.conv2d(b.zeros(x), weight: b.zeros([2, 4, 7, 7]), bias: nil, params: Conv2dParams()) }),
            ("bias", { b in _ = try b.conv2d(b.zeros(x), weight: b.zeros([2, 4, 3, 3]), bias: b.zeros([3]), params: Conv2dParams()) }),
            (
                "dy shape",
                { b in
                    _ = try b.conv2dBackwardInput(
                        b.zeros([1, 2, 3, 4]), weight: b.zeros([2, 4, 3, 3]), inputShape: x, params: Conv2dParams())
                }
            ),
            (
                "weight shape",
                { b in
                    _ = try b.conv2dBackwardWeight(
                        b.zeros([1, 2, 3, 3]), input: b.zeros(x), weightShape: [2, 4, 3, 3], params: Conv2dParams(groups: 2))
                }
            ),
            ("bias rank", { b in _ = try b.conv2dBackwardBias(b.zeros([2, 3])) }),
        ]
        for (name, attempt) in attempts {
            let expected = message(reference, attempt)
            #expect(expected != nil, "\(name): the reference accepted it")
            #expect(message(device, attempt) == expected, "\(name)")
        }
    }
}
