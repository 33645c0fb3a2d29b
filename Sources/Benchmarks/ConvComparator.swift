import OpenCLBackend
import OpenCLRuntime
import TensorCore

/// CLBlast's way of computing each convolution pass, on the same queue and input buffers as
/// ours, writing its own output tensor. Per image n (CLBlast's im2col routines take one image):
///   forward, groups 1   `CLBlastSconvgemm` over the batch (it runs im2col per image itself);
///   forward, grouped    im2col(x_n), then per group y_n,g = W_g·col_g — one
///                       `CLBlastSgemmStridedBatched` across the groups;
///   grad-input          dcol = Wᵀ·dy_n (`CLBlastSgemm`, or strided-batched across groups), then
///                       `CLBlastScol2im` adds dcol into dx_n (dx zeroed first, by our fill);
///   grad-weight         im2col(x_n), then dW += dy_n·colᵀ (`CLBlastSgemm` with β = 1 after the
///                       first image, or strided-batched across groups).
enum ConvComparator {
    static func make(
        problem p: ConvProblem, pass: ConvProblem.Pass, x: Tensor, w: Tensor, dy: Tensor?, backend: OpenCLBackend,
        check: @escaping (Tensor?) throws -> CheckOutcome
    ) throws -> Contender {
        let outputShape = pass == .forward ? p.outputShape : pass == .gradInput ? p.inputShape : p.weightShape
        let out = try backend.uninitialized(outputShape)
        let window = CLBlast.Window(
            channels: p.inChannels, height: p.height, width: p.width, kernel: p.kernel,
            padding: p.padding, stride: p.stride, dilation: p.dilation)
        let (groups, pixels) = (p.groups, p.outHeight * p.outWidth)
        let patch = p.inChannels / groups * p.kernel * p.kernel  // column rows per group
        let kpg = p.outChannels / groups  // output channels per group
        let (imageSize, outputSize) = (p.inChannels * p.height * p.width, p.outChannels * pixels)
        let queue = backend.queue
        let (xb, wb, ob) = (backend.deviceBuffer(x), backend.deviceBuffer(w), backend.deviceBuffer(out))
        let dyb = dy.map { backend.deviceBuffer($0) }
        let columns = pass == .forward && groups == 1 ? nil : try backend.uninitialized([groups * patch * pixels])
        let cb = columns.map { backend.deviceBuffer($0) }
        let grouped = groups > 1 ? "SgemmStridedBatched" : "Sgemm"

        switch pass {
        case .forward where groups == 1:
            return Contender(
                name: "CLBlast convgemm",
                run: {
                    try CLBlast.sconvgemm(
                        queue: queue, window: window, numKernels: p.outChannels, batch: p.batch,
                        image: xb, kernel: wb, result: ob)
                }, check: { try check(out) })
        case .forward:
            return Contender(
                name: "CLBlast im2col+\(grouped)",
                run: {
                    for n in 0..<p.batch {
                        try CLBlast.sim2col(queue: queue, window: window, image: xb, imageOffset: n * imageSize, columns: cb!)
                        try CLBlast.sgemmStridedBatched(
                            queue: queue, transposeA: false, transposeB: false, m: kpg, n: pixels, k: patch,
                            a: wb, lda: patch, aStride: kpg * patch,
                            b: cb!, ldb: pixels, bStride: patch * pixels,
                            c: ob, cOffset: n * outputSize, ldc: pixels, cStride: kpg * pixels, batch: groups)
                    }
                }, check: { try check(out) })
        case .gradInput:
            return Contender(
                name: "CLBlast \(grouped)+col2im",
                run: {
                    try backend.fill(out, with: 0)
                    for n in 0..<p.batch {
                        if groups == 1 {
                            try CLBlast.sgemm(
                                queue: queue, transposeA: true, transposeB: false, m: patch, n: pixels, k: kpg,
                                a: wb, lda: patch, b: dyb!, bOffset: n * outputSize, ldb: pixels, c: cb!, ldc: pixels)
                        } else {
                            try CLBlast.sgemmStridedBatched(
                                queue: queue, transposeA: true, transposeB: false, m: patch, n: pixels, k: kpg,
                                a: wb, lda: patch, aStride: kpg * patch,
                                b: dyb!, bOffset: n * outputSize, ldb: pixels, bStride: kpg * pixels,
                                c: cb!, ldc: pixels, cStride: patch * pixels, batch: groups)
                        }
                        try CLBlast.scol2im(queue: queue, window: window, columns: cb!, image: ob, imageOffset: n * imageSize)
                    }
                }, check: { try check(out) })
        case .gradWeight:
            return Contender(
                name: "CLBlast im2col+\(grouped)",
                run: {
                    for n in 0..<p.batch {
                        try CLBlast.sim2col(queue: queue, window: window, image: xb, imageOffset: n * imageSize, columns: cb!)
                        let beta: Float = n == 0 ? 0 : 1
                        if groups == 1 {
                            try CLBlast.sgemm(
                                queue: queue, transposeA: false, transposeB: true, m: kpg, n: patch, k: pixels,
                                a: dyb!, aOffset: n * outputSize, lda: pixels, b: cb!, ldb: pixels, beta: beta, c: ob, ldc: patch)
                        } else {
                            try CLBlast.sgemmStridedBatched(
                                queue: queue, transposeA: false, transposeB: true, m: kpg, n: patch, k: pixels,
                                a: dyb!, aOffset: n * outputSize, lda: pixels, aStride: kpg * pixels,
                                b: cb!, ldb: pixels, bStride: patch * pixels, beta: beta,
                                c: ob, ldc: patch, cStride: kpg * patch, batch: groups)
                        }
                    }
                }, check: { try check(out) })
        }
    }
}
