import OpenCLRuntime
import TensorCore

// Depthwise convolution (C_out = C_in = groups, one filter per channel) on the device, compiled
// per window (kernel size, stride, padding, dilation) so the tap loops unroll: on CPU devices
// Kernels/conv_rows.cl, rows read straight into vector registers, where the window fits
// (`DepthwisePlan`), else Kernels/depthwise.cl, each input plane (or band of rows) staged
// zero-padded in a __local tile.
// Channel multipliers > 1 keep the generic kernels of conv.cl, and so does the weight gradient
// where the plan says so (GPUs: `DepthwisePlan.tiledWeightGradient`).
extension OpenCLBackend {
    /// Whether `g` is a plain depthwise convolution (one output channel per input channel).
    func usesDepthwiseKernels(_ g: ConvGeometry) -> Bool { g.isDepthwise && g.outChannels == g.inChannels }

    /// The -D set of one window (`flip`: taps reversed, for the input gradient).
    /// With `flip` (the input gradient) the correlation has stride 1 and the staged dy is
    /// upsampled by the convolution's strides (`DW_UH`, `DW_UW`).
    func depthwiseDefines(_ g: ConvGeometry, flip: Bool = false, padH: Int? = nil, padW: Int? = nil) -> [String: String] {
        [
            "DW_KH": "\(g.kernelH)", "DW_KW": "\(g.kernelW)", "DW_SH": "\(flip ? 1 : g.params.strideH)",
            "DW_SW": "\(flip ? 1 : g.params.strideW)", "DW_PH": "\(padH ?? g.params.padH)", "DW_PW": "\(padW ?? g.params.padW)",
            "DW_DH": "\(g.params.dilationH)", "DW_DW": "\(g.params.dilationW)", "DW_FLIP": flip ? "1" : "0",
            "DW_PLANES": "\(launchPlan.depthwise.planesPerGroup)", "DW_ROWS": "\(launchPlan.depthwise.rowsPerStep)",
            "DW_UH": "\(flip ? g.params.strideH : 1)", "DW_UW": "\(flip ? g.params.strideW : 1)",
        ]
    }

    /// The staging tile of a correlation producing `outHeight × outWidth` with stride
    /// (`strideH`, `strideW`) and window span (`spanH`, `spanW`) = dilation·(k − 1) + 1:
    /// `width` = OW8·SW + span − 1 floats per row (OW8 = OW rounded up to 8, so the last column
    /// vector reads zeros inside the row), `bandRows` output rows per band (all of them when the
    /// plane fits `DepthwisePlan.tileBytes`, else as many as fit, at least one). The tile holds
    /// the rows of `bandRows` rounded up to `rowBlock` (the forward kernel's DW_ROWS), so the
    /// spare rows of the last block read inside it.
    struct DepthwiseTile {
        let width: Int, bandRows: Int, bands: Int, bytes: Int
        init(outHeight: Int, outWidth: Int, strideH: Int, strideW: Int, spanH: Int, spanW: Int, rowBlock: Int, budgetBytes: Int) {
            width = (outWidth + 7) / 8 * 8 * strideW + spanW - 1
            let rowsFitting = max(budgetBytes / (4 * width), spanH)
            bandRows = max(1, min(outHeight, (rowsFitting - spanH) / strideH + 1))
            bands = max(1, (outHeight + bandRows - 1) / bandRows)
            let blockedRows = (bandRows + rowBlock - 1) / rowBlock * rowBlock
            bytes = 4 * width * ((blockedRows - 1) * strideH + spanH)
        }
    }

    func depthwiseTile(_ g: ConvGeometry, outHeight: Int, outWidth: Int, strided: Bool) -> DepthwiseTile {
        DepthwiseTile(
            outHeight: outHeight, outWidth: outWidth, strideH: strided ? g.params.strideH : 1, strideW: strided ? g.params.strideW : 1,
            spanH: g.params.dilationH * (g.kernelH - 1) + 1, spanW: g.params.dilationW * (g.kernelW - 1) + 1,
            rowBlock: launchPlan.depthwise.rowsPerStep, budgetBytes: launchPlan.depthwise.tileBytes)
    }

    /// The correlation of depthwise_forward_rows (conv_rows.cl) where the plan gives it lanes
    /// for this window (`rowCorrelationLanes`), else of depthwise_forward_tiled, over `N·C` planes
    /// of `source` (`inH × inW`) into `destination` (`outH × outW`); `defines` hold the window,
    /// `strideW`, `padW` and `upsampled` (whether the staging upsamples the source: a strided
    /// input gradient) the correlation's own column stride and padding.
    private func depthwiseCorrelate(
        _ source: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, defines: [String: String], strideW: Int, padW: Int,
        upsampled: Bool, tile: DepthwiseTile, batch: Int, channels: Int, inH: Int, inW: Int, outH: Int, outW: Int,
        into destination: Tensor
    ) throws {
        let plan = launchPlan.depthwise
        let groups = (batch * channels + plan.planesPerGroup - 1) / plan.planesPerGroup
        guard groups > 0 && outH > 0 && outW > 0 else { return }
        let shifts = Self.rowShifts(kernel: g.kernelW, stride: strideW, pad: padW, dilation: g.params.dilationW)
        if let lanes = plan.rowCorrelationLanes(strideW: strideW, outWidth: outW, rowShifts: shifts, upsampled: upsampled) {
            var rowDefines = defines
            rowDefines["DW_VW"] = "\(lanes)"
            rowDefines["DW_IW"] = "\(inW)"
            rowDefines["DW_OW"] = "\(outW)"
            try launch(
                "conv_rows.cl", "depthwise_forward_rows", defines: rowDefines, global: [batch * channels], local: nil,
                [
                    .buffer(buffer(source)), .buffer(buffer(weight)), .buffer(buffer(bias ?? weight)), .int(bias == nil ? 0 : 1),
                    .buffer(buffer(destination)), .index(batch), .index(channels), .index(inH), .index(outH),
                ])
            return
        }
        try launch(
            "depthwise.cl", "depthwise_forward_tiled", defines: defines,
            global: [plan.localSize, groups, tile.bands], local: [plan.localSize, 1, 1],
            [
                .buffer(buffer(source)), .buffer(buffer(weight)), .buffer(buffer(bias ?? weight)), .int(bias == nil ? 0 : 1),
                .buffer(buffer(destination)), .index(batch), .index(channels), .index(inH), .index(inW), .index(outH), .index(outW),
                .index(tile.bandRows), .index(tile.width), .local(tile.bytes),
            ])
    }

    /// The lane shifts ⌊(q·dilation − pad) / stride⌋ of taps q = 0 and `kernel` − 1 in
    /// conv_rows.cl (each tap reads its column phase (q·dilation − pad) mod stride shifted
    /// by that many lanes); the shift grows with q, so these bound every tap's.
    static func rowShifts(kernel: Int, stride: Int, pad: Int, dilation: Int) -> ClosedRange<Int> {
        func shift(_ q: Int) -> Int {
            let d = q * dilation - pad, s = max(stride, 1)
            return d >= 0 ? d / s : -((-d + s - 1) / s)
        }
        return shift(0)...shift(max(kernel, 1) - 1)
    }

    func depthwiseForward(_ x: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, into y: Tensor) throws {
        try depthwiseCorrelate(
            x, weight: weight, bias: bias, g, defines: depthwiseDefines(g), strideW: g.params.strideW, padW: g.params.padW,
            upsampled: false, tile: depthwiseTile(g, outHeight: g.outHeight, outWidth: g.outWidth, strided: true),
            batch: g.batch, channels: g.inChannels, inH: g.inHeight, inW: g.inWidth, outH: g.outHeight, outW: g.outWidth, into: y)
    }

    /// `dx` is the stride-1 correlation, with the flipped taps, of `dy` upsampled by the strides
    /// (S − 1 zeros between values; nothing to upsample at stride 1) and padded by `(K − 1)·D − P`:
    /// `dx[h] = Σ_p dy↑[h + P − p·D]·w[p]`. Returns false (nothing launched) where `P > (K − 1)·D`.
    func depthwiseBackwardInput(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor) throws -> Bool {
        if g.params.strideW == 2 {
            try depthwiseBackwardInputByPhases(dy, weight: weight, g, into: dx)
            return true
        }
        let padH = (g.kernelH - 1) * g.params.dilationH - g.params.padH, padW = (g.kernelW - 1) * g.params.dilationW - g.params.padW
        guard padH >= 0 && padW >= 0 else { return false }
        try depthwiseCorrelate(
            dy, weight: weight, bias: nil, g, defines: depthwiseDefines(g, flip: true, padH: padH, padW: padW), strideW: 1,
            padW: padW, upsampled: g.params.strideH > 1 || g.params.strideW > 1,
            tile: depthwiseTile(g, outHeight: g.inHeight, outWidth: g.inWidth, strided: false), batch: g.batch, channels: g.inChannels,
            inH: g.outHeight, inW: g.outWidth, outH: g.inHeight, outW: g.inWidth, into: dx)
        return true
    }

    /// The staging tile of depthwise_backward_input_strided: `width` = LP + W16/2 + ⌈PW/2⌉ floats per
    /// dy row (LP = max(0, ⌈((KW − 1)·DW − PW)/2⌉), W16 = W rounded up to 16), `bandRows` input rows
    /// per band (all when the plan's tile budget holds their dy rows, at least one), whose dy rows
    /// number at most (BH − 1 + (KH − 1)·DH)/SH + 2.
    struct PhaseTile {
        let width: Int, bandRows: Int, bands: Int, bytes: Int
        init(_ g: ConvGeometry, budgetBytes: Int) {
            let reach = (g.kernelW - 1) * g.params.dilationW - g.params.padW
            let leftPad = max(0, (reach + 1) / 2)
            width = leftPad + (g.inWidth + 15) / 16 * 8 + (g.params.padW + 1) / 2
            let spanH = (g.kernelH - 1) * g.params.dilationH, strideH = g.params.strideH
            func stagedRows(_ band: Int) -> Int { (band - 1 + spanH) / strideH + 2 }
            var band = max(1, g.inHeight)
            while band > 1 && 4 * width * stagedRows(band) > budgetBytes { band = (band + 1) / 2 }
            bandRows = band
            bands = (g.inHeight + band - 1) / band
            bytes = 4 * width * stagedRows(band)
        }
    }

    /// `dx[h, v] = Σ_{p,q} dy[(h + PH − p·DH)/SH, (v + PW − q·DW)/2]·w[p, q]` over the taps that
    /// divide exactly, for column stride 2: depthwise_backward_input_strided computes the even and
    /// the odd columns as two contiguous phases of dy, so no multiply meets an upsampling zero.
    func depthwiseBackwardInputByPhases(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor) throws {
        let plan = launchPlan.depthwise
        let planes = g.batch * g.inChannels, groups = (planes + plan.planesPerGroup - 1) / plan.planesPerGroup
        guard groups > 0 && g.inHeight > 0 && g.inWidth > 0 else { return }
        let tile = PhaseTile(g, budgetBytes: plan.tileBytes)
        try launch(
            "depthwise.cl", "depthwise_backward_input_strided", defines: depthwiseDefines(g),
            global: [plan.localSize, groups, tile.bands], local: [plan.localSize, 1, 1],
            [
                .buffer(buffer(dy)), .buffer(buffer(weight)), .buffer(buffer(dx)), .index(g.batch), .index(g.inChannels),
                .index(g.inHeight), .index(g.inWidth), .index(g.outHeight), .index(g.outWidth), .index(tile.bandRows),
                .index(tile.width), .local(tile.bytes),
            ])
    }

    /// The lanes conv_rows.cl's weight gradient runs `g` with, or nil where the plan keeps
    /// depthwise.cl's kernels (`DepthwisePlan.rowWeightGradientLanes`).
    func rowWeightGradientLanes(_ g: ConvGeometry) -> Int? {
        launchPlan.depthwise.rowWeightGradientLanes(
            taps: g.kernelH * g.kernelW, strideW: g.params.strideW, outWidth: g.outWidth,
            rowShifts: Self.rowShifts(kernel: g.kernelW, stride: g.params.strideW, pad: g.params.padW, dilation: g.params.dilationW))
    }

    /// `dw[c, p, q] = Σ_{n,i,j} dy[n, c, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]`: per
    /// (channel, split of the batch) one work-item of conv_rows.cl with every tap's sum where
    /// `rowWeightGradientLanes` allows, else one group of depthwise.cl — a single work-item with
    /// every tap's sum where the plan's registers hold them, else KH work-items, one per tap row —
    /// then the splits' sum. Returns false (nothing launched) where the plan keeps conv.cl's
    /// per-tap kernel.
    func depthwiseBackwardWeight(_ dy: Tensor, input x: Tensor, _ g: ConvGeometry, into dw: Tensor) throws -> Bool {
        let plan = launchPlan.depthwise
        guard plan.tiledWeightGradient && g.batch > 0 && g.outHeight > 0 && g.outWidth > 0 else { return false }
        let wanted = max(1, min(g.batch, (plan.minimumWeightGradientGroups + g.inChannels - 1) / g.inChannels))
        let perSplit = (g.batch + wanted - 1) / wanted, splits = (g.batch + perSplit - 1) / perSplit
        let partial = try splits == 1 ? dw : empty([splits * g.inChannels * g.kernelH * g.kernelW])
        if let lanes = rowWeightGradientLanes(g) {
            var defines = depthwiseDefines(g)
            defines["DW_VW"] = "\(lanes)"
            defines["DW_IW"] = "\(g.inWidth)"
            defines["DW_OW"] = "\(g.outWidth)"
            try launch(
                "conv_rows.cl", "depthwise_weight_grad_rows", defines: defines, global: [1, g.inChannels, splits],
                local: [1, 1, 1],
                [
                    .buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(partial)), .index(perSplit), .index(splits),
                    .index(g.batch), .index(g.inChannels), .index(g.inHeight), .index(g.outHeight),
                ])
            if splits > 1 { try sumPartials(partial, splits: splits, into: dw) }
            return true
        }
        let single = plan.singleItemWeightGradient(taps: g.kernelH * g.kernelW)
        let tile = depthwiseTile(g, outHeight: g.outHeight, outWidth: g.outWidth, strided: true)
        try launch(
            "depthwise.cl", single ? "depthwise_weight_grad_single" : "depthwise_weight_grad_tiled", defines: depthwiseDefines(g),
            global: [single ? 1 : g.kernelH, g.inChannels, splits], local: [single ? 1 : g.kernelH, 1, 1],
            [
                .buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(partial)), .index(perSplit), .index(splits), .index(g.batch),
                .index(g.inChannels), .index(g.inHeight), .index(g.inWidth), .index(g.outHeight), .index(g.outWidth),
                .index(tile.bandRows), .index(tile.width), .local(tile.bytes),
            ])
        if splits > 1 { try sumPartials(partial, splits: splits, into: dw) }
        return true
    }
}
