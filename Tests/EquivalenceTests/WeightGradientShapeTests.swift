import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// The direct weight gradient's compile-time shape (conv_direct.cl's KERNEL_W and COLUMN_TILES):
/// which defines each geometry gets, and that both the unrolled tile loop (rows of at most
/// `maxUnrolledColumnTiles` 8-column tiles) and the runtime one (wider rows) match the reference
/// exactly, at output widths on each side of every tile boundary up to the limit and past it.
@Suite("Direct weight gradient: compile-time shape")
struct WeightGradientShapeTests {
    @Test func definesFollowKernelWidthAndTiles() {
        let limit = OpenCLBackend.maxUnrolledColumnTiles
        #expect(limit == 4)
        for (kernelWidth, outWidth, tiles) in [(3, 1, "1"), (3, 8, "1"), (1, 9, "2"), (5, 16, "2"), (3, 32, "4"), (7, 25, "4")] {
            let defines = OpenCLBackend.weightGradientShapeDefines(kernelWidth: kernelWidth, outWidth: outWidth)
            #expect(defines == ["KERNEL_W": "\(kernelWidth)", "COLUMN_TILES": tiles], "k\(kernelWidth) OW \(outWidth)")
        }
        for outWidth in [33, 40, 70, 1000] {
            let defines = OpenCLBackend.weightGradientShapeDefines(kernelWidth: 3, outWidth: outWidth)
            #expect(defines == ["KERNEL_W": "3"], "OW \(outWidth): the tile loop stays a runtime loop")
        }
    }

    /// Forces the direct weight gradient by conv_direct.cl's kernel (the row kernel of
    /// conv_rows.cl, which AVX-512 CPU devices take for most of these shapes, switched off; its
    /// own tests are DenseRowKernelTests) and compares it with the reference on integer data
    /// (every sum exact in Float32), recording the defines each launch got.
    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func unrolledAndRuntimeTileLoopsMatchTheReference() throws {
        let backend = try OpenCLBackend(device: SharedBackends.requireOpenCL().device)
        backend.convolutionAlgorithmOverride = .direct
        backend.denseRowKernelsOverride = false
        var rng = SeededRandom(seed: 31)
        // (input width, kernel width, column stride): output widths 1, 7, 8, 9, 24, 31, 32 (stride 2),
        // 33 and 41.
        let geometries = [(3, 3, 1), (9, 3, 1), (8, 1, 1), (9, 1, 1), (26, 3, 1), (31, 1, 1), (65, 3, 2), (35, 3, 1), (45, 5, 1)]
        for (width, kernelWidth, stride) in geometries {
            let x = [2, 5, 3, width], w = [7, 5, 2, kernelWidth]
            let params = Conv2dParams(strideH: 1, strideW: stride, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1)
            let g = try ConvGeometry("test", input: x, weight: w, params: params)
            let xValues = rng.integers(x.reduce(1, *)), dyValues = rng.integers(g.outputShape.reduce(1, *))
            let trace = LaunchTrace()
            backend.launchTrace = trace
            let (dw, expected) = try SharedBackends.weightGradients(on: backend, dy: dyValues, input: xValues, g)
            backend.launchTrace = nil
            let label = "x\(x) w\(w) stride \(stride): OW \(g.outWidth)"
            #expect(dw == expected, "\(label)")
            let launches = trace.launches(of: "conv2d_direct_weight_grad_partial")
            #expect(launches.count == 1, "\(label)")
            let tiles = (g.outWidth + 7) / 8
            #expect(launches.first?.defines["KERNEL_W"] == "\(kernelWidth)", "\(label)")
            #expect(launches.first?.defines["COLUMN_TILES"] == (tiles <= 4 ? "\(tiles)" : nil), "\(label)")
        }
    }
}
