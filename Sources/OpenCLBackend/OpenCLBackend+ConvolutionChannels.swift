import OpenCLRuntime
import TensorCore

extension OpenCLBackend {
    /// The weight gradient of `g` by conv_channels.cl (`LaunchPlan.channelWeightGradient` gives
    /// `inputBlock`, the CIB): dy transposed to channels-last with the channels padded to 16
    /// (`conv_channels_last`), then `conv2d_weight_grad_channels` per split of the batch (in
    /// one-item work-groups, `LaunchPlan.channelWeightGradientGroup`), then one
    /// sum over the splits (none with one split: the kernel writes dw itself). Groups 1 only.
    ///
    ///     dw[o, c, p, q] = Σ_{n, i, j} dy[n, o, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]
    func conv2dBackwardWeightChannels(_ dy: Tensor, input x: Tensor, _ g: ConvGeometry, into dw: Tensor, inputBlock: Int) throws {
        precondition(g.groups == 1, "conv2d_weight_grad_channels takes dense convolutions only")
        guard g.batch > 0 else { return try fill(dw, with: 0) }
        let p = g.params
        let paddedOut = (g.outChannels + 15) / 16 * 16
        let positions = g.outputPixels
        let itemsPerSplit = (g.inChannels + inputBlock - 1) / inputBlock * (paddedOut / 16) * g.kernelH
        let (splits, perSplit) = reductionSplit(
            batch: g.batch, outputs: itemsPerSplit, workItems: launchPlan.channelWeightGradientItems)
        let transposed = try empty([g.batch * positions * paddedOut])
        try launch(
            "conv_channels.cl", "conv_channels_last", global: [positions, paddedOut / 16, g.batch],
            [.buffer(buffer(dy)), .buffer(buffer(transposed)), .index(g.outChannels), .index(positions)])
        let partial = splits == 1 ? dw : try empty([splits * dw.count])
        let defines = [
            "CIB": inputBlock, "CW_KH": g.kernelH, "CW_KW": g.kernelW, "CW_SH": p.strideH, "CW_SW": p.strideW,
            "CW_PH": p.padH, "CW_PW": p.padW, "CW_DH": p.dilationH, "CW_DW": p.dilationW,
        ].mapValues { "\($0)" }
        try launch(
            "conv_channels.cl", "conv2d_weight_grad_channels", defines: defines,
            global: [(g.inChannels + inputBlock - 1) / inputBlock, paddedOut / 16 * g.kernelH, splits],
            local: launchPlan.channelWeightGradientGroup,
            [
                .buffer(buffer(transposed)), .buffer(buffer(x)), .buffer(buffer(partial)), .index(perSplit), .index(splits),
                .index(g.batch), .index(g.inChannels), .index(g.outChannels), .index(g.inHeight), .index(g.inWidth),
                .index(g.outHeight), .index(g.outWidth),
            ])
        withExtendedLifetime(transposed) {}
        if splits > 1 { try sumPartials(partial, splits: splits, into: dw) }
    }

    /// `convDirect` by conv_channels.cl's `conv2d_channels` on the unpadded `source` (groups 1):
    /// one work-item per output row and `vectors` × 16 output channels (balanced, so the blocks
    /// of 16 split evenly over the work-items), input and output widths compiled in.
    ///
    ///     y[n, o, i, j] = bias[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]
    func convChannels(
        _ source: Tensor, batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
        kernel: (h: Int, w: Int), stride: (h: Int, w: Int), pad: (h: Int, w: Int), dilation: (h: Int, w: Int),
        output outSize: (h: Int, w: Int), weights: Tensor, flip: Bool, bias: Tensor?, into output: Tensor, vectors chosen: Int
    ) throws {
        let blocks = (outChannels + 15) / 16
        let vectors = Self.balancedChannelBlock(chosen, channels: blocks)
        let (prepared, outPadded) = try directWeights(
            weights, groups: 1, inPerGroup: inChannels, outPerGroup: outChannels, kernel: kernel, mode: flip ? 1 : 0,
            block: 16 * vectors)
        let defines = [
            "OCV": vectors, "CW_IW": width, "CW_OW": outSize.w, "CW_KH": kernel.h, "CW_KW": kernel.w, "CW_SH": stride.h,
            "CW_SW": stride.w, "CW_PH": pad.h, "CW_PW": pad.w, "CW_DH": dilation.h, "CW_DW": dilation.w,
        ].mapValues { "\($0)" }
        try launch(
            "conv_channels.cl", "conv2d_channels", defines: defines, global: [outSize.h, outPadded / (16 * vectors), batch],
            [
                .buffer(buffer(source)), .buffer(buffer(prepared)), .buffer(buffer(bias ?? prepared)), .int(bias == nil ? 0 : 1),
                .buffer(buffer(output)), .index(inChannels), .index(outChannels), .index(outPadded), .index(height),
                .index(outSize.h),
            ])
        withExtendedLifetime(prepared) {}
    }
}
