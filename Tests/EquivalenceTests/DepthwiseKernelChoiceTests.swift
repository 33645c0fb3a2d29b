import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Which of depthwise.cl's and conv_rows.cl's kernels each pass takes, read from the launch
/// trace, with every pass's result equal to the reference's on integers (the verify cases check
/// more windows): on CPU devices the forward pass, the stride-1 input gradient and the weight
/// gradient read rows into registers wherever the window fits, with the lanes the plan gives;
/// column stride 2 takes the phase-split input gradient on every device.
@Suite(
    "Depthwise kernel choice", .serialized, .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct DepthwiseKernelChoiceTests {
    /// A backend of this suite's own on the shared device, so no other suite's launches reach its
    /// trace (the suite's tests run one at a time).
    static let traced: Result<OpenCLBackend, any Error> = Result { try OpenCLBackend(device: SharedBackends.requireOpenCL().device) }

    /// The kernels each pass of a depthwise 3×3 convolution (pad 1) over `[2, 3, height, width]` launches.
    static func kernels(height: Int, width: Int, stride: Int) throws -> Passes {
        try kernels(shape: [2, 3, height, width], kernel: 3, params: Conv2dParams(stride: stride, padding: 1, groups: 3))
    }

    /// The kernels each pass of a depthwise `kernel × kernel` convolution over `shape` launches,
    /// with its y (with a bias), dx and dw checked exactly against the reference.
    static func kernels(shape xShape: [Int], kernel: Int, params: Conv2dParams) throws -> Passes {
        let device = try traced.get(), reference = SharedBackends.reference
        var rng = SeededRandom(seed: UInt64(xShape.reduce(kernel, { 31 &* $0 &+ $1 })))
        let wShape = [xShape[1], 1, kernel, kernel]
        let xValues = rng.integers(xShape.reduce(1, *)), wValues = rng.integers(wShape.reduce(1, *))
        let yShape = try ConvGeometry("test", input: xShape, weight: wShape, params: params).outputShape
        let dyValues = rng.integers(yShape.reduce(1, *)), biasValues = rng.integers(xShape[1])
        func run(_ b: any Backend) throws -> [[Float]] {
            let x = try b.upload(xValues, shape: xShape), w = try b.upload(wValues, shape: wShape)
            let dy = try b.upload(dyValues, shape: yShape), bias = try b.upload(biasValues, shape: [xShape[1]])
            return [
                try b.download(b.conv2d(x, weight: w, bias: bias, params: params)),
                try b.download(b.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params)),
                try b.download(b.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)),
            ]
        }
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        var launched: [[LaunchTrace.Launch]] = []
        var results: [[Float]] = []
        let x = try device.upload(xValues, shape: xShape), w = try device.upload(wValues, shape: wShape)
        let dy = try device.upload(dyValues, shape: yShape), bias = try device.upload(biasValues, shape: [xShape[1]])
        for pass in 0..<3 {
            let before = trace.launches.count
            let result: Tensor
            switch pass {
            case 0: result = try device.conv2d(x, weight: w, bias: bias, params: params)
            case 1: result = try device.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params)
            default: result = try device.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)
            }
            results.append(try device.download(result))
            launched.append(Array(trace.launches.dropFirst(before)))
        }
        #expect(results == (try run(reference)), "\(xShape) \(kernel)×\(kernel) \(params)")
        return Passes(forwardLaunches: launched[0], inputLaunches: launched[1], weightLaunches: launched[2])
    }

    /// The launches of each pass, and their kernels' names.
    struct Passes {
        let forwardLaunches: [LaunchTrace.Launch], inputLaunches: [LaunchTrace.Launch], weightLaunches: [LaunchTrace.Launch]
        var forward: Set<String> { Set(forwardLaunches.map(\.kernel)) }
        var input: Set<String> { Set(inputLaunches.map(\.kernel)) }
        var weight: Set<String> { Set(weightLaunches.map(\.kernel)) }
    }

    /// The forward pass, and the stride-1 input gradient (the flipped taps over dy), read rows
    /// straight into registers (conv_rows.cl, 8 lanes) on CPU devices wherever the window
    /// fits: column stride 1 or 2, no upsampling, every tap's shift within 8 lanes and the row's
    /// output vectors within the registers (a 130-wide row's 17 fit AVX-512's 32, not AVX2's 16).
    /// Elsewhere depthwise.cl's tiled kernel, and every pass equals the reference's.
    @Test func forwardReadsRowsIntoRegistersWhereTheWindowFits() throws {
        let plan = try Self.traced.get().launchPlan.depthwise
        let rows = "depthwise_forward_rows", tiled = "depthwise_forward_tiled"
        // (shape, kernel, params, whether the forward window fits, the input gradient's: nil where
        // it is not a stride-1 correlation — the phases of column stride 2, or P > (K − 1)·D)
        let cases: [([Int], Int, Conv2dParams, Bool, Bool?)] = [
            ([2, 3, 8, 8], 3, Conv2dParams(stride: 1, padding: 1, groups: 3), true, true),
            ([1, 2, 1, 1], 3, Conv2dParams(stride: 1, padding: 1, groups: 2), true, true),
            ([2, 2, 9, 9], 5, Conv2dParams(stride: 1, padding: 4, dilation: 2, groups: 2), true, true),
            ([3, 2, 5, 23], 3, Conv2dParams(stride: 1, padding: 0, groups: 2), true, true),
            ([1, 2, 3, 130], 3, Conv2dParams(stride: 1, padding: 1, groups: 2), true, true),
            ([2, 3, 7, 13], 3, Conv2dParams(stride: 2, padding: 3, groups: 3), true, nil),
            // Row stride 2 at column stride 1: the input gradient upsamples dy's rows.
            ([1, 2, 9, 17], 3, Conv2dParams(strideH: 2, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 2), true, false),
            // Tap 0 of a pad-9 window sits 9 lanes left (and P > (K − 1)·D); column stride 3 (its input
            // gradient upsamples dy).
            ([2, 2, 6, 12], 3, Conv2dParams(stride: 1, padding: 9, groups: 2), false, nil),
            ([2, 2, 9, 27], 3, Conv2dParams(stride: 3, padding: 1, groups: 2), false, false),
        ]
        for (shape, k, params, forwardFits, inputFits) in cases {
            let passes = try Self.kernels(shape: shape, kernel: k, params: params)
            let outWidth = (shape[3] + 2 * params.padW - params.dilationW * (k - 1) - 1) / params.strideW + 1
            func expected(_ fits: Bool, width: Int, strideW: Int) -> String {
                plan.rowKernels && fits && (width + 7) / 8 + 3 * strideW + 2 <= plan.vectorRegisters ? rows : tiled
            }
            let label = "\(shape) \(k)×\(k) \(params): \(passes.forward) \(passes.input)"
            #expect(passes.forward == [expected(forwardFits, width: outWidth, strideW: params.strideW)], "\(label)")
            if let inputFits {
                #expect(passes.input == [expected(inputFits, width: shape[3], strideW: 1)], "\(label)")
            } else {
                #expect(!passes.input.contains(rows) && !passes.input.contains(tiled), "\(label)")
            }
            for launch in (passes.forwardLaunches + passes.inputLaunches) where launch.kernel == rows {
                #expect(launch.defines["DW_VW"] == "8", "\(label) \(launch.defines)")
            }
        }
    }

    /// Column stride 2: the input gradient is the even and odd columns' phases of dy — for the
    /// cells' windows, widths that are not multiples of 16 (the last vector partial), a 1×1 plane,
    /// padding past the window's reach, and row stride 1 — and stride 1 never takes it.
    @Test func columnStrideTwoRunsThePhaseSplitInputGradient() throws {
        let phases = "depthwise_backward_input_strided"
        for (shape, k, params) in [
            ([2, 3, 32, 32], 3, Conv2dParams(stride: 2, padding: 1, groups: 3)),
            ([1, 4, 17, 33], 5, Conv2dParams(stride: 2, padding: 2, groups: 4)),
            ([2, 3, 19, 21], 3, Conv2dParams(stride: 2, padding: 2, dilation: 2, groups: 3)),
            ([2, 2, 13, 18], 5, Conv2dParams(stride: 2, padding: 4, dilation: 2, groups: 2)),
            ([1, 2, 1, 1], 3, Conv2dParams(stride: 2, padding: 1, groups: 2)),
            ([2, 3, 7, 13], 3, Conv2dParams(stride: 2, padding: 3, groups: 3)),
            ([2, 3, 9, 11], 3, Conv2dParams(strideH: 1, strideW: 2, padH: 1, padW: 0, dilationH: 1, dilationW: 1, groups: 3)),
        ] as [([Int], Int, Conv2dParams)] {
            let launched = try Self.kernels(shape: shape, kernel: k, params: params)
            #expect(launched.input == [phases], "\(shape) \(k)×\(k) \(params): \(launched.input)")
        }
        let strideOne = try Self.kernels(height: 16, width: 16, stride: 1)
        #expect(!strideOne.input.contains(phases))
    }

    /// The launches of the weight gradient of a depthwise `kernel × kernel` convolution over
    /// `shape`, with dw checked exactly against the reference (the one pass, so each case
    /// compiles one program).
    static func weightGradientLaunches(shape xShape: [Int], kernel: Int, params: Conv2dParams) throws -> [LaunchTrace.Launch] {
        let device = try traced.get(), reference = SharedBackends.reference
        var rng = SeededRandom(seed: UInt64(xShape.reduce(kernel, { 37 &* $0 &+ $1 })))
        let wShape = [xShape[1], 1, kernel, kernel]
        let yShape = try ConvGeometry("test", input: xShape, weight: wShape, params: params).outputShape
        let xValues = rng.integers(xShape.reduce(1, *)), dyValues = rng.integers(yShape.reduce(1, *))
        func run(_ b: any Backend) throws -> [Float] {
            let x = try b.upload(xValues, shape: xShape), dy = try b.upload(dyValues, shape: yShape)
            return try b.download(b.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params))
        }
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        let result = try run(device)
        #expect(result == (try run(reference)), "\(xShape) \(kernel)×\(kernel) \(params)")
        return trace.launches
    }

    /// The weight gradient reads rows straight into registers (conv_rows.cl) on CPU devices
    /// for column strides 1 and 2 wherever every tap's lane shift is within 8, exactly as the
    /// reference: widths around the 8- and 16-lane vectors (1, 7, 9, 15, 17, 33, 47) so the last
    /// vector of a row is partial, missing or a whole zero one (and the last row of the buffer
    /// is read lane by lane); 1-row planes; row strides apart from column strides; dilations and
    /// pads that push taps past the row; two channels (the batch split into partial sums) and
    /// batch 1. Shifts past 8 lanes, column stride 3 and windows whose accumulators the
    /// registers do not hold keep depthwise.cl's kernels.
    @Test func weightGradientReadsRowsIntoRegistersWhereTheWindowFits() throws {
        let plan = try Self.traced.get().launchPlan.depthwise
        // (shape, kernel, params, whether the window's shifts and column stride fit the rows kernel)
        let cases: [([Int], Int, Conv2dParams, Bool)] = [
            ([2, 3, 16, 16], 3, Conv2dParams(stride: 1, padding: 1, groups: 3), true),
            ([1, 2, 1, 1], 3, Conv2dParams(stride: 1, padding: 1, groups: 2), true),
            ([3, 2, 7, 7], 3, Conv2dParams(stride: 1, padding: 1, groups: 2), true),
            ([20, 2, 5, 9], 3, Conv2dParams(stride: 1, padding: 0, groups: 2), true),
            ([2, 3, 6, 15], 5, Conv2dParams(stride: 1, padding: 2, groups: 3), true),
            ([2, 2, 4, 17], 3, Conv2dParams(stride: 1, padding: 1, dilation: 2, groups: 2), true),
            ([2, 2, 5, 47], 3, Conv2dParams(stride: 1, padding: 3, dilation: 3, groups: 2), true),
            ([2, 3, 9, 33], 5, Conv2dParams(stride: 2, padding: 2, groups: 3), true),
            ([2, 2, 7, 13], 3, Conv2dParams(stride: 2, padding: 3, groups: 2), true),
            ([2, 2, 11, 18], 5, Conv2dParams(stride: 2, padding: 4, dilation: 2, groups: 2), true),
            ([1, 2, 9, 33], 3, Conv2dParams(strideH: 2, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 2), true),
            ([2, 2, 9, 35], 3, Conv2dParams(strideH: 1, strideW: 2, padH: 0, padW: 1, dilationH: 1, dilationW: 1, groups: 2), true),
            ([2, 2, 9, 9], 7, Conv2dParams(stride: 1, padding: 3, groups: 2), true),
            // Tap 0 of a pad-9 window sits 9 lanes left; column stride 3.
            ([2, 2, 6, 12], 3, Conv2dParams(stride: 1, padding: 9, groups: 2), false),
            ([2, 2, 9, 27], 3, Conv2dParams(stride: 3, padding: 1, groups: 2), false),
        ]
        for (shape, k, params, fits) in cases {
            let launches = try Self.weightGradientLaunches(shape: shape, kernel: k, params: params)
            let rows = launches.first { $0.kernel == "depthwise_weight_grad_rows" }
            // 49 taps: AVX-512 holds 28 accumulators, AVX2 12.
            let expected = plan.tiledWeightGradient && fits && plan.singleItemWeightGradient(taps: k * k)
            let label = "\(shape) \(k)×\(k) \(params): \(launches.map(\.kernel))"
            #expect((rows != nil) == expected, "\(label)")
            if let rows {
                let outWidth = (shape[3] + 2 * params.padW - params.dilationW * (k - 1) - 1) / params.strideW + 1
                let wide = plan.vectorRegisters >= 32 && k * k <= 9 && outWidth > 8
                #expect(rows.defines["DW_VW"] == (wide ? "16" : "8"), "\(label) \(rows.defines)")
                #expect(rows.defines["DW_IW"] == "\(shape[3])" && rows.defines["DW_OW"] == "\(outWidth)", "\(label) \(rows.defines)")
            }
        }
    }
}
