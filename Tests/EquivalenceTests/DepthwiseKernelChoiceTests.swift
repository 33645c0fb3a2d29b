import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Which of depthwise.cl's kernels each pass takes, read from the launch trace, with every pass's
/// result equal to the reference's on integers (the verify cases check more windows): planes whose
/// rows fit one float8 take the narrow kernels where the launch plan says so (CPU devices), and
/// only those; column stride 2 takes the phase-split input gradient on every device.
@Suite(
    "Depthwise kernel choice", .serialized, .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason))
)
struct DepthwiseKernelChoiceTests {
    /// A backend of this suite's own on the shared device, so no other suite's launches reach its
    /// trace (the suite's tests run one at a time).
    static let traced: Result<OpenCLBackend, any Error> = Result { try OpenCLBackend(device: SharedBackends.requireOpenCL().device) }

    /// The kernels each pass of a depthwise 3×3 convolution (pad 1) over `[2, 3, height, width]` launches.
    static func kernels(height: Int, width: Int, stride: Int) throws -> (forward: Set<String>, input: Set<String>, weight: Set<String>) {
        try kernels(shape: [2, 3, height, width], kernel: 3, params: Conv2dParams(stride: stride, padding: 1, groups: 3))
    }

    /// The kernels each pass of a depthwise `kernel × kernel` convolution over `shape` launches,
    /// with its y, dx and dw checked exactly against the reference.
    static func kernels(
        shape xShape: [Int], kernel: Int, params: Conv2dParams
    ) throws
        -> (forward: Set<String>, input: Set<String>, weight: Set<String>)
    {
        let device = try traced.get(), reference = SharedBackends.reference
        var rng = SeededRandom(seed: UInt64(xShape.reduce(kernel, { 31 &* $0 &+ $1 })))
        let wShape = [xShape[1], 1, kernel, kernel]
        let xValues = rng.integers(xShape.reduce(1, *)), wValues = rng.integers(wShape.reduce(1, *))
        let yShape = try ConvGeometry("test", input: xShape, weight: wShape, params: params).outputShape
        let dyValues = rng.integers(yShape.reduce(1, *))
        func run(_ b: any Backend) throws -> [[Float]] {
            let x = try b.upload(xValues, shape: xShape), w = try b.upload(wValues, shape: wShape)
            let dy = try b.upload(dyValues, shape: yShape)
            return [
                try b.download(b.conv2d(x, weight: w, bias: nil, params: params)),
                try b.download(b.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params)),
                try b.download(b.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)),
            ]
        }
        let trace = LaunchTrace()
        device.launchTrace = trace
        defer { device.launchTrace = nil }
        var launched: [Set<String>] = []
        var results: [[Float]] = []
        let x = try device.upload(xValues, shape: xShape), w = try device.upload(wValues, shape: wShape)
        let dy = try device.upload(dyValues, shape: yShape)
        for pass in 0..<3 {
            let before = trace.launches.count
            let result: Tensor
            switch pass {
            case 0: result = try device.conv2d(x, weight: w, bias: nil, params: params)
            case 1: result = try device.conv2dBackwardInput(dy, weight: w, inputShape: xShape, params: params)
            default: result = try device.conv2dBackwardWeight(dy, input: x, weightShape: wShape, params: params)
            }
            results.append(try device.download(result))
            launched.append(Set(trace.launches.dropFirst(before).map(\.kernel)))
        }
        #expect(results == (try run(reference)), "\(xShape) \(kernel)×\(kernel) \(params)")
        return (launched[0], launched[1], launched[2])
    }

    @Test func eightColumnPlanesRunTheNarrowKernelsAndWiderOnesDoNot() throws {
        let narrow = try Self.traced.get().launchPlan.depthwise.narrowPlanes
        let eight = try Self.kernels(height: 8, width: 8, stride: 1)
        #expect(eight.forward.contains("depthwise_forward_narrow") == narrow)
        #expect(eight.input.contains("depthwise_forward_narrow") == narrow)
        #expect(eight.weight.contains("depthwise_weight_grad_narrow") == narrow)
        let one = try Self.kernels(height: 1, width: 1, stride: 1)
        #expect(one.forward.contains("depthwise_forward_narrow") == narrow)

        // Nine columns do not fit a float8; stride 2 reads every other column: the tiled kernels
        // (and the phase-split input gradient).
        for (height, width, stride) in [(8, 9, 1), (8, 8, 2)] {
            let k = try Self.kernels(height: height, width: width, stride: stride)
            #expect(!k.forward.contains("depthwise_forward_narrow") && !k.input.contains("depthwise_forward_narrow"))
            #expect(!k.weight.contains("depthwise_weight_grad_narrow"))
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
}
