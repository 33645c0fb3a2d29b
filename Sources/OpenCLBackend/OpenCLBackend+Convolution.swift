import OpenCLRuntime
import TensorCore

// Convolution on the device (kernels: Kernels/conv.cl, GEMMs: gemmRaw).
//   forward          depthwise → conv2d_depthwise_direct; where `convolutionUsesDirect` (CPU
//                    devices) → conv_rows.cl's conv2d_rows on the unpadded input where
//                    `LaunchPlan.denseRowChannels` fits the row, else conv2d_direct_regblock on
//                    a padded copy (OpenCLBackend+ConvolutionDirect.swift);
//                    otherwise per chunk of images: im2col (skipped for a 1×1 stride-1
//                    unpadded kernel, where x already is the column matrix), then per group a
//                    batched GEMM y[n]_g = W_g · col[n]_g with W_g shared; then the bias.
//   backward input   see OpenCLBackend+ConvolutionBackward.swift.
//   backward weight  see OpenCLBackend+ConvolutionBackward.swift.
//   backward bias    per-split partial sums over the batch, then a sum over the splits.
extension OpenCLBackend {
    /// Scratch budget per chunk of images (column matrices, padded copies): 16 Mi floats (64 MiB).
    static let convColumnBudget = 16 << 20
    /// Partial-sum reductions split the batch until about this many work-items run.
    static let convReductionWorkItems = 4096

    /// `y = conv(x, w) + b` (see `Backend.conv2d`).
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.forward(input: x.shape, weight: weight.shape, bias: bias?.shape, params: params)
        let y = try empty(g.outputShape)
        if usesDepthwiseKernels(g) {
            try depthwiseForward(x, weight: weight, bias: bias, g, into: y)
            return y
        }
        if g.isDepthwise {
            // One work-item per output element; the bias argument is ignored when hasBias = 0.
            try launch(
                "conv.cl", "conv2d_depthwise_direct", global: [g.outWidth, g.outHeight, g.batch * g.outChannels],
                [
                    .buffer(buffer(x)), .buffer(buffer(weight)), .buffer(buffer(bias ?? weight)), .int(bias == nil ? 0 : 1),
                    .buffer(buffer(y)), .index(g.batch), .index(g.inChannels), .index(g.inHeight), .index(g.inWidth),
                    .index(g.outChannels),
                ] + g.kernelWindowArguments)
            return y
        }
        if convolutionUsesDirect(.forward, g) {
            try conv2dDirect(x, weight: weight, bias: bias, g, into: y)
            return y
        }
        let (pixels, rows, groupRows) = (g.outputPixels, g.columnRowsPerImage, g.columnRowsPerImage / g.groups)
        let (cog, cin, cout) = (g.outChannelsPerGroup, g.inChannels, g.outChannels)
        for chunk in convChunks(batch: g.batch, floatsPerImage: rows * pixels) {
            // B operand: the chunk's column matrices [images][C_in·kH·kW][P].
            var column: Tensor? = nil
            let bBuffer: Buffer, bOffset: Int
            if g.isPointwise {
                (bBuffer, bOffset) = (buffer(x), chunk.start * cin * pixels)
            } else {
                let col = try empty([chunk.count * rows * pixels])
                try im2col(x, g, chunk: chunk, into: col, rowStride: pixels, imageStride: rows * pixels)
                (bBuffer, bOffset, column) = (buffer(col), 0, col)
            }
            for group in 0..<g.groups {
                try gemmRaw(
                    m: cog, n: pixels, k: groupRows, batch: chunk.count,
                    a: GemmOperand(buffer(weight), offset: group * cog * groupRows, leadingDimension: groupRows),
                    transposeA: false,
                    b: GemmOperand(
                        bBuffer, offset: bOffset + group * groupRows * pixels, leadingDimension: pixels,
                        batchStride: rows * pixels),
                    transposeB: false,
                    c: GemmOperand(
                        buffer(y), offset: (chunk.start * cout + group * cog) * pixels, leadingDimension: pixels,
                        batchStride: cout * pixels),
                    alpha: 1, beta: 0)
            }
            withExtendedLifetime(column) {}  // back to the pool only once the GEMMs reading it are queued
        }
        if let bias {
            try launch(
                "conv.cl", "conv_add_channel_bias", global: [pixels, cout, g.batch],
                [
                    .buffer(buffer(y)), .buffer(buffer(bias)), .index(pixels), .index(cout), .index(g.batch),
                ])
        }
        return y
    }

    /// `db[o] = Σ_{n,i,j} dy[n,o,i,j]`: partial sums per split of the batch, then their sum.
    public func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor {
        let cout = try ConvGeometry.backwardBias(dy: dy.shape)
        let (batch, pixels) = (dy.shape[0], dy.shape[2] * dy.shape[3])
        let db = try empty([cout])
        let split = reductionSplit(batch: batch, outputs: cout)
        let partial = try empty([split.count * cout])
        try launch(
            "conv.cl", "conv_bias_grad_partial", global: [cout, split.count],
            [
                .buffer(buffer(dy)), .buffer(buffer(partial)), .index(split.perSplit), .index(split.count),
                .index(batch), .index(cout), .index(pixels),
            ])
        try sumPartials(partial, splits: split.count, into: db)
        return db
    }

    // MARK: Helpers shared by the convolution files

    /// Consecutive ranges of images whose `floatsPerImage`-sized scratch fits the column budget
    /// (at least one image per chunk).
    func convChunks(batch: Int, floatsPerImage: Int) -> [(start: Int, count: Int)] {
        let perChunk = max(1, min(batch, Self.convColumnBudget / max(floatsPerImage, 1)))
        return stride(from: 0, to: batch, by: perChunk).map { (start: $0, count: min(perChunk, batch - $0)) }
    }

    /// How to split `batch` images for a partial-sum reduction producing `outputs` values (or run
    /// by `outputs` work-items per split): `count` splits of `perSplit` images, about `workItems`
    /// outputs in all (the last split may hold fewer images; one empty split when batch = 0).
    func reductionSplit(batch: Int, outputs: Int, workItems: Int = convReductionWorkItems) -> (count: Int, perSplit: Int) {
        let wanted = max(1, min(batch, (workItems + outputs - 1) / max(outputs, 1)))
        let perSplit = max(1, (batch + wanted - 1) / wanted)
        return (count: max(1, (batch + perSplit - 1) / perSplit), perSplit: perSplit)
    }

    /// `out[e] = Σ_s partial[s·count + e]` for `out.count` outputs.
    func sumPartials(_ partial: Tensor, splits: Int, into out: Tensor) throws {
        try launch(
            "conv.cl", "conv_sum_partials", global: [out.count],
            [
                .buffer(buffer(partial)), .buffer(buffer(out)), .index(out.count), .index(splits),
            ])
    }

    /// `col[nl·imageStride + r·rowStride + pix] = x[chunk.start + nl, c, h, w]` (conv_im2col).
    func im2col(
        _ x: Tensor, _ g: ConvGeometry, chunk: (start: Int, count: Int), into col: Tensor,
        rowStride: Int, imageStride: Int
    ) throws {
        try launch(
            "conv.cl", "conv_im2col", global: [g.columnRowsPerImage, chunk.count],
            [
                .buffer(buffer(x)), .index(chunk.start * g.inChannels * g.inHeight * g.inWidth),
                .index(g.inChannels), .index(g.inHeight), .index(g.inWidth),
            ] + g.kernelWindowArguments + [
                .buffer(buffer(col)), .index(rowStride), .index(imageStride), .index(chunk.count),
            ])
    }
}

extension ConvGeometry {
    /// KH, KW, SH, SW, PH, PW, DH, DW, OH, OW: the trailing arguments of the conv.cl kernels.
    var kernelWindowArguments: [KernelArgument] {
        get throws {
            try [
                kernelH, kernelW, params.strideH, params.strideW, params.padH, params.padW,
                params.dilationH, params.dilationW, outHeight, outWidth,
            ].map { try .index($0) }
        }
    }

    /// A 1×1 kernel with stride 1 and no padding: the column matrix of an image is the image.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && params.strideH == 1 && params.strideW == 1 && params.padH == 0 && params.padW == 0
    }
}
