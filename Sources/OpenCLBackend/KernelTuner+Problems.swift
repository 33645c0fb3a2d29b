import OpenCLRuntime
import ReferenceBackend
import TensorCore

/// The problems `KernelTuner` checks and times candidates on.
public struct TuningProblems: Sendable {
    /// `C = op(A)·op(B)` with op(A) `[m, k]` and op(B) `[k, n]`.
    public struct Gemm: Sendable, Hashable, CustomStringConvertible {
        public var m: Int, n: Int, k: Int
        public var transposeA: Bool, transposeB: Bool

        public init(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
            self.m = m; self.n = n; self.k = k; self.transposeA = transposeA; self.transposeB = transposeB
        }
        public var description: String { "\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")" }
    }

    /// A stride-1 square-kernel convolution `y [batch, out, H', W'] = conv(x [batch, in, H, W], w)`.
    public struct Convolution: Sendable, Hashable, CustomStringConvertible {
        public var batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, pad: Int

        public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, pad: Int) {
            self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels
            self.height = height; self.width = width; self.kernel = kernel; self.pad = pad
        }
        public var outHeight: Int { height + 2 * pad - kernel + 1 }
        var inputShape: [Int] { [batch, inChannels, height, width] }
        var weightShape: [Int] { [outChannels, inChannels, kernel, kernel] }
        var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
        public var outWidth: Int { width + 2 * pad - kernel + 1 }
        public var description: String {
            "conv \(batch)×\(inChannels)×\(height)×\(width)→\(outChannels) \(kernel)×\(kernel)"
        }
    }

    /// For the general register tile (and local tiles): a square product.
    public var square: Gemm
    /// For the M ≤ 16 register tile (and local tiles): a short product.
    public var short: Gemm
    /// For the direct convolution's channel block on wide outputs (the narrow outputs' block is
    /// timed on `narrowConvolution`).
    public var convolution: Convolution
    /// For the algorithm of each pass: an output narrower than 16 columns, and a wide one.
    public var narrowConvolution: Convolution
    public var wideConvolution: Convolution

    public init(square: Gemm, short: Gemm, convolution: Convolution, narrowConvolution: Convolution, wideConvolution: Convolution) {
        self.square = square; self.short = short; self.convolution = convolution
        self.narrowConvolution = narrowConvolution; self.wideConvolution = wideConvolution
    }

    /// 256³; the weight gradient of a 16-channel 3×3 convolution over eight 32×32 images,
    /// dW [16, 144] = dy [16, 8192] · colᵀ (B transposed, as im2col leaves it). For the direct
    /// kernel's channel blocks and the algorithms: ResNet-20's first stage (16 channels, 32×32)
    /// and last (64 channels, 8×8), batch 32 — at batch 8 (0.3–0.5 ms a launch) the candidates
    /// measured within 5% of each other and the choice flipped between runs, where batch 128
    /// separates them by 15–30% (PoCL, AVX-512 EPYC).
    public static let standard = TuningProblems(
        square: Gemm(m: 256, n: 256, k: 256),
        short: Gemm(m: 16, n: 144, k: 8192, transposeB: true),
        convolution: Convolution(batch: 32, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 3, pad: 1),
        narrowConvolution: Convolution(batch: 32, inChannels: 64, outChannels: 64, height: 8, width: 8, kernel: 3, pad: 1),
        wideConvolution: Convolution(batch: 32, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 3, pad: 1))

    /// Small versions of the same kinds of problem, for tests (`convolution` and
    /// `wideConvolution` at least 16 columns wide, as the slots timed on them expect).
    public static let quick = TuningProblems(
        square: Gemm(m: 48, n: 40, k: 56),
        short: Gemm(m: 16, n: 40, k: 264, transposeB: true),
        convolution: Convolution(batch: 2, inChannels: 5, outChannels: 12, height: 10, width: 17, kernel: 3, pad: 1),
        narrowConvolution: Convolution(batch: 2, inChannels: 6, outChannels: 5, height: 6, width: 7, kernel: 3, pad: 1),
        wideConvolution: Convolution(batch: 2, inChannels: 5, outChannels: 4, height: 6, width: 17, kernel: 3, pad: 1))
}

/// One problem of `TuningProblems`.
enum TuningProblem: CustomStringConvertible {
    case gemm(TuningProblems.Gemm)
    case convolution(TuningProblems.Convolution)
    /// One pass of a convolution as the backend runs it (`conv2d`, `conv2dBackwardInput`,
    /// `conv2dBackwardWeight`) with the candidate's algorithm.
    case convolutionPass(ConvolutionPass, TuningProblems.Convolution)
    /// The weight gradient of a convolution by the direct kernel, with the candidate's block.
    case directWeightGradient(TuningProblems.Convolution)

    var description: String {
        switch self {
        case .gemm(let g): g.description
        case .convolution(let c): c.description
        case let .convolutionPass(pass, c): "\(c) \(pass.rawValue)"
        case .directWeightGradient(let c): "\(c) weight-gradient direct"
        }
    }

    /// Floating-point operations (2 per multiply-add).
    var flops: Double {
        switch self {
        case .gemm(let g): 2 * Double(g.m) * Double(g.n) * Double(g.k)
        case .convolution(let c), .convolutionPass(_, let c), .directWeightGradient(let c):
            2 * Double(c.batch * c.outChannels * c.outHeight * c.outWidth) * Double(c.inChannels * c.kernel * c.kernel)
        }
    }
}

/// A problem's device inputs and output, and its exact CPU result.
final class PreparedProblem {
    let inputs: [Tensor]
    let output: Tensor
    let expected: [Float]

    init(inputs: [Tensor], output: Tensor, expected: [Float]) {
        self.inputs = inputs; self.output = output; self.expected = expected
    }

    /// Fills the output with NaN, so an element no work-item writes shows as a mismatch.
    func poisonOutput(_ backend: OpenCLBackend) throws { try backend.fill(output, with: .nan) }
}

/// The problems of one tuning run, each uploaded and computed on the CPU once.
final class TuningWorkspace {
    let backend: OpenCLBackend
    private var prepared: [String: PreparedProblem] = [:]

    init(backend: OpenCLBackend) { self.backend = backend }

    /// `problem`'s inputs (integers in −2…2, so every sum is exact in Float) and CPU result.
    func prepare(_ problem: TuningProblem) throws -> PreparedProblem {
        if let done = prepared[problem.description] { return done }
        let result: PreparedProblem
        switch problem {
        case .gemm(let g):
            let a = Self.integers(g.m * g.k, seed: 1), b = Self.integers(g.k * g.n, seed: 2)
            result = PreparedProblem(
                inputs: [try backend.upload(a, shape: [g.m * g.k]), try backend.upload(b, shape: [g.k * g.n])],
                output: try backend.empty([g.m * g.n]), expected: try Self.expected(problem, [a, b]))
        case .convolution(let c):
            let x = Self.integers(c.batch * c.inChannels * c.height * c.width, seed: 3)
            let w = Self.integers(c.outChannels * c.inChannels * c.kernel * c.kernel, seed: 4)
            result = PreparedProblem(
                inputs: [
                    try backend.upload(x, shape: [c.batch, c.inChannels, c.height, c.width]),
                    try backend.upload(w, shape: [c.outChannels, c.inChannels, c.kernel, c.kernel]),
                ],
                output: try backend.empty([c.batch, c.outChannels, c.outHeight, c.outWidth]), expected: try Self.expected(problem, [x, w]))
        case .directWeightGradient(let c):
            result = try prepare(.convolutionPass(.weightGradient, c))
        case let .convolutionPass(pass, c):
            // Forward: x and w; input gradient: dy and w; weight gradient: dy and x.
            let x = Self.integers(c.batch * c.inChannels * c.height * c.width, seed: 3)
            let w = Self.integers(c.outChannels * c.inChannels * c.kernel * c.kernel, seed: 4)
            let dy = Self.integers(c.batch * c.outChannels * c.outHeight * c.outWidth, seed: 5)
            let (xShape, wShape, yShape) = (c.inputShape, c.weightShape, c.outputShape)
            let (values, shapes, outShape): ([[Float]], [[Int]], [Int]) =
                switch pass {
                case .forward: ([x, w], [xShape, wShape], yShape)
                case .inputGradient: ([dy, w], [yShape, wShape], xShape)
                case .weightGradient: ([dy, x], [yShape, xShape], wShape)
                }
            result = PreparedProblem(
                inputs: try zip(values, shapes).map { try backend.upload($0, shape: $1) },
                output: try backend.empty(outShape), expected: try Self.expected(problem, values))
        }
        prepared[problem.description] = result
        return result
    }

    /// Runs `problem` with `tunables`: the slot's GEMM variant through `gemmRaw`, the direct
    /// convolution with the candidate's channel block, or a whole pass as the backend runs it
    /// with every value of the candidate (its algorithm and its tiles).
    func launch(_ problem: TuningProblem, _ p: PreparedProblem, slot: TuningSlot, tunables: KernelTunables) throws {
        switch problem {
        case .gemm(let g):
            let configuration = GemmConfiguration(variant: slot.gemmVariant ?? backend.gemmVariant, tunables: tunables)
            try backend.gemmRaw(
                m: g.m, n: g.n, k: g.k,
                a: GemmOperand(backend.buffer(p.inputs[0]), leadingDimension: g.transposeA ? g.m : g.k),
                transposeA: g.transposeA,
                b: GemmOperand(backend.buffer(p.inputs[1]), leadingDimension: g.transposeB ? g.k : g.n),
                transposeB: g.transposeB,
                c: GemmOperand(backend.buffer(p.output), leadingDimension: g.n), alpha: 1, beta: 0,
                configuration: configuration)
        case let .convolutionPass(pass, c):
            guard let algorithm = slot.convolutionChoice.flatMap({ tunables.convolutionAlgorithm($0.pass, $0.shape) }) else {
                throw TuningError("\(slot) has no convolution algorithm to run \(problem) with")
            }
            // The whole candidate (its tiles too), and its algorithm ahead of DIFFNAS_CONV.
            let saved = (backend.convolutionAlgorithmOverride, backend.tunablesOverride)
            (backend.convolutionAlgorithmOverride, backend.tunablesOverride) = (algorithm, tunables)
            defer { (backend.convolutionAlgorithmOverride, backend.tunablesOverride) = saved }
            let params = Conv2dParams(stride: 1, padding: c.pad)
            let result =
                switch pass {
                case .forward: try backend.conv2d(p.inputs[0], weight: p.inputs[1], bias: nil, params: params)
                case .inputGradient:
                    try backend.conv2dBackwardInput(p.inputs[0], weight: p.inputs[1], inputShape: c.inputShape, params: params)
                case .weightGradient:
                    try backend.conv2dBackwardWeight(p.inputs[0], input: p.inputs[1], weightShape: c.weightShape, params: params)
                }
            try backend.copy(result, into: p.output)
        case .directWeightGradient(let c):
            let g = try ConvGeometry.backwardWeight(
                dy: c.outputShape, input: c.inputShape, weightShape: c.weightShape, params: Conv2dParams(stride: 1, padding: c.pad))
            try backend.conv2dBackwardWeightDirect(
                p.inputs[0], input: p.inputs[1], g, into: p.output,
                block: tunables.weightGradientBlock(for: ConvolutionShapeClass(outWidth: c.outWidth)))
        case .convolution(let c):
            try backend.convDirect(
                p.inputs[0], batch: c.batch, groups: 1, inPerGroup: c.inChannels, outPerGroup: c.outChannels,
                height: c.height, width: c.width, kernel: (c.kernel, c.kernel), stride: (1, 1),
                pad: (c.pad, c.pad), dilation: (1, 1), output: (c.outHeight, c.outWidth),
                weights: p.inputs[1], flip: false, bias: nil, into: p.output,
                block: tunables.directBlock(for: ConvolutionShapeClass(outWidth: c.outWidth)))
        }
    }

    /// `count` integers in −2…2 from a multiplicative hash of the index (no short period).
    static func integers(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { i in Float(Int((UInt32(truncatingIfNeeded: (i &+ seed &* 7919) &* 2_654_435_761) >> 16) % 5) - 2) }
    }

    /// The expected result of `problem` on these inputs, from the reference backend (the spec
    /// every kernel is proven against): exact, since every sum of the integer inputs is.
    static func expected(_ problem: TuningProblem, _ inputs: [[Float]]) throws -> [Float] {
        let reference = ReferenceBackend()
        switch problem {
        case .gemm(let g):
            let a = try reference.upload(inputs[0], shape: g.transposeA ? [g.k, g.m] : [g.m, g.k])
            let b = try reference.upload(inputs[1], shape: g.transposeB ? [g.n, g.k] : [g.k, g.n])
            let c = try reference.upload([Float](repeating: 0, count: g.m * g.n), shape: [g.m, g.n])
            try reference.gemm(a, b, into: c, transposeA: g.transposeA, transposeB: g.transposeB, alpha: 1, beta: 0)
            return try reference.download(c)
        case .convolution(let c):
            let x = try reference.upload(inputs[0], shape: [c.batch, c.inChannels, c.height, c.width])
            let w = try reference.upload(inputs[1], shape: [c.outChannels, c.inChannels, c.kernel, c.kernel])
            return try reference.download(reference.conv2d(x, weight: w, bias: nil, params: Conv2dParams(stride: 1, padding: c.pad)))
        case .directWeightGradient(let c):
            return try expected(.convolutionPass(.weightGradient, c), inputs)
        case let .convolutionPass(pass, c):
            let params = Conv2dParams(stride: 1, padding: c.pad)
            switch pass {
            case .forward:
                return try expected(.convolution(c), inputs)
            case .inputGradient:
                let dy = try reference.upload(inputs[0], shape: c.outputShape), w = try reference.upload(inputs[1], shape: c.weightShape)
                return try reference.download(reference.conv2dBackwardInput(dy, weight: w, inputShape: c.inputShape, params: params))
            case .weightGradient:
                let dy = try reference.upload(inputs[0], shape: c.outputShape), x = try reference.upload(inputs[1], shape: c.inputShape)
                return try reference.download(reference.conv2dBackwardWeight(dy, input: x, weightShape: c.weightShape, params: params))
            }
        }
    }
}
