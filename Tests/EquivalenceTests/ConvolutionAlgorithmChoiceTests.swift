import Foundation
import OpenCLBackend
import TensorCore
import Testing
import _TestSupport

/// The convolution algorithm is a choice per pass and shape class: a tuned entry in
/// `KernelTunables` decides where it is set, the static rule elsewhere, and cache files written
/// before the choice existed still load. Which kernels ran is read from the launch trace.
@Suite("Convolution algorithm choice", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct ConvolutionAlgorithmChoiceTests {
    /// Kernel names launched by one pass of a 3×3 stride-1 convolution over `width`-wide planes.
    static func kernels(_ backend: OpenCLBackend, _ pass: ConvolutionPass, width: Int) throws -> Set<String> {
        let params = Conv2dParams(stride: 1, padding: 1)
        let (x, w, dy) = (try backend.zeros([2, 4, 5, width]), try backend.zeros([6, 4, 3, 3]), try backend.zeros([2, 6, 5, width]))
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        switch pass {
        case .forward: _ = try backend.conv2d(x, weight: w, bias: nil, params: params)
        case .inputGradient: _ = try backend.conv2dBackwardInput(dy, weight: w, inputShape: x.shape, params: params)
        case .weightGradient: _ = try backend.conv2dBackwardWeight(dy, input: x, weightShape: w.shape, params: params)
        }
        return Set(trace.launches.map(\.kernel))
    }

    /// The direct algorithm's kernels: conv_direct.cl's, conv_rows.cl's dense row kernels or
    /// conv_channels.cl's forward pass and weight gradient (which AVX-512 CPU devices take where
    /// they fit).
    static func usesDirect(_ kernels: Set<String>) -> Bool {
        kernels.contains {
            $0.hasPrefix("conv2d_direct") || $0 == "conv2d_rows" || $0 == "conv2d_weight_grad_rows" || $0 == "conv2d_channels"
                || $0 == "conv2d_weight_grad_channels"
        }
    }

    @Test(arguments: ConvolutionPass.allCases)
    func aTunedChoiceDecidesItsPassAndClassOnly(_ pass: ConvolutionPass) throws {
        let device = try SharedBackends.requireOpenCL().device
        let plain = try OpenCLBackend(device: device)
        // The static rule on a register-blocked device: direct, except the weight gradient of
        // narrow outputs, which is direct only where conv_channels.cl's kernel runs (AVX-512 CPUs).
        plain.gemmVariantOverride = .registerBlocked
        let channels = plain.launchPlan.channelWeightGradient(kernelW: 3, groups: 1) != nil
        #expect(plain.defaultConvolutionAlgorithm(pass, .wide) == .direct)
        #expect(plain.defaultConvolutionAlgorithm(pass, .narrow) == (pass == .weightGradient && !channels ? .gemm : .direct))
        #expect(try Self.usesDirect(Self.kernels(plain, pass, width: 7)) == (plain.defaultConvolutionAlgorithm(pass, .narrow) == .direct))
        if pass == .weightGradient {
            // Grouped convolutions, which the channel kernel does not take, keep GEMM on narrow outputs.
            #expect(plain.defaultConvolutionAlgorithm(pass, .narrow, kernelW: 3, groups: 2) == .gemm)
            let trace = LaunchTrace()
            plain.launchTrace = trace
            _ = try plain.conv2dBackwardWeight(
                plain.zeros([2, 6, 5, 7]), input: plain.zeros([2, 4, 5, 7]), weightShape: [6, 2, 3, 3],
                params: Conv2dParams(stride: 1, padding: 1, groups: 2))
            plain.launchTrace = nil
            #expect(!Self.usesDirect(Set(trace.launches.map(\.kernel))), "\(trace.launches.map(\.kernel))")
            plain.denseRowKernelsOverride = false
            #expect(plain.defaultConvolutionAlgorithm(pass, .narrow) == .gemm)
            #expect(try !Self.usesDirect(Self.kernels(plain, pass, width: 7)))
            plain.denseRowKernelsOverride = nil
        }
        #expect(try Self.usesDirect(Self.kernels(plain, pass, width: 17)) == (plain.defaultConvolutionAlgorithm(pass, .wide) == .direct))

        // Tuned: the opposite of the static rule for wide outputs of this pass only.
        var tunables = KernelTunables.defaults
        let flipped: ConvolutionAlgorithm = plain.defaultConvolutionAlgorithm(pass, .wide) == .direct ? .gemm : .direct
        tunables.setConvolutionAlgorithm(flipped, pass, .wide)
        let tuned = try OpenCLBackend(device: device, tuning: .fixed(tunables))
        tuned.gemmVariantOverride = .registerBlocked
        #expect(try Self.usesDirect(Self.kernels(tuned, pass, width: 17)) == (flipped == .direct))
        #expect(try Self.usesDirect(Self.kernels(tuned, pass, width: 7)) == (plain.defaultConvolutionAlgorithm(pass, .narrow) == .direct))
        // The explicit override still wins over the tuned entry.
        tuned.convolutionAlgorithmOverride = plain.defaultConvolutionAlgorithm(pass, .wide)
        #expect(try Self.usesDirect(Self.kernels(tuned, pass, width: 17)) == (tuned.convolutionAlgorithmOverride == .direct))
    }

    @Test func shapeClassesSplitAtSixteenColumns() {
        #expect(ConvolutionShapeClass(outWidth: 15) == .narrow && ConvolutionShapeClass(outWidth: 16) == .wide)
        #expect(ConvolutionShapeClass(outWidth: 1) == .narrow)
    }

    /// A cache entry from before the algorithm choice, the lane count and the weight-gradient
    /// block decodes with no entries (the static rule), 8-lane register tiles and the standard
    /// block; one with entries, a 16-lane tile and a tuned block round-trips; an unknown key, a
    /// lane count the kernel lacks and a block over 24 accumulators are refused as invalid.
    @Test func cacheEntriesOldAndNewDecode() throws {
        let device = try SharedBackends.requireOpenCL().device
        let old =
            #"{"registerTile":{"rows":6,"vectors":2},"shortRegisterTile":{"rows":8,"vectors":1},"localTile":{"tileM":64,"tileN":64,"tileK":16,"workM":4,"workN":4},"directOutputChannels":8}"#
        let decoded = try JSONDecoder().decode(KernelTunables.self, from: Data(old.utf8))
        #expect(decoded == .defaults && decoded.convolutionAlgorithms.isEmpty)

        var tuned = KernelTunables.defaults
        tuned.setConvolutionAlgorithm(.gemm, .weightGradient, .narrow)
        tuned.registerTile = .init(rows: 8, vectors: 2, lanes: 16)
        tuned.narrowWeightGradientBlock = .init(outputChannels: 4, taps: 3)
        let again = try JSONDecoder().decode(KernelTunables.self, from: JSONEncoder().encode(tuned))
        #expect(
            again == tuned && again.convolutionAlgorithm(.weightGradient, .narrow) == .gemm
                && again.convolutionAlgorithm(.forward, .wide) == nil && again.registerTile.lanes == 16
                && again.shortRegisterTile.lanes == 8)
        #expect(again.narrowWeightGradientBlock == .init(outputChannels: 4, taps: 3) && again.weightGradientBlock == .standard)
        #expect(again.isValid(on: device))
        var unknown = tuned
        unknown.convolutionAlgorithms["backward/huge"] = .direct
        #expect(!unknown.isValid(on: device))
        var oddLanes = tuned
        oddLanes.shortRegisterTile.lanes = 12
        #expect(!oddLanes.isValid(on: device))
        // 8 channels × 4 taps would take 32 accumulators: more than the kernel is allowed.
        var manyAccumulators = tuned
        manyAccumulators.weightGradientBlock = .init(outputChannels: 8, taps: 4)
        #expect(!manyAccumulators.isValid(on: device))
    }
}
