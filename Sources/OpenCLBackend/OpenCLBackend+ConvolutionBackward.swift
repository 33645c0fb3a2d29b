import OpenCLRuntime
import TensorCore

// Convolution gradients on the device (kernels: Kernels/conv.cl, GEMMs: gemmRaw).
//   backward input   depthwise → conv2d_depthwise_backward_input_direct; stride 1 where
//                    `convolutionUsesDirect` → the direct convolution of dy with the flipped
//                    kernel (OpenCLBackend+ConvolutionDirect.swift: conv2d_rows on dy itself
//                    where the row fits, else conv2d_direct_regblock on a padded copy); stride 2 with dilation 1
//                    where `convolutionUsesDirect` → conv2d_direct_input_grad_s2, the even and
//                    odd columns of each dx row from dy rows directly
//                    (OpenCLBackend+ConvolutionStrided.swift);
//                    otherwise per chunk of images and per group a batched GEMM
//                    dcol[n]_g = W_gᵀ · dy[n]_g (W_g shared), then the col2im gather into dx
//                    (for a pointwise kernel the GEMM writes dx directly).
//   backward weight  depthwise → depthwise_weight_grad_rows (conv_rows.cl) or
//                    depthwise.cl's single-item or tiled kernel on CPU devices, else conv.cl's
//                    per-split partial sums, then their sum; where
//                    `convolutionUsesDirect` → conv2d_direct_weight_grad_partial, likewise
//                    (OpenCLBackend+ConvolutionDirect.swift);
//                    otherwise per chunk of images: the chunk's columns side by side,
//                    colᵀ [C_in·kH·kW, images·P] (im2col with imageStride P, or a plain
//                    channel-major permute for a pointwise kernel), dy permuted to
//                    [C_out, images·P], and per group dw_gᵀ += col_g · dy_gᵀ (β = 1 after the
//                    first chunk, so the whole batch accumulates in one GEMM per chunk); finally
//                    dwᵀ is transposed back to [C_out, C_in/groups, kH, kW].
extension OpenCLBackend {
    /// `∂L/∂x` (see `Backend.conv2dBackwardInput`).
    public func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.backwardInput(dy: dy.shape, weight: weight.shape, inputShape: inputShape, params: params)
        let dx = try empty(g.inputShape)
        let geometryArguments: [KernelArgument] = try [
            .index(g.inChannels), .index(g.inHeight), .index(g.inWidth),
        ]
        if usesDepthwiseKernels(g), try depthwiseBackwardInput(dy, weight: weight, g, into: dx) { return dx }
        if g.isDepthwise {
            try launch(
                "conv.cl", "conv2d_depthwise_backward_input_direct", global: [g.inWidth, g.inHeight, g.batch * g.inChannels],
                [
                    .buffer(buffer(dy)), .buffer(buffer(weight)), .buffer(buffer(dx)), .index(g.batch),
                ] + geometryArguments + [.index(g.outChannels)] + g.kernelWindowArguments)
            return dx
        }
        if convolutionUsesDirect(.inputGradient, g) {
            try conv2dBackwardInputDirect(dy, weight: weight, g, into: dx)
            return dx
        }
        let (pixels, rows, groupRows) = (g.outputPixels, g.columnRowsPerImage, g.columnRowsPerImage / g.groups)
        let (cog, cout, inPixels) = (g.outChannelsPerGroup, g.outChannels, g.inHeight * g.inWidth)
        for chunk in convChunks(batch: g.batch, floatsPerImage: rows * pixels) {
            // C operand: the chunk's column-gradient matrices [images][C_in·kH·kW][P], or dx itself.
            let dcol: Tensor? = try g.isPointwise ? nil : empty([chunk.count * rows * pixels])
            let (cBuffer, cOffset) = dcol.map { (buffer($0), 0) } ?? (buffer(dx), chunk.start * g.inChannels * inPixels)
            for group in 0..<g.groups {
                try gemmRaw(
                    m: groupRows, n: pixels, k: cog, batch: chunk.count,
                    a: GemmOperand(buffer(weight), offset: group * cog * groupRows, leadingDimension: groupRows),
                    transposeA: true,
                    b: GemmOperand(
                        buffer(dy), offset: (chunk.start * cout + group * cog) * pixels, leadingDimension: pixels,
                        batchStride: cout * pixels),
                    transposeB: false,
                    c: GemmOperand(
                        cBuffer, offset: cOffset + group * groupRows * pixels, leadingDimension: pixels,
                        batchStride: rows * pixels),
                    alpha: 1, beta: 0)
            }
            if let dcol {
                try launch(
                    "conv.cl", "conv_col2im_gather", global: [g.inHeight, chunk.count * g.inChannels],
                    [
                        .buffer(buffer(dcol)), .index(pixels), .index(rows * pixels),
                    ] + geometryArguments + g.kernelWindowArguments + [
                        .buffer(buffer(dx)), .index(chunk.start * g.inChannels * inPixels), .index(chunk.count),
                    ])
            }
            withExtendedLifetime(dcol) {}  // back to the pool only once the kernels using it are queued
        }
        return dx
    }

    /// `∂L/∂w` (see `Backend.conv2dBackwardWeight`).
    public func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.backwardWeight(dy: dy.shape, input: x.shape, weightShape: weightShape, params: params)
        let dw = try empty(g.weightShape)
        if usesDepthwiseKernels(g), try depthwiseBackwardWeight(dy, input: x, g, into: dw) { return dw }
        if g.isDepthwise {
            let taps = g.kernelH * g.kernelW
            let split = reductionSplit(batch: g.batch, outputs: g.outChannels * taps)
            let partial = try empty([split.count * g.outChannels * taps])
            try launch(
                "conv.cl", "conv2d_depthwise_backward_weight_partial", global: [taps, g.outChannels, split.count],
                [
                    .buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(partial)), .index(split.perSplit), .index(split.count),
                    .index(g.batch), .index(g.inChannels), .index(g.inHeight), .index(g.inWidth), .index(g.outChannels),
                ] + g.kernelWindowArguments)
            try sumPartials(partial, splits: split.count, into: dw)
            return dw
        }
        if convolutionUsesDirect(.weightGradient, g) {
            try conv2dBackwardWeightDirect(dy, input: x, g, into: dw)
            return dw
        }
        guard g.batch > 0 else {
            try fill(dw, with: 0)
            return dw
        }
        let (pixels, rows, groupRows) = (g.outputPixels, g.columnRowsPerImage, g.columnRowsPerImage / g.groups)
        let (cog, cout) = (g.outChannelsPerGroup, g.outChannels)
        let transposed = try empty([rows * cog])  // per group dw_gᵀ: [C_in/groups·kH·kW, C_out/groups]
        for (index, chunk) in convChunks(batch: g.batch, floatsPerImage: (rows + cout) * pixels).enumerated() {
            let width = chunk.count * pixels  // GEMM depth: every pixel of every image of the chunk
            let columns = try empty([rows * width])
            if g.isPointwise {
                try channelMajor(x, channels: g.inChannels, pixels: pixels, chunk: chunk, into: columns)
            } else {
                try im2col(x, g, chunk: chunk, into: columns, rowStride: width, imageStride: pixels)
            }
            let gradients = try empty([cout * width])
            try channelMajor(dy, channels: cout, pixels: pixels, chunk: chunk, into: gradients)
            for group in 0..<g.groups {
                try gemmRaw(
                    m: groupRows, n: cog, k: width,
                    a: GemmOperand(buffer(columns), offset: group * groupRows * width, leadingDimension: width),
                    transposeA: false,
                    b: GemmOperand(buffer(gradients), offset: group * cog * width, leadingDimension: width),
                    transposeB: true,
                    c: GemmOperand(buffer(transposed), offset: group * groupRows * cog, leadingDimension: cog),
                    alpha: 1, beta: index == 0 ? 0 : 1)
            }
            withExtendedLifetime((columns, gradients)) {}  // back to the pool only once the GEMMs are queued
        }
        try launch(
            "conv.cl", "conv_weight_grad_untranspose", global: [groupRows, cog, g.groups],
            [
                .buffer(buffer(transposed)), .buffer(buffer(dw)), .index(groupRows), .index(cog), .index(g.groups),
            ])
        return dw
    }

    /// `dst[ch, nl·P + pix] = src[chunk.start + nl, ch, pix]` (conv_nchw_to_cnhw): a chunk of
    /// `[N, channels, P]` laid out channel-major with its images side by side.
    private func channelMajor(
        _ source: Tensor, channels: Int, pixels: Int, chunk: (start: Int, count: Int), into destination: Tensor
    ) throws {
        try launch(
            "conv.cl", "conv_nchw_to_cnhw", global: [pixels, channels, chunk.count],
            [
                .buffer(buffer(source)), .index(chunk.start * channels * pixels), .index(channels), .index(pixels),
                .buffer(buffer(destination)), .index(chunk.count),
            ])
    }
}
