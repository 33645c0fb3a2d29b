import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// The stride-2 input gradient of Kernels/conv_direct_strided.cl (and, for dense convolutions on
/// AVX-512 CPU devices, Kernels/conv_channels_strided.cl's, which ChannelStridedInputGradientTests
/// checks further): which convolutions take it, and
/// that the padded copy of dy covers every read of every work-item (the kernel has no bounds
/// checks, and a stray read past a row lands in lanes that are computed but not stored, so the
/// values alone would not show it). Its results are checked against the reference by the conv
/// verification cases (`ConvolutionDeviceTests.eachAlgorithmMatchesReference`, exact integer
/// cases of every stride-2 kind, and real-valued ones at batch 128 for both ROWS).
@Suite("Stride-2 direct input gradient")
struct StridedInputGradientTests {
    /// Every (dy row, dy column) the kernel reads for `g` with `rows`, in padded coordinates,
    /// enumerated from the kernel's own index formulas.
    static func reads(_ g: ConvGeometry, rows: Int, padding: OpenCLBackend.StridedGradientPadding) -> [(row: Int, column: Int)] {
        let (ph, pw) = (g.params.padH, g.params.padW)
        let pairs = 16 / rows
        let tiles = (g.inWidth + 2 * pairs - 1) / (2 * pairs)
        let rowItems = rows == 2 ? 2 * ((g.inHeight + 3) / 4) : g.inHeight
        var rowsRead: [Int] = []
        for it in 0..<rowItems {
            let h0 = rows == 2 ? (it / 2) * 4 + it % 2 : it
            guard h0 < g.inHeight else { continue }
            for p in stride(from: (h0 + ph) & 1, to: g.kernelH, by: 2) {
                let row = padding.top + (h0 + ph - p) / 2
                rowsRead.append(row)
                if rows == 2 { rowsRead.append(row + 1) }
            }
        }
        var columnsRead: [Int] = []
        for jt in 0..<tiles {
            for parity in 0..<2 {
                for q in stride(from: (pw + parity) & 1, to: g.kernelW, by: 2) {
                    for v in 0..<pairs { columnsRead.append(padding.left + jt * pairs + v + (parity + pw - q) / 2) }
                }
            }
        }
        return rowsRead.flatMap { row in columnsRead.map { (row, $0) } }
    }

    @Test func paddedDyCoversEveryReadAndHoldsDy() throws {
        var checked = 0
        for kernel in [(1, 1), (2, 2), (3, 3), (5, 5), (1, 3), (4, 2)] {
            for pad in [(0, 0), (1, 1), (2, 2), (0, 1), (3, 2)] where pad.0 < kernel.0 + 2 && pad.1 < kernel.1 + 2 {
                for size in [(1, 5), (7, 7), (9, 10), (16, 16), (17, 31), (32, 32), (11, 70)] {
                    let params = Conv2dParams(
                        strideH: 2, strideW: 2, padH: pad.0, padW: pad.1, dilationH: 1, dilationW: 1, groups: 1)
                    guard
                        let g = try? ConvGeometry(
                            "test", input: [1, 3, size.0, size.1], weight: [4, 3, kernel.0, kernel.1], params: params)
                    else { continue }
                    for rows in [1, 2] {
                        let padding = OpenCLBackend.stridedGradientPadding(g, rows: rows)
                        let label = "k\(kernel) pad\(pad) in\(size) rows \(rows): \(padding)"
                        #expect(padding.top >= 0 && padding.left >= 0, "\(label)")
                        #expect(padding.top + g.outHeight <= padding.height && padding.left + g.outWidth <= padding.width, "\(label)")
                        let outside = Self.reads(g, rows: rows, padding: padding).filter {
                            $0.row < 0 || $0.row >= padding.height || $0.column < 0 || $0.column >= padding.width
                        }
                        #expect(outside.isEmpty, "\(label): \(outside.count) reads outside, first \(outside.first.map { "\($0)" } ?? "")")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 300)
    }

    /// The ResNet stride-2 entry (3×3, pad 1): the dx row h = 2i + 1 reads dy rows i and i + 1,
    /// so dy needs one zero row below and one zero column right, nothing on top or left.
    @Test func resNetEntryPadding() throws {
        let g = try ConvGeometry("test", input: [1, 16, 32, 32], weight: [32, 16, 3, 3], params: Conv2dParams(stride: 2, padding: 1))
        #expect(OpenCLBackend.stridedGradientPadding(g, rows: 1) == .init(top: 0, left: 0, height: 17, width: 17))
        #expect(OpenCLBackend.stridedInputGradientRows(width: 32) == 1 && OpenCLBackend.stridedInputGradientRows(width: 16) == 2)
    }

    /// Kernel names launched by the input gradient of `params` (3×3 unless `kernel`) on `backend`.
    static func inputGradientKernels(_ backend: OpenCLBackend, _ params: Conv2dParams, kernel: Int = 3) throws -> Set<String> {
        let x = [2, 4, 9, 12]
        let w = try backend.zeros([6, 4, kernel, kernel])
        let g = try ConvGeometry("test", input: x, weight: w.shape, params: params)
        let dy = try backend.zeros(g.outputShape)
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        _ = try backend.conv2dBackwardInput(dy, weight: w, inputShape: x, params: params)
        return Set(trace.launches.map(\.kernel))
    }

    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func stride2Dilation1TakesTheKernelWhereDirectIsChosen() throws {
        let device = try SharedBackends.requireOpenCL().device
        let backend = try OpenCLBackend(device: device)
        backend.convolutionAlgorithmOverride = .direct
        let padded = "conv2d_direct_input_grad_s2", channels = "conv2d_channels_input_grad_s2", gathered = "conv_col2im_gather"
        for (params, kernel) in [
            (Conv2dParams(stride: 2, padding: 1), 3), (Conv2dParams(stride: 2), 1), (Conv2dParams(stride: 2, padding: 2), 5),
        ] {
            let kernels = try Self.inputGradientKernels(backend, params, kernel: kernel)
            // AVX-512 CPU devices take conv_channels_strided.cl's kernel for these dense ones (12 wide).
            let strided = backend.launchPlan.channelStridedInputGradient(inWidth: 12, kernelW: kernel, groups: 1) != nil ? channels : padded
            #expect(kernels.contains(strided) && !kernels.contains(gathered), "\(params) k\(kernel): \(kernels.sorted())")
        }
        // Dilated or stride 3: GEMM + col2im even where direct is chosen.
        for params in [Conv2dParams(stride: 2, padding: 2, dilation: 2), Conv2dParams(stride: 3, padding: 1)] {
            let kernels = try Self.inputGradientKernels(backend, params)
            #expect(kernels.isDisjoint(with: [padded, channels]) && kernels.contains(gathered), "\(params): \(kernels.sorted())")
        }
        backend.convolutionAlgorithmOverride = .gemm
        let kernels = try Self.inputGradientKernels(backend, Conv2dParams(stride: 2, padding: 1))
        #expect(kernels.isDisjoint(with: [padded, channels]) && kernels.contains(gathered), "gemm: \(kernels.sorted())")
    }
}
