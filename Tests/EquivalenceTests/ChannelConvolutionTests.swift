import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// conv_channels.cl's `conv2d_channels`: the dense forward pass, and the stride-1 input gradient
/// computed as one, with 16 output channels in the lanes, which AVX-512 CPU devices take for
/// rows of at most 8 outputs. Checked exactly against the reference on integers over awkward
/// shapes: channel counts that fill neither the 16 lanes nor the work-item's vectors (1, 3, 5, 17,
/// 18, 33, 48), outputs 1–8 wide, rows and columns wholly in the padding, strides 2 and 3, a
/// row-only stride, dilation 2, 1×1, 3×1, 5×3 and 7×7 windows, with and without a bias, batch 1;
/// with the kernel each pass takes, its defines and its launch shape.
@Suite(
    "Channel-vector convolution", .serialized,
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct ChannelConvolutionTests {
    /// A backend of this suite's own on the shared device, forced to the direct algorithm, so no
    /// other suite's launches reach its trace (the suite's tests run one at a time).
    static let traced: Result<OpenCLBackend, any Error> = Result { try SharedBackends.forcing(.direct) }

    struct Case: CustomStringConvertible {
        let shape: [Int], outChannels: Int, kernel: (h: Int, w: Int), params: Conv2dParams, bias: Bool
        var weightShape: [Int] { [outChannels, shape[1] / params.groups, kernel.h, kernel.w] }
        var description: String { "\(shape) → \(outChannels) \(kernel.h)×\(kernel.w) \(params) bias \(bias)" }
    }

    static let cases: [Case] = [
        Case(shape: [1, 1, 1, 1], outChannels: 1, kernel: (1, 1), params: Conv2dParams(stride: 1, padding: 0), bias: true),
        Case(shape: [3, 13, 7, 7], outChannels: 17, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1), bias: false),
        Case(shape: [2, 5, 8, 8], outChannels: 64, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1), bias: true),
        Case(shape: [2, 12, 9, 14], outChannels: 33, kernel: (3, 3), params: Conv2dParams(stride: 2, padding: 1), bias: false),
        Case(shape: [2, 4, 10, 8], outChannels: 32, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 2, dilation: 2), bias: true),
        Case(shape: [2, 6, 9, 16], outChannels: 7, kernel: (3, 3), params: Conv2dParams(stride: 3, padding: 1), bias: false),
        Case(shape: [1, 3, 8, 8], outChannels: 64, kernel: (1, 1), params: Conv2dParams(stride: 2, padding: 0), bias: false),
        Case(shape: [2, 4, 9, 6], outChannels: 5, kernel: (7, 7), params: Conv2dParams(stride: 1, padding: 3), bias: true),
        Case(shape: [5, 16, 8, 8], outChannels: 48, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 0), bias: false),
        Case(shape: [2, 3, 2, 2], outChannels: 18, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1), bias: true),
        Case(shape: [1, 2, 4, 2], outChannels: 3, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 3), bias: false),
        Case(
            shape: [7, 9, 6, 5], outChannels: 20, kernel: (3, 1),
            params: Conv2dParams(strideH: 2, strideW: 1, padH: 1, padW: 0, dilationH: 1, dilationW: 1, groups: 1), bias: true),
        Case(
            shape: [2, 3, 11, 7], outChannels: 9, kernel: (5, 3),
            params: Conv2dParams(strideH: 1, strideW: 1, padH: 4, padW: 1, dilationH: 2, dilationW: 1, groups: 1), bias: false),
    ]

    /// The forward pass and (where it is a stride-1 one) the input gradient of `c` on the traced
    /// device, each checked exactly against the reference; returns each pass's launches.
    static func run(_ c: Case) throws -> (forward: [LaunchTrace.Launch], input: [LaunchTrace.Launch]) {
        let device = try traced.get(), reference = SharedBackends.reference
        let g = try ConvGeometry("test", input: c.shape, weight: c.weightShape, params: c.params)
        var rng = SeededRandom(seed: UInt64(c.shape.reduce(c.outChannels &* 11 &+ c.kernel.w, { 31 &* $0 &+ $1 })))
        let xValues = rng.integers(c.shape.reduce(1, *)), wValues = rng.integers(c.weightShape.reduce(1, *))
        let dyValues = rng.integers(g.outputShape.reduce(1, *)), biasValues = rng.integers(c.outChannels)
        func forward(_ b: any Backend) throws -> [Float] {
            let bias = c.bias ? try b.upload(biasValues, shape: [c.outChannels]) : nil
            return try b.download(
                b.conv2d(b.upload(xValues, shape: c.shape), weight: b.upload(wValues, shape: c.weightShape), bias: bias, params: c.params))
        }
        func input(_ b: any Backend) throws -> [Float] {
            try b.download(
                b.conv2dBackwardInput(
                    b.upload(dyValues, shape: g.outputShape), weight: b.upload(wValues, shape: c.weightShape), inputShape: c.shape,
                    params: c.params))
        }
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        #expect(try forward(device) == forward(reference), "forward \(c)")
        let forwardCount = trace.launches.count
        #expect(try input(device) == input(reference), "input gradient \(c)")
        return (Array(trace.launches.prefix(forwardCount)), Array(trace.launches.dropFirst(forwardCount)))
    }

    /// Every result is exact. Where the plan gives the kernel (AVX-512 CPU devices), the forward
    /// pass runs it once, with OCV = min(4, 24 / OW) balanced over the ⌈CO / 16⌉ blocks of 16
    /// channels, the input and output widths and the window compiled in, on (OH, blocks / OCV, N)
    /// work-items and no padded copy; the stride-1 input gradient runs it over dx's rows with dy's
    /// width as the input's, the channel roles swapped and the gradient's padding.
    @Test func awkwardShapesMatchTheReferenceExactly() throws {
        let plan = try Self.traced.get().launchPlan
        for c in Self.cases {
            let g = try ConvGeometry("test", input: c.shape, weight: c.weightShape, params: c.params)
            let p = c.params
            let (forward, input) = try Self.run(c)
            guard let vectors = plan.channelConvolution(outWidth: g.outWidth, taps: c.kernel.h * c.kernel.w, groups: 1) else {
                #expect(!(forward + input).contains { $0.kernel == "conv2d_channels" }, "\(c)")
                continue
            }
            #expect(vectors == min(4, 24 / g.outWidth), "\(c)")
            let launches = forward.filter { $0.kernel == "conv2d_channels" }
            try #require(launches.count == 1, "\(c): \(forward.map(\.kernel))")
            let k = launches[0]
            let blocks = (c.outChannels + 15) / 16
            let balanced = OpenCLBackend.balancedChannelBlock(vectors, channels: blocks)
            #expect(k.defines["OCV"] == "\(balanced)", "\(c) \(k.defines)")
            #expect(k.defines["CW_IW"] == "\(c.shape[3])" && k.defines["CW_OW"] == "\(g.outWidth)", "\(c) \(k.defines)")
            #expect(k.defines["CW_KH"] == "\(c.kernel.h)" && k.defines["CW_KW"] == "\(c.kernel.w)", "\(c)")
            #expect(k.defines["CW_SH"] == "\(p.strideH)" && k.defines["CW_SW"] == "\(p.strideW)", "\(c)")
            #expect(k.defines["CW_PH"] == "\(p.padH)" && k.defines["CW_PW"] == "\(p.padW)", "\(c)")
            #expect(k.defines["CW_DH"] == "\(p.dilationH)" && k.defines["CW_DW"] == "\(p.dilationW)", "\(c)")
            #expect(k.global == [g.outHeight, (blocks + balanced - 1) / balanced, c.shape[0]], "\(c) \(k.global)")
            #expect(!forward.contains { $0.kernel == "conv_pad_input" || $0.kernel == "conv2d_direct_regblock" }, "\(c)")

            let strideOne = p.strideH == 1 && p.strideW == 1
            let inputFits =
                strideOne && p.padH <= p.dilationH * (c.kernel.h - 1) && p.padW <= p.dilationW * (c.kernel.w - 1)
                && plan.channelConvolution(outWidth: c.shape[3], taps: c.kernel.h * c.kernel.w, groups: 1) != nil
            guard inputFits else { continue }
            let inputLaunch = input.first { $0.kernel == "conv2d_channels" }
            #expect(inputLaunch?.defines["CW_IW"] == "\(g.outWidth)" && inputLaunch?.defines["CW_OW"] == "\(c.shape[3])", "\(c)")
            #expect(inputLaunch?.defines["CW_PW"] == "\(p.dilationW * (c.kernel.w - 1) - p.padW)", "\(c)")
            #expect(inputLaunch?.defines["CW_PH"] == "\(p.dilationH * (c.kernel.h - 1) - p.padH)", "\(c)")
            let inputBlocks = (c.shape[1] + 15) / 16
            let inputVectors = OpenCLBackend.balancedChannelBlock(min(4, 24 / c.shape[3]), channels: inputBlocks)
            #expect(inputLaunch?.global == [c.shape[2], (inputBlocks + inputVectors - 1) / inputVectors, c.shape[0]], "\(c)")
        }
    }

    /// Grouped convolutions, rows wider than 8 outputs and windows of more than 49 taps are left
    /// to the other kernels.
    @Test func groupsWideRowsAndLargeWindowsAreLeftToTheOtherKernels() throws {
        let plan = try Self.traced.get().launchPlan
        #expect(plan.channelConvolution(outWidth: 8, taps: 9, groups: 2) == nil)
        #expect(plan.channelConvolution(outWidth: 9, taps: 9, groups: 1) == nil)
        #expect(plan.channelConvolution(outWidth: 8, taps: 50, groups: 1) == nil)
        let grouped = Case(
            shape: [2, 6, 5, 6], outChannels: 4, kernel: (3, 3), params: Conv2dParams(stride: 1, padding: 1, groups: 2), bias: true)
        let (forward, input) = try Self.run(grouped)
        #expect(!(forward + input).contains { $0.kernel == "conv2d_channels" })
    }
}
