import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// conv_rows.cl's `conv2d_rows` and `conv2d_weight_grad_rows` for the dense (grouped)
/// convolutions of the direct algorithm: which of them and conv_direct.cl's padded copy plus
/// register-blocked kernels the forward pass, the stride-1 input gradient and the weight
/// gradient take (read from the launch trace), and every result equal to the reference's on
/// integers, over awkward widths (9, 15, 17, 31, 32), both column strides, pads
/// 0–4, dilation 2, 1×1, 1×3 and 5×5 windows, groups, bias, one channel and batch 1.
@Suite(
    "Dense row kernel", .serialized, .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct DenseRowKernelTests {
    /// A backend of this suite's own on the shared device, forced to the direct algorithm, so no
    /// other suite's launches reach its trace (the suite's tests run one at a time).
    static let traced: Result<OpenCLBackend, any Error> = Result { try SharedBackends.forcing(.direct) }

    /// One convolution: x `[N, C, H, W]`, `outChannels`, a `kh × kw` window.
    struct Case: CustomStringConvertible {
        let shape: [Int], outChannels: Int, kernel: (h: Int, w: Int), params: Conv2dParams
        var weightShape: [Int] { [outChannels, shape[1] / params.groups, kernel.h, kernel.w] }
        var description: String { "\(shape) → \(outChannels) \(kernel.h)×\(kernel.w) \(params)" }
    }

    /// The forward pass (with a bias), the input gradient and the weight gradient of `c` on the
    /// traced device, each checked exactly against the reference; returns the kernels each launched.
    static func run(
        _ c: Case
    ) throws -> (
        forward: Set<String>, input: Set<String>, weight: Set<String>, launches: [LaunchTrace.Launch]
    ) {
        let device = try traced.get(), reference = SharedBackends.reference
        var rng = SeededRandom(seed: UInt64(c.shape.reduce(c.outChannels &* 7 &+ c.kernel.w, { 31 &* $0 &+ $1 })))
        let yShape = try ConvGeometry("test", input: c.shape, weight: c.weightShape, params: c.params).outputShape
        let xValues = rng.integers(c.shape.reduce(1, *)), wValues = rng.integers(c.weightShape.reduce(1, *))
        let dyValues = rng.integers(yShape.reduce(1, *)), biasValues = rng.integers(c.outChannels)
        func passes(_ b: any Backend) throws -> [[Float]] {
            let x = try b.upload(xValues, shape: c.shape), w = try b.upload(wValues, shape: c.weightShape)
            let dy = try b.upload(dyValues, shape: yShape), bias = try b.upload(biasValues, shape: [c.outChannels])
            return [
                try b.download(b.conv2d(x, weight: w, bias: bias, params: c.params)),
                try b.download(b.conv2dBackwardInput(dy, weight: w, inputShape: c.shape, params: c.params)),
                try b.download(b.conv2dBackwardWeight(dy, input: x, weightShape: c.weightShape, params: c.params)),
            ]
        }
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        let x = try device.upload(xValues, shape: c.shape), w = try device.upload(wValues, shape: c.weightShape)
        let dy = try device.upload(dyValues, shape: yShape), bias = try device.upload(biasValues, shape: [c.outChannels])
        let y = try device.download(device.conv2d(x, weight: w, bias: bias, params: c.params))
        let forwardCount = trace.launches.count
        let dx = try device.download(device.conv2dBackwardInput(dy, weight: w, inputShape: c.shape, params: c.params))
        let inputCount = trace.launches.count
        let dw = try device.download(device.conv2dBackwardWeight(dy, input: x, weightShape: c.weightShape, params: c.params))
        let expected = try passes(reference)
        #expect(y == expected[0], "forward \(c)")
        #expect(dx == expected[1], "input gradient \(c)")
        #expect(dw == expected[2], "weight gradient \(c)")
        let launches = trace.launches
        return (
            Set(launches.prefix(forwardCount).map(\.kernel)), Set(launches[forwardCount..<inputCount].map(\.kernel)),
            Set(launches.dropFirst(inputCount).map(\.kernel)), launches
        )
    }

    static let rows = "conv2d_rows", regblock = "conv2d_direct_regblock"
    static let weightRows = "conv2d_weight_grad_rows", weightPadded = "conv2d_direct_weight_grad_partial"
    static let weightChannels = "conv2d_weight_grad_channels", channels = "conv2d_channels"

    /// The kernel a forward-shaped pass (the forward or the stride-1 input gradient) with
    /// `outWidth` output columns should run: the row kernel where `rows`, else on AVX-512 CPU
    /// devices (`rowKernels`) conv_channels.cl's for dense rows of at most 8 outputs, else the
    /// register-blocked kernel on the padded copy.
    static func forwardKernel(rows: Bool, rowKernels: Bool, outWidth: Int, _ c: Case) -> String {
        if rows { return Self.rows }
        return rowKernels && c.params.groups == 1 && outWidth <= 8 ? Self.channels : Self.regblock
    }

    /// Rows of 9–32 outputs at column stride 1 or 2 take the row kernel, with OCB = 16 / ⌈OW / 16⌉
    /// balanced over the channels and 16 lanes, where the plan gives it (CPU devices with
    /// AVX-512); 8-wide rows of dense convolutions take conv_channels.cl's kernel there, and
    /// 33-wide rows, column stride 3 and a tap 9 lanes away keep the padded copy and the
    /// register-blocked kernel. The stride-1 input gradient follows the same rule on dx's width;
    /// stride 2's runs conv_direct_strided.cl either way.
    /// The weight gradient takes conv2d_weight_grad_rows on rows wider than 16 wherever its window
    /// fits the registers (the 5×5 window's 50 accumulators do not), else, with groups 1,
    /// conv_channels.cl's kernel, else the padded copy.
    @Test func rowsOfNineToThirtyTwoOutputsTakeTheRowKernel() throws {
        let plan = try Self.traced.get().launchPlan
        // (case, whether the forward row fits: width 9–32, stride ≤ 2, shifts within 8 lanes)
        let cases: [(Case, Bool)] = [
            (Case(shape: [1, 1, 9, 9], outChannels: 1, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1)), true),
            (Case(shape: [2, 3, 7, 31], outChannels: 5, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1)), true),
            (Case(shape: [2, 5, 6, 32], outChannels: 17, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1)), true),
            (Case(shape: [2, 7, 12, 32], outChannels: 17, kernel: (3, 3), params: Conv2dParams(stride: 2, padding: 1)), true),
            (Case(shape: [1, 4, 11, 33], outChannels: 6, kernel: (3, 3), params: Conv2dParams(stride: 2, padding: 1)), true),
            (Case(shape: [2, 6, 10, 20], outChannels: 6, kernel: (5, 5), params: Conv2dParams(stride: 1, padding: 2, groups: 2)), true),
            (Case(shape: [1, 3, 13, 25], outChannels: 4, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 2, dilation: 2)), true),
            (Case(shape: [2, 8, 5, 16], outChannels: 4, kernel: (1, 1), params: Conv2dParams(stride: 1, padding: 0)), true),
            (Case(shape: [1, 4, 6, 30], outChannels: 3, kernel: (1, 1), params: Conv2dParams(stride: 2, padding: 0)), true),
            (Case(shape: [2, 3, 10, 18], outChannels: 31, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 0)), true),
            (Case(shape: [1, 2, 6, 15], outChannels: 3, kernel: (1, 3), params: Conv2dParams(stride: 1, padding: 1)), true),
            (Case(shape: [2, 3, 9, 17], outChannels: 4, kernel: (3, 3), params: Conv2dParams(stride: 2, padding: 4)), true),
            // 8 and 33 outputs wide; column stride 3; a pad-9 tap 9 lanes left of its output.
            (Case(shape: [2, 4, 8, 8], outChannels: 8, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1)), false),
            (Case(shape: [1, 3, 4, 33], outChannels: 5, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1)), false),
            (Case(shape: [1, 2, 7, 30], outChannels: 3, kernel: (3, 3), params: Conv2dParams(stride: 3, padding: 1)), false),
            (Case(shape: [1, 2, 5, 12], outChannels: 3, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 9)), false),
        ]
        let rowKernels = plan.depthwise.rowKernels && plan.depthwise.vectorRegisters >= 32
        for (c, fits) in cases {
            let outWidth = (c.shape[3] + 2 * c.params.padW - c.params.dilationW * (c.kernel.w - 1) - 1) / c.params.strideW + 1
            let ran = try Self.run(c)
            let takesRows = rowKernels && fits
            // Rows of 8 or fewer outputs of dense convolutions take conv_channels.cl's kernel instead.
            let forwardKernel = Self.forwardKernel(rows: takesRows, rowKernels: rowKernels, outWidth: outWidth, c)
            #expect(ran.forward.contains(forwardKernel), "\(c): \(ran.forward)")
            for other in [Self.rows, Self.regblock, Self.channels] where other != forwardKernel {
                #expect(!ran.forward.contains(other), "\(c): \(ran.forward)")
            }
            #expect(ran.forward.contains("conv_pad_input") == (forwardKernel == Self.regblock), "\(c): \(ran.forward)")
            for launch in ran.launches where launch.kernel == Self.rows {
                let tiles = ((Int(launch.defines["DW_OW"] ?? "") ?? 0) + 15) / 16
                #expect(launch.defines["DW_VW"] == "16", "\(c) \(launch.defines)")
                let block = Int(launch.defines["OCB"] ?? "") ?? 0
                #expect(block >= 1 && block * tiles <= 16, "\(c) \(launch.defines)")
            }
            let forwardRows = ran.launches.first { $0.kernel == Self.rows }
            if takesRows {
                #expect(forwardRows?.defines["DW_OW"] == "\(outWidth)", "\(c)")
                let wanted = OpenCLBackend.balancedChannelBlock(16 / ((outWidth + 15) / 16), channels: c.outChannels / c.params.groups)
                #expect(forwardRows?.defines["OCB"] == "\(wanted)", "\(c) \(forwardRows?.defines ?? [:])")
            }
            // The weight gradient: 2 output channels and 8 lanes on rows wider than 16 where its
            // 2·KH·KW accumulators and two rows of dy vectors fit the registers, column stride 1
            // or 2, shifts within 8 lanes.
            // Tap q reads lane ⌊(q·dilation − pad) / stride⌋ of its phase.
            func shift(_ q: Int) -> Int {
                let d = q * c.params.dilationW - c.params.padW
                return Int((Double(d) / Double(c.params.strideW)).rounded(.down))
            }
            let weightFits =
                rowKernels && outWidth > 16 && (c.params.strideW == 1 || c.params.strideW == 2) && shift(0) >= -8
                && shift(c.kernel.w - 1) <= 8
                && 2 * c.kernel.h * c.kernel.w + 2 * ((outWidth + 7) / 8) + 3 * c.params.strideW + 2 <= 32
            // The others take conv_channels.cl's kernel where it runs (groups 1), else the padded copy.
            let channelsFit = !weightFits && rowKernels && c.params.groups == 1
            let weightKernel = weightFits ? Self.weightRows : channelsFit ? Self.weightChannels : Self.weightPadded
            #expect(ran.weight.contains(weightKernel), "\(c): \(ran.weight)")
            for other in [Self.weightRows, Self.weightChannels, Self.weightPadded] where other != weightKernel {
                #expect(!ran.weight.contains(other), "\(c): \(ran.weight)")
            }
            #expect(ran.weight.contains("conv_pad_input") == (weightKernel == Self.weightPadded), "\(c): \(ran.weight)")
            for launch in ran.launches where launch.kernel == Self.weightRows {
                #expect(launch.defines["DW_VW"] == "8" && launch.defines["DW_OW"] == "\(outWidth)", "\(c) \(launch.defines)")
                let wanted = OpenCLBackend.balancedChannelBlock(2, channels: c.outChannels / c.params.groups)
                #expect(launch.defines["OCB"] == "\(wanted)", "\(c) \(launch.defines)")
            }
            // The input gradient: stride 1 correlates dy with the flipped kernel over dx's rows.
            if c.params.strideH == 1 && c.params.strideW == 1 && c.params.padW <= c.params.dilationW * (c.kernel.w - 1)
                && c.params.padH <= c.params.dilationH * (c.kernel.h - 1)
            {
                let inputRows = rowKernels && c.shape[3] > 8 && c.shape[3] <= 32
                let inputKernel = Self.forwardKernel(rows: inputRows, rowKernels: rowKernels, outWidth: c.shape[3], c)
                #expect(ran.input.contains(inputKernel), "\(c): \(ran.input)")
                for other in [Self.rows, Self.regblock, Self.channels] where other != inputKernel {
                    #expect(!ran.input.contains(other), "\(c): \(ran.input)")
                }
            }
        }
    }
}
