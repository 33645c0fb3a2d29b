import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// Stride-2 rows stored by phases (conv_direct.cl's PHASES 2: each padded row as its even
/// columns, then its odd ones, written by conv_pad_input): the direct forward pass and weight
/// gradient of column stride 2 must match the reference exactly on integer data (every sum exact
/// in Float32) at awkward widths, paddings, kernel widths and dilations, where a misplaced phase
/// column, a phase too short for the last tile's reads or a wrong tap offset changes the result;
/// and only column stride 2 is launched by phases. Forward rows that conv_rows.cl's conv2d_rows
/// takes (9–32 outputs on AVX-512 CPU devices), and weight gradients that conv2d_weight_grad_rows
/// takes, split into phases in registers instead: the same exact check, with their column stride;
/// the other weight gradients, and forward rows of 8 or fewer outputs, take conv_channels.cl's
/// kernels there, so each forward pass and weight gradient is also run with those kernels off, by
/// phases.
@Suite("Direct convolution: stride-2 rows by phases")
struct StridedPhasesTests {
    @Test func phasesAndLoadDefinesFollowTheColumnStride() {
        #expect(OpenCLBackend.directColumnDefines(stride: 1) == ["PHASES": "1", "STRIDE_W": "1"])
        #expect(OpenCLBackend.directColumnDefines(stride: 2) == ["PHASES": "2", "STRIDE_W": "1"])
        #expect(OpenCLBackend.directColumnDefines(stride: 3) == ["PHASES": "1", "STRIDE_W": "0"])
    }

    /// (input height, input width, kernel, pad, dilation, column stride, row stride): output
    /// widths 1, 2, 4, 7, 8, 9, 16, 17, 31, 47; odd and even input widths, so both phases end
    /// short or long; pads 0–3, so the first image column lands in either phase; dilation 2
    /// (every tap in phase 0) and 3 (taps alternate phases); stride (1, 2) and (2, 1) too.
    static let geometries: [(h: Int, w: Int, k: Int, pad: Int, dilation: Int, strideW: Int, strideH: Int)] = [
        (5, 1, 1, 0, 1, 2, 2), (4, 3, 3, 1, 1, 2, 2), (6, 8, 3, 1, 1, 2, 2), (3, 13, 3, 0, 1, 2, 2),
        (5, 16, 3, 1, 1, 2, 2), (4, 17, 5, 2, 1, 2, 2), (7, 31, 3, 1, 1, 2, 1), (3, 32, 1, 0, 1, 2, 2),
        (4, 33, 3, 1, 2, 2, 2), (5, 61, 3, 3, 1, 2, 2), (7, 93, 3, 1, 3, 2, 2), (6, 19, 3, 1, 1, 1, 2),
    ]

    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func forwardAndWeightGradientMatchTheReferenceExactly() throws {
        let backend = try SharedBackends.forcing(.direct)
        // The padded weight gradient by phases, which the row and channel kernels replace on AVX-512 CPUs.
        let padded = try OpenCLBackend(device: backend.device)
        padded.convolutionAlgorithmOverride = .direct
        padded.denseRowKernelsOverride = false
        let reference = SharedBackends.reference
        var rng = SeededRandom(seed: 93)
        for c in Self.geometries {
            let x = [2, 3, c.h, c.w], w = [5, 3, c.k, c.k]
            let params = Conv2dParams(
                strideH: c.strideH, strideW: c.strideW, padH: c.pad, padW: c.pad, dilationH: c.dilation,
                dilationW: c.dilation, groups: 1)
            let g = try ConvGeometry("test", input: x, weight: w, params: params)
            let label = "x\(x) w\(w) pad \(c.pad) dilation \(c.dilation) stride (\(c.strideH), \(c.strideW)): OW \(g.outWidth)"
            let xValues = rng.integers(x.reduce(1, *)), wValues = rng.integers(w.reduce(1, *))
            let dyValues = rng.integers(g.outputShape.reduce(1, *))
            let trace = LaunchTrace()
            backend.launchTrace = trace
            let y = try backend.download(
                backend.conv2d(backend.upload(xValues, shape: x), weight: backend.upload(wValues, shape: w), bias: nil, params: params))
            let (dw, expectedDW) = try SharedBackends.weightGradients(on: backend, dy: dyValues, input: xValues, g)
            backend.launchTrace = nil
            let paddedTrace = LaunchTrace()
            padded.launchTrace = paddedTrace
            let paddedY = try padded.download(
                padded.conv2d(padded.upload(xValues, shape: x), weight: padded.upload(wValues, shape: w), bias: nil, params: params))
            let paddedDW = try SharedBackends.weightGradients(on: padded, dy: dyValues, input: xValues, g).device
            padded.launchTrace = nil
            #expect(paddedDW == expectedDW, "padded weight gradient \(label)")
            #expect(
                paddedTrace.launches(of: "conv2d_direct_regblock").allSatisfy {
                    $0.defines["PHASES"] == (c.strideW == 2 ? "2" : "1")
                }
                    && !paddedTrace.launches(of: "conv2d_direct_regblock").isEmpty, "padded forward \(label)")
            #expect(
                paddedTrace.launches(of: "conv2d_direct_weight_grad_partial").allSatisfy {
                    $0.defines["PHASES"] == (c.strideW == 2 ? "2" : "1")
                }
                    && !paddedTrace.launches(of: "conv2d_direct_weight_grad_partial").isEmpty, "padded weight gradient \(label)")
            let expectedY = try reference.download(
                reference.conv2d(
                    reference.upload(xValues, shape: x), weight: reference.upload(wValues, shape: w), bias: nil, params: params))
            #expect(y == expectedY, "forward \(label)")
            #expect(paddedY == expectedY, "padded forward \(label)")
            #expect(dw == expectedDW, "weight gradient \(label)")
            let phases = c.strideW == 2 ? "2" : "1"
            let shifts = OpenCLBackend.rowShifts(kernel: c.k, stride: c.strideW, pad: c.pad, dilation: c.dilation)
            let plan = backend.launchPlan
            let rowsTake = plan.denseRowChannels(outWidth: g.outWidth, strideW: c.strideW, rowShifts: shifts) != nil
            let gradientRowsTake =
                plan.denseRowWeightGradient(taps: c.k * c.k, outWidth: g.outWidth, strideW: c.strideW, rowShifts: shifts) != nil
            // Weight gradients the row kernel does not take go to conv_channels.cl's kernel where it runs.
            let channelsTake = !gradientRowsTake && plan.channelWeightGradient(kernelW: c.k, groups: 1) != nil
            // Forward rows the row kernel does not take go to conv_channels.cl's where it runs (≤ 8 wide).
            let forwardChannelsTake = !rowsTake && plan.channelConvolution(outWidth: g.outWidth, taps: c.k * c.k, groups: 1) != nil
            for (takes, rowKernel, padded) in [
                (rowsTake, "conv2d_rows", "conv2d_direct_regblock"),
                (gradientRowsTake, "conv2d_weight_grad_rows", "conv2d_direct_weight_grad_partial"),
            ] where takes {
                #expect(trace.launches(of: rowKernel).map { $0.defines["DW_SW"] } == ["\(c.strideW)"], "\(rowKernel) \(label)")
                #expect(trace.launches(of: padded).isEmpty, "\(padded) \(label)")
            }
            if forwardChannelsTake {
                let launches = trace.launches(of: "conv2d_channels")
                #expect(launches.map { $0.defines["CW_SW"] } == ["\(c.strideW)"], "forward channels \(label)")
                #expect(trace.launches(of: "conv2d_direct_regblock").isEmpty, "forward \(label)")
            }
            if channelsTake {
                let launches = trace.launches(of: "conv2d_weight_grad_channels")
                #expect(launches.map { $0.defines["CW_SW"] } == ["\(c.strideW)"], "channels \(label)")
                #expect(trace.launches(of: "conv2d_direct_weight_grad_partial").isEmpty, "padded weight gradient \(label)")
            }
            let paddedWeightGradient = gradientRowsTake || channelsTake ? [] : ["conv2d_direct_weight_grad_partial"]
            for kernel in (rowsTake || forwardChannelsTake ? [] : ["conv2d_direct_regblock"]) + paddedWeightGradient {
                let launches = trace.launches(of: kernel)
                #expect(!launches.isEmpty, "\(kernel) \(label)")
                #expect(launches.allSatisfy { $0.defines["PHASES"] == phases && $0.defines["STRIDE_W"] == "1" }, "\(kernel) \(label)")
            }
        }
    }
}
