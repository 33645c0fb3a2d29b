import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Depthwise planes whose rows fit one float8 take depthwise.cl's narrow kernels where the launch
/// plan says so (CPU devices), and only those: read from the launch trace, with every pass's
/// result equal to the reference's on integers (the verify cases check more windows).
@Suite("Depthwise narrow planes", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct DepthwiseNarrowTests {
    /// The kernels each pass of a depthwise 3×3 convolution over `[2, 3, height, width]` launches,
    /// with its y, dx and dw checked exactly against the reference.
    static func kernels(height: Int, width: Int, stride: Int) throws -> (forward: Set<String>, input: Set<String>, weight: Set<String>) {
        let device = try SharedBackends.requireOpenCL(), reference = SharedBackends.reference
        let params = Conv2dParams(stride: stride, padding: 1, groups: 3)
        var rng = SeededRandom(seed: UInt64(100 * height + width + stride))
        let xShape = [2, 3, height, width], wShape = [3, 1, 3, 3]
        let xValues = rng.integers(xShape.reduce(1, *)), wValues = rng.integers(27)
        let yShape = try ConvGeometry("test", input: xShape, weight: wShape, params: params).outputShape
        let dyValues = rng.integers(yShape.reduce(1, *))
        func run(_ b: any Backend) throws -> [[Float]] {
            let x = try b.upload(xValues, shape: xShape), w = try b.upload(wValues, shape: wShape), dy = try b.upload(dyValues, shape: yShape)
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
        #expect(results == (try run(reference)), "[2, 3, \(height), \(width)] stride \(stride)")
        return (launched[0], launched[1], launched[2])
    }

    @Test func eightColumnPlanesRunTheNarrowKernelsAndWiderOnesDoNot() throws {
        let narrow = try SharedBackends.requireOpenCL().launchPlan.depthwise.narrowPlanes
        let eight = try Self.kernels(height: 8, width: 8, stride: 1)
        #expect(eight.forward.contains("depthwise_forward_narrow") == narrow)
        #expect(eight.input.contains("depthwise_forward_narrow") == narrow)
        #expect(eight.weight.contains("depthwise_weight_grad_narrow") == narrow)
        let one = try Self.kernels(height: 1, width: 1, stride: 1)
        #expect(one.forward.contains("depthwise_forward_narrow") == narrow)

        // Nine columns do not fit a float8; stride 2 reads every other column (and its input
        // gradient upsamples): the tiled kernels.
        for (height, width, stride) in [(8, 9, 1), (8, 8, 2)] {
            let k = try Self.kernels(height: height, width: width, stride: stride)
            #expect(!k.forward.contains("depthwise_forward_narrow") && !k.input.contains("depthwise_forward_narrow"))
            #expect(!k.weight.contains("depthwise_weight_grad_narrow"))
        }
    }
}
