import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// conv_channels.cl: dy transposed to channels-last (`conv_channels_last`) and the dense weight
/// gradient with 16 output channels in the lanes (`conv2d_weight_grad_channels`), which AVX-512
/// CPU devices take for every groups-1 weight gradient the row kernel does not. Checked exactly
/// against the reference on integers over awkward shapes: channel counts that fill neither the
/// 16 lanes (1, 5, 17, 33) nor the input block (1, 3, 13), outputs 1–16 and 40 wide, edge-only
/// rows, padding past the window, strides 2 and 3, dilation 2, 1×1, 5×5 and 7×7 windows, batch 1
/// and batches split unevenly; with the kernel each takes, its defines and its launch shape.
@Suite(
    "Channel-vector weight gradient", .serialized,
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct ChannelWeightGradientTests {
    /// A backend of this suite's own on the shared device, forced to the direct algorithm, so no
    /// other suite's launches reach its trace (the suite's tests run one at a time).
    static let traced: Result<OpenCLBackend, any Error> = Result { try SharedBackends.forcing(.direct) }

    /// The weight gradient of x `shape` → `outChannels` with a `kernel` window on the traced
    /// device, checked exactly against the reference; returns its launches.
    static func run(_ shape: [Int], _ outChannels: Int, _ kernel: (h: Int, w: Int), _ params: Conv2dParams) throws -> [LaunchTrace.Launch] {
        let device = try traced.get(), reference = SharedBackends.reference
        let g = try ConvGeometry("test", input: shape, weight: [outChannels, shape[1] / params.groups, kernel.h, kernel.w], params: params)
        var rng = SeededRandom(seed: UInt64(shape.reduce(outChannels &* 13 &+ kernel.w, { 31 &* $0 &+ $1 })))
        let xValues = rng.integers(shape.reduce(1, *)), dyValues = rng.integers(g.outputShape.reduce(1, *))
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        let dw = try device.download(
            device.conv2dBackwardWeight(
                device.upload(dyValues, shape: g.outputShape), input: device.upload(xValues, shape: shape),
                weightShape: g.weightShape, params: params))
        let expected = try reference.download(
            reference.conv2dBackwardWeight(
                reference.upload(dyValues, shape: g.outputShape), input: reference.upload(xValues, shape: shape),
                weightShape: g.weightShape, params: params))
        #expect(dw == expected, "\(shape) → \(outChannels) \(kernel.h)×\(kernel.w) \(params)")
        return trace.launches
    }

    /// Each shape's result is exact; where the plan gives the kernel (AVX-512 CPU devices), it runs
    /// with CIB = min(8, 24 / KW), the window's defines, ⌈CI / CIB⌉ input blocks and
    /// ⌈CO / 16⌉ · KH output blocks × filter rows, after one transpose over every output position;
    /// no padded copy; the splits summed only when there are several.
    @Test func awkwardShapesMatchTheReferenceExactly() throws {
        let plan = try Self.traced.get().launchPlan
        let cases: [(shape: [Int], out: Int, kernel: (h: Int, w: Int), params: Conv2dParams)] = [
            ([1, 1, 1, 1], 1, (1, 1), Conv2dParams(stride: 1, padding: 0)),
            ([3, 13, 7, 7], 17, (3, 3), Conv2dParams(stride: 1, padding: 1)),
            ([9, 12, 9, 14], 33, (3, 3), Conv2dParams(stride: 2, padding: 1)),
            ([2, 5, 11, 16], 16, (5, 5), Conv2dParams(stride: 1, padding: 2)),
            ([4, 8, 10, 12], 32, (3, 3), Conv2dParams(stride: 1, padding: 2, dilation: 2)),
            ([2, 6, 9, 31], 7, (3, 3), Conv2dParams(stride: 3, padding: 1)),
            ([1, 3, 8, 8], 64, (1, 1), Conv2dParams(stride: 2, padding: 0)),
            ([2, 4, 9, 40], 5, (7, 7), Conv2dParams(stride: 1, padding: 3)),
            ([5, 16, 8, 8], 64, (3, 3), Conv2dParams(stride: 1, padding: 0)),
            ([2, 3, 2, 2], 18, (3, 3), Conv2dParams(stride: 1, padding: 1)),
            ([1, 2, 5, 5], 3, (3, 3), Conv2dParams(stride: 1, padding: 4)),
            ([7, 9, 6, 10], 20, (3, 1), Conv2dParams(strideH: 2, strideW: 1, padH: 1, padW: 0, dilationH: 1, dilationW: 1, groups: 1)),
        ]
        for c in cases {
            let launches = try Self.run(c.shape, c.out, c.kernel, c.params)
            let label = "\(c.shape) → \(c.out) \(c.kernel.h)×\(c.kernel.w) \(c.params)"
            guard let block = plan.channelWeightGradient(kernelW: c.kernel.w, groups: 1) else {
                #expect(!launches.contains { $0.kernel == "conv2d_weight_grad_channels" }, "\(label)")
                continue
            }
            let g = try ConvGeometry("test", input: c.shape, weight: [c.out, c.shape[1], c.kernel.h, c.kernel.w], params: c.params)
            let rowsTake =
                plan.denseRowWeightGradient(
                    taps: c.kernel.h * c.kernel.w, outWidth: g.outWidth, strideW: c.params.strideW,
                    rowShifts: OpenCLBackend.rowShifts(
                        kernel: c.kernel.w, stride: c.params.strideW, pad: c.params.padW, dilation: c.params.dilationW))
                != nil
            try #require(!rowsTake, "\(label): every case here is one the row kernel leaves")
            #expect(block == min(8, 24 / c.kernel.w))
            let channels = launches.filter { $0.kernel == "conv2d_weight_grad_channels" }
            let transposes = launches.filter { $0.kernel == "conv_channels_last" }
            try #require(channels.count == 1 && transposes.count == 1, "\(label): \(launches.map(\.kernel))")
            let k = channels[0]
            #expect(k.defines["CIB"] == "\(block)" && k.defines["CW_KH"] == "\(c.kernel.h)" && k.defines["CW_KW"] == "\(c.kernel.w)")
            #expect(k.defines["CW_SH"] == "\(c.params.strideH)" && k.defines["CW_SW"] == "\(c.params.strideW)")
            #expect(k.defines["CW_PH"] == "\(c.params.padH)" && k.defines["CW_PW"] == "\(c.params.padW)")
            #expect(k.defines["CW_DH"] == "\(c.params.dilationH)" && k.defines["CW_DW"] == "\(c.params.dilationW)")
            let outBlocks = (c.out + 15) / 16
            #expect(Array(k.global.prefix(2)) == [(c.shape[1] + block - 1) / block, outBlocks * c.kernel.h], "\(label) \(k.global)")
            let splits = k.global[2]
            #expect(splits >= 1 && splits <= c.shape[0], "\(label) \(k.global)")
            #expect(Array(transposes[0].global.prefix(3)) == [g.outputPixels, outBlocks, c.shape[0]], "\(label)")
            #expect(launches.contains { $0.kernel == "conv_sum_partials" } == (splits > 1), "\(label)")
            #expect(!launches.contains { $0.kernel == "conv_pad_input" || $0.kernel == "conv2d_direct_weight_grad_partial" }, "\(label)")
        }
    }

    /// The batch is split so that blocks × splits reaches `LaunchPlan.channelWeightGradientItems`:
    /// 96 items per split (8 input blocks × 4 output blocks × 3 filter rows) at 64×8² → 64 make
    /// ⌈256 / 96⌉ = 3 splits of ⌈16 / 3⌉ = 6 images (the last of 4), summed afterwards; 1 image
    /// makes 1 split, written straight into dw. Each work-item is a work-group of its own
    /// (`LaunchPlan.channelWeightGradientGroup`), so the 288 items share the threads evenly.
    @Test func theBatchSplitsIntoEnoughWorkItems() throws {
        let plan = try Self.traced.get().launchPlan
        guard plan.channelWeightGradient(kernelW: 3, groups: 1) != nil else { return }
        #expect(plan.channelWeightGradientItems == 256)
        let params = Conv2dParams(stride: 1, padding: 1)
        let split = try Self.run([16, 64, 8, 8], 64, (3, 3), params)
        let kernel = split.first { $0.kernel == "conv2d_weight_grad_channels" }
        #expect(kernel?.global == [8, 12, 3], "\(String(describing: kernel))")
        #expect(kernel?.local == [1, 1, 1], "\(String(describing: kernel))")
        #expect(split.contains { $0.kernel == "conv_sum_partials" })
        let single = try Self.run([1, 64, 8, 8], 64, (3, 3), params)
        #expect(single.first { $0.kernel == "conv2d_weight_grad_channels" }?.global == [8, 12, 1])
        #expect(!single.contains { $0.kernel == "conv_sum_partials" })
    }

    /// Grouped convolutions and windows wider than 24 columns keep the padded kernels.
    @Test func groupsAndVeryWideWindowsAreLeftToThePaddedKernel() throws {
        let plan = try Self.traced.get().launchPlan
        #expect(plan.channelWeightGradient(kernelW: 3, groups: 2) == nil)
        #expect(plan.channelWeightGradient(kernelW: 25, groups: 1) == nil)
        let launches = try Self.run([2, 6, 5, 12], 4, (3, 3), Conv2dParams(stride: 1, padding: 1, groups: 2))
        #expect(!launches.contains { $0.kernel == "conv2d_weight_grad_channels" })
    }
}
