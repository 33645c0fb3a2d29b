import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// conv_channels_strided.cl's `conv2d_channels_input_grad_s2`: the input gradient of a dense
/// stride-2, dilation-1 convolution with 16 input channels in the lanes, which AVX-512 CPU
/// devices take for inputs up to 64 wide. Checked exactly against the reference on integers over
/// awkward shapes: channel counts that fill neither the lanes nor a tile (1, 3, 16, 17, 33), dx
/// widths 1–64 (partial tiles, one to four tiles, odd and even), odd and even heights, windows
/// 1×1 to 7×7 and non-square, pads 0–3 (taps wholly in the padding, rows with no tap), batch 1;
/// with the kernel each takes, its defines and its launch shape. The same shapes also run with
/// the row and channel kernels off, through conv_direct_strided.cl, so that kernel keeps its
/// exact checks on this device.
@Suite(
    "Channel-vector stride-2 input gradient", .serialized,
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct ChannelStridedInputGradientTests {
    /// Backends of this suite's own on the shared device, forced to the direct algorithm: one as
    /// the device gives it, one with the row and channel kernels off.
    static let backends: Result<(plain: OpenCLBackend, padded: OpenCLBackend), any Error> = Result {
        let plain = try SharedBackends.forcing(.direct), padded = try SharedBackends.forcing(.direct)
        padded.denseRowKernelsOverride = false
        return (plain, padded)
    }

    /// (x shape, output channels, window, padding (h, w)).
    static let cases: [(shape: [Int], out: Int, kernel: (h: Int, w: Int), pad: (h: Int, w: Int))] = [
        ([1, 1, 1, 1], 1, (1, 1), (0, 0)),
        ([2, 3, 5, 5], 5, (3, 3), (1, 1)),
        ([3, 16, 16, 16], 32, (3, 3), (1, 1)),
        ([2, 17, 9, 32], 5, (3, 3), (1, 1)),
        ([1, 33, 7, 33], 3, (3, 3), (0, 0)),
        ([2, 4, 10, 17], 6, (5, 5), (2, 2)),
        ([2, 5, 8, 10], 4, (2, 2), (0, 0)),
        ([1, 3, 11, 64], 2, (1, 3), (0, 1)),
        ([2, 2, 9, 31], 7, (4, 2), (3, 1)),
        ([1, 6, 13, 9], 1, (7, 7), (3, 3)),
        ([2, 3, 6, 7], 3, (3, 3), (2, 2)),
        ([1, 8, 4, 48], 16, (1, 1), (0, 0)),
    ]

    /// Runs the input gradient of `c` on `backend` with a trace; returns dx and the launches.
    static func run(
        _ backend: OpenCLBackend, _ c: (shape: [Int], out: Int, kernel: (h: Int, w: Int), pad: (h: Int, w: Int)),
        dy dyValues: [Float], weight wValues: [Float], _ g: ConvGeometry
    ) throws -> (dx: [Float], launches: [LaunchTrace.Launch]) {
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        let dx = try backend.download(
            backend.conv2dBackwardInput(
                backend.upload(dyValues, shape: g.outputShape), weight: backend.upload(wValues, shape: g.weightShape),
                inputShape: c.shape, params: g.params))
        return (dx, trace.launches)
    }

    /// Every result is exact on both backends. Where the plan gives the kernel, it runs once with
    /// the window, padding and widths compiled in, CS_CT = min(16, W), on (H, ⌈CI / 16⌉, N)
    /// work-items, with no padded copy of dy; with the kernels off, conv_direct_strided.cl runs.
    @Test func awkwardShapesMatchTheReferenceExactly() throws {
        let (plain, padded) = try Self.backends.get()
        let reference = SharedBackends.reference
        let plan = plain.launchPlan
        for c in Self.cases {
            let params = Conv2dParams(strideH: 2, strideW: 2, padH: c.pad.h, padW: c.pad.w, dilationH: 1, dilationW: 1, groups: 1)
            let g = try ConvGeometry("test", input: c.shape, weight: [c.out, c.shape[1], c.kernel.h, c.kernel.w], params: params)
            let label = "\(c.shape) → \(c.out) \(c.kernel.h)×\(c.kernel.w) pad \(c.pad)"
            var rng = SeededRandom(seed: UInt64(c.shape.reduce(c.out &* 17 &+ c.kernel.w, { 31 &* $0 &+ $1 })))
            let dyValues = rng.integers(g.outputShape.reduce(1, *)), wValues = rng.integers(g.weightShape.reduce(1, *))
            let expected = try reference.download(
                reference.conv2dBackwardInput(
                    reference.upload(dyValues, shape: g.outputShape), weight: reference.upload(wValues, shape: g.weightShape),
                    inputShape: c.shape, params: params))
            let (dx, launches) = try Self.run(plain, c, dy: dyValues, weight: wValues, g)
            #expect(dx == expected, "\(label)")
            let (paddedDX, paddedLaunches) = try Self.run(padded, c, dy: dyValues, weight: wValues, g)
            #expect(paddedDX == expected, "kernels off: \(label)")
            #expect(paddedLaunches.contains { $0.kernel == "conv2d_direct_input_grad_s2" }, "kernels off: \(label)")

            let channels = launches.filter { $0.kernel == "conv2d_channels_input_grad_s2" }
            guard let tile = plan.channelStridedInputGradient(inWidth: c.shape[3], kernelW: c.kernel.w, groups: 1) else {
                #expect(channels.isEmpty, "\(label)")
                continue
            }
            #expect(tile == min(16, c.shape[3]), "\(label)")
            try #require(channels.count == 1, "\(label): \(launches.map(\.kernel))")
            let k = channels[0]
            #expect(k.defines["CS_CT"] == "\(tile)" && k.defines["CS_W"] == "\(c.shape[3])" && k.defines["CS_OW"] == "\(g.outWidth)")
            #expect(k.defines["CS_KH"] == "\(c.kernel.h)" && k.defines["CS_KW"] == "\(c.kernel.w)", "\(label)")
            #expect(k.defines["CS_PH"] == "\(c.pad.h)" && k.defines["CS_PW"] == "\(c.pad.w)", "\(label)")
            #expect(k.global == [c.shape[2], (c.shape[1] + 15) / 16, c.shape[0]], "\(label) \(k.global)")
            #expect(!launches.contains { $0.kernel == "conv_pad_input" || $0.kernel == "conv2d_direct_input_grad_s2" }, "\(label)")
        }
    }

    /// Grouped convolutions, inputs wider than 64 and windows wider than 7 keep conv_direct_strided.cl.
    @Test func groupsWideInputsAndWideWindowsKeepThePaddedKernel() throws {
        let (plain, _) = try Self.backends.get()
        let plan = plain.launchPlan
        #expect(plan.channelStridedInputGradient(inWidth: 32, kernelW: 3, groups: 2) == nil)
        #expect(plan.channelStridedInputGradient(inWidth: 65, kernelW: 3, groups: 1) == nil)
        #expect(plan.channelStridedInputGradient(inWidth: 32, kernelW: 8, groups: 1) == nil)
        let c = (shape: [2, 4, 9, 12], out: 6, kernel: (h: 3, w: 3), pad: (h: 1, w: 1))
        let params = Conv2dParams(stride: 2, padding: 1, groups: 2)
        let g = try ConvGeometry("test", input: c.shape, weight: [6, 2, 3, 3], params: params)
        var rng = SeededRandom(seed: 7)
        let (dx, launches) = try Self.run(
            plain, c, dy: rng.integers(g.outputShape.reduce(1, *)), weight: rng.integers(g.weightShape.reduce(1, *)), g)
        #expect(dx.count == c.shape.reduce(1, *))
        #expect(!launches.contains { $0.kernel == "conv2d_channels_input_grad_s2" })
        #expect(launches.contains { $0.kernel == "conv2d_direct_input_grad_s2" })
    }
}
