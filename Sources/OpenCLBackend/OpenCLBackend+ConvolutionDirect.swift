import Foundation
import OpenCLRuntime
import TensorCore

/// How the non-depthwise convolution passes run on the device.
public enum ConvolutionAlgorithm: String, Codable, Sendable, CaseIterable {
    /// The kernels of Kernels/conv_direct.cl on a zero-padded copy of the input, no column
    /// matrix: the forward pass, the weight gradient, and the input gradient of stride-1
    /// convolutions (the forward pass and that input gradient by Kernels/conv_rows.cl's
    /// `conv2d_rows` on the unpadded input where `LaunchPlan.denseRowChannels` fits the row, by
    /// Kernels/conv_channels.cl's `conv2d_channels` where `LaunchPlan.channelConvolution` does);
    /// Kernels/conv_direct_strided.cl (Kernels/conv_channels_strided.cl for dense ones on AVX-512
    /// CPU devices) for the input gradient of stride-2 (dilation 1) ones.
    /// Other strided input gradients always use GEMM + col2im.
    case direct
    /// im2col / col2im around the GEMMs of `gemmRaw` for every pass.
    case gemm
}

/// The three passes of a convolution, for choosing an algorithm per pass.
public enum ConvolutionPass: String, Codable, Sendable, CaseIterable {
    case forward
    case inputGradient = "input-gradient"
    case weightGradient = "weight-gradient"
}

/// The shape classes the algorithm choice distinguishes: output planes narrower than 16 columns,
/// where the direct kernels' rows are short, and the rest.
public enum ConvolutionShapeClass: String, Codable, Sendable, CaseIterable {
    case narrow, wide

    /// The class of a convolution whose output is `outWidth` columns wide.
    public init(outWidth: Int) { self = outWidth >= 16 ? .wide : .narrow }
}

extension OpenCLBackend {
    /// `DIFFNAS_CONV=direct|gemm` forces one algorithm for the whole process (for comparing them
    /// with `diffnas bench --suite conv`); unset or anything else: the automatic choice.
    static let environmentConvolutionAlgorithm: ConvolutionAlgorithm? =
        ProcessInfo.processInfo.environment["DIFFNAS_CONV"].flatMap(ConvolutionAlgorithm.init(rawValue:))

    /// Whether `pass` of `g` runs the direct kernels. The input gradient can only when the
    /// convolution has stride 1 and padding ≤ dilation·(k − 1). Otherwise, in order: the override
    /// (`convolutionAlgorithmOverride`, then `DIFFNAS_CONV`); the tuned choice for the pass and
    /// shape class (`activeTunables.convolutionAlgorithm`, measured by `KernelTuner`); else the
    /// static rule `defaultConvolutionAlgorithm`.
    func convolutionUsesDirect(_ pass: ConvolutionPass, _ g: ConvGeometry) -> Bool {
        if pass == .inputGradient && !directInputGradientApplies(g) { return false }
        let shape = ConvolutionShapeClass(outWidth: g.outWidth)
        let algorithm =
            convolutionAlgorithmOverride ?? Self.environmentConvolutionAlgorithm
            ?? activeTunables.convolutionAlgorithm(pass, shape)
            ?? defaultConvolutionAlgorithm(pass, shape, kernelW: g.kernelW, groups: g.groups)
        return algorithm == .direct
    }

    /// The static rule used without a tuned choice: GEMM where the GEMM is the local-memory
    /// kernel (GPUs); where it is register-blocked (CPUs), direct for the forward pass and input
    /// gradient (the column matrices cost as much memory traffic as the GEMMs there: measured
    /// ~2–3× faster at CIFAR ResNet shapes), and for the weight gradient of wide outputs. On
    /// narrow outputs the weight gradient is direct only where conv_channels.cl's kernel runs
    /// (`LaunchPlan.channelWeightGradient`'s AVX-512 CPU devices): `diffnas bench --suite conv`,
    /// `DIFFNAS_TUNE=off`, three runs each (PoCL, Zen 4, batch 128), took 0.64–0.71 of GEMM's
    /// time at 32×16² → 64 stride 2 and 64×8² → 64; elsewhere conv_direct.cl's short 8-wide
    /// rows measured slower than GEMM. `kernelW` and `groups` (default a dense 3-wide window) say
    /// whether the channel kernel takes the convolution.
    public func defaultConvolutionAlgorithm(
        _ pass: ConvolutionPass, _ shape: ConvolutionShapeClass, kernelW: Int = 3, groups: Int = 1
    ) -> ConvolutionAlgorithm {
        guard gemmVariant == .registerBlocked else { return .gemm }
        if pass == .weightGradient && shape == .narrow {
            let channels = denseRowKernelsOverride != false && launchPlan.channelWeightGradient(kernelW: kernelW, groups: groups) != nil
            return channels ? .direct : .gemm
        }
        return .direct
    }

    /// `conv_direct_weights`' rearranged `weights` for `block`-channel work-items: for each group,
    /// input channel and tap, the output channels contiguous, zero-padded to a multiple of `block`
    /// (conv_direct.cl's modes: 0 the forward kernel; 1 flipped with the channel roles swapped;
    /// 2 the roles swapped, not flipped). `inPerGroup` and `outPerGroup` are the channels as the
    /// kernel reading the result sees them.
    func directWeights(
        _ weights: Tensor, groups: Int, inPerGroup: Int, outPerGroup: Int, kernel: (h: Int, w: Int), mode: Int, block: Int
    ) throws -> (prepared: Tensor, outPadded: Int) {
        let outPadded = (outPerGroup + block - 1) / block * block
        let taps = kernel.h * kernel.w
        let prepared = try empty([groups * inPerGroup * taps * outPadded])
        try launch(
            "conv_direct.cl", "conv_direct_weights", global: [outPadded, inPerGroup * taps, groups],
            [
                .buffer(buffer(weights)), .buffer(buffer(prepared)), .index(groups), .index(inPerGroup),
                .index(outPerGroup), .index(outPadded), .index(kernel.h), .index(kernel.w), .int(Int32(mode)),
            ])
        return (prepared, outPadded)
    }

    /// conv_rows.cl's defines for a dense row kernel: the window (DW_KH … DW_DW), the lanes, the
    /// compile-time input and output widths and the output channels per work-item (OCB).
    static func rowWindowDefines(
        kernel: (h: Int, w: Int), stride: (h: Int, w: Int), pad: (h: Int, w: Int), dilation: (h: Int, w: Int),
        lanes: Int, inWidth: Int, outWidth: Int, block: Int
    ) -> [String: String] {
        [
            "DW_KH": kernel.h, "DW_KW": kernel.w, "DW_SH": stride.h, "DW_SW": stride.w, "DW_PH": pad.h, "DW_PW": pad.w,
            "DW_DH": dilation.h, "DW_DW": dilation.w, "DW_VW": lanes, "DW_IW": inWidth, "DW_OW": outWidth, "OCB": block,
        ].mapValues { "\($0)" }
    }

    /// `convDirect` by conv_rows.cl's `conv2d_rows` on the unpadded `source`: one work-item per
    /// output row and `block` output channels (`LaunchPlan.denseRowChannels`), 16 lanes per vector.
    func convRows(
        _ source: Tensor, batch: Int, groups: Int, inPerGroup: Int, outPerGroup: Int, height: Int, width: Int,
        kernel: (h: Int, w: Int), stride: (h: Int, w: Int), pad: (h: Int, w: Int), dilation: (h: Int, w: Int),
        output outSize: (h: Int, w: Int), weights: Tensor, flip: Bool, bias: Tensor?, into output: Tensor, block chosen: Int
    ) throws {
        let block = Self.balancedChannelBlock(chosen, channels: outPerGroup)
        let (prepared, outPadded) = try directWeights(
            weights, groups: groups, inPerGroup: inPerGroup, outPerGroup: outPerGroup, kernel: kernel, mode: flip ? 1 : 0, block: block)
        let defines = Self.rowWindowDefines(
            kernel: kernel, stride: stride, pad: pad, dilation: dilation, lanes: 16, inWidth: width, outWidth: outSize.w, block: block)
        try launch(
            "conv_rows.cl", "conv2d_rows", defines: defines, global: [outSize.h, batch * groups * (outPadded / block)],
            [
                .buffer(buffer(source)), .buffer(buffer(prepared)), .buffer(buffer(bias ?? prepared)), .int(bias == nil ? 0 : 1),
                .buffer(buffer(output)), .index(batch), .index(groups), .index(inPerGroup), .index(outPerGroup),
                .index(outPadded), .index(height), .index(outSize.h),
            ])
        withExtendedLifetime(prepared) {}
    }

    /// One direct convolution: `output = conv(source, weights) (+ bias)` where `source` is
    /// `[N, G·CI, H, W]` and `output` `[N, G·CO, OH, OW]`. `flip = false`: `weights` is the forward
    /// kernel `[G·CO, CI, KH, KW]`; `flip = true`: it is `[G·CI, CO, KH, KW]`, used flipped with
    /// its channel roles swapped (the input gradient of a stride-1 convolution). A work-item takes
    /// VECS vectors of 16 output pixels: each 16 columns of one row when OW ≥ 16, else 8 columns
    /// of two rows (`directRows`). `block` (the kernel's OCB and VECS; default the tuned
    /// `directBlock(for:)` of the output's shape class) lets `KernelTuner` run its candidates.
    /// Without one, dense rows that `LaunchPlan.channelConvolution` takes (8 outputs or fewer)
    /// run `convChannels`, and rows that `LaunchPlan.denseRowChannels` fits run `convRows`: no
    /// padded copy, the unpadded input read straight into registers.
    func convDirect(
        _ source: Tensor, batch: Int, groups: Int, inPerGroup: Int, outPerGroup: Int, height: Int, width: Int,
        kernel: (h: Int, w: Int), stride: (h: Int, w: Int), pad: (h: Int, w: Int), dilation: (h: Int, w: Int),
        output outSize: (h: Int, w: Int), weights: Tensor, flip: Bool, bias: Tensor?, into output: Tensor,
        block chosen: KernelTunables.DirectBlock? = nil
    ) throws {
        if chosen == nil, denseRowKernelsOverride != false,
            let vectors = launchPlan.channelConvolution(outWidth: outSize.w, taps: kernel.h * kernel.w, groups: groups)
        {
            try convChannels(
                source, batch: batch, inChannels: inPerGroup, outChannels: outPerGroup, height: height, width: width,
                kernel: kernel, stride: stride, pad: pad, dilation: dilation, output: outSize, weights: weights, flip: flip,
                bias: bias, into: output, vectors: vectors)
            return
        }
        if chosen == nil, denseRowKernelsOverride != false,
            let rowBlock = launchPlan.denseRowChannels(
                outWidth: outSize.w, strideW: stride.w,
                rowShifts: Self.rowShifts(kernel: kernel.w, stride: stride.w, pad: pad.w, dilation: dilation.w))
        {
            try convRows(
                source, batch: batch, groups: groups, inPerGroup: inPerGroup, outPerGroup: outPerGroup, height: height, width: width,
                kernel: kernel, stride: stride, pad: pad, dilation: dilation, output: outSize, weights: weights, flip: flip,
                bias: bias, into: output, block: rowBlock)
            return
        }
        let shape = ConvolutionShapeClass(outWidth: outSize.w)
        let chosen = chosen ?? activeTunables.directBlock(for: shape)
        let block = Self.balancedChannelBlock(chosen.outputChannels, channels: outPerGroup)
        let rows = Self.directRows(shape)
        let tileRows = rows * chosen.vectors
        let tileColumns = 16 / rows
        let (prepared, outPadded) = try directWeights(
            weights, groups: groups, inPerGroup: inPerGroup, outPerGroup: outPerGroup, kernel: kernel, mode: flip ? 1 : 0, block: block)
        // Padded rows cover every tap; padded columns also cover the reads of the last column tile.
        let columnTiles = (outSize.w + tileColumns - 1) / tileColumns
        let paddedH = height + 2 * pad.h
        let paddedW = Self.directPaddedWidth(
            width: width, pad: pad.w, outWidth: outSize.w, kernel: kernel.w,
            stride: stride.w, dilation: dilation.w, tileColumns: tileColumns)
        let channels = groups * inPerGroup
        let phases = Self.directPhases(stride: stride.w)
        for chunk in convChunks(batch: batch, floatsPerImage: channels * paddedH * paddedW) {
            let padded = try padImages(
                source, channels: channels, height: height, width: width, pad: pad,
                paddedWidth: paddedW, phases: phases, chunk: chunk)
            try launch(
                "conv_direct.cl", "conv2d_direct_regblock",
                defines: ["OCB": "\(block)", "ROWS": "\(rows)", "VECS": "\(chosen.vectors)"]
                    .merging(Self.directColumnDefines(stride: stride.w)) { $1 },
                global: [columnTiles, (outSize.h + tileRows - 1) / tileRows, chunk.count * groups * (outPadded / block)],
                [
                    .buffer(buffer(padded)), .buffer(buffer(prepared)), .buffer(buffer(bias ?? prepared)), .int(bias == nil ? 0 : 1),
                    .buffer(buffer(output)), .index(chunk.start * groups * outPerGroup * outSize.h * outSize.w), .index(chunk.count),
                    .index(groups), .index(inPerGroup), .index(outPerGroup), .index(outPadded),
                    .index(paddedH), .index(paddedW), .index(kernel.h), .index(kernel.w),
                    .index(stride.h), .index(stride.w), .index(dilation.h), .index(dilation.w),
                    .index(outSize.h), .index(outSize.w),
                ])
            withExtendedLifetime(padded) {}  // back to the pool only once the kernel reading it is queued
        }
        withExtendedLifetime(prepared) {}
    }

    /// The forward pass of `g` by the direct kernel.
    func conv2dDirect(_ x: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, into y: Tensor) throws {
        let p = g.params
        try convDirect(
            x, batch: g.batch, groups: g.groups, inPerGroup: g.inChannelsPerGroup, outPerGroup: g.outChannelsPerGroup,
            height: g.inHeight, width: g.inWidth, kernel: (g.kernelH, g.kernelW), stride: (p.strideH, p.strideW),
            pad: (p.padH, p.padW), dilation: (p.dilationH, p.dilationW), output: (g.outHeight, g.outWidth),
            weights: weight, flip: false, bias: bias, into: y)
    }

    /// Whether the direct kernels compute the input gradient of `g`: stride 2 and dilation 1 in
    /// both directions (`conv2dBackwardInputStrided`), or stride 1 with padding at most the dilated
    /// kernel extent, so the gradient's padding `dilation·(k − 1) − pad` is ≥ 0.
    func directInputGradientApplies(_ g: ConvGeometry) -> Bool {
        let p = g.params
        if Self.stridedInputGradientApplies(g) { return true }
        return p.strideH == 1 && p.strideW == 1 && p.padH <= p.dilationH * (g.kernelH - 1) && p.padW <= p.dilationW * (g.kernelW - 1)
    }

    /// The input gradient of `g` by the direct kernels: stride 2 by `conv2dBackwardInputStrided`;
    /// stride 1 as dx = conv(dy padded by dilation·(k − 1) − pad, flipped w).
    func conv2dBackwardInputDirect(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor) throws {
        let p = g.params
        if p.strideH != 1 || p.strideW != 1 {
            try conv2dBackwardInputStrided(dy, weight: weight, g, into: dx)
            return
        }
        try convDirect(
            dy, batch: g.batch, groups: g.groups, inPerGroup: g.outChannelsPerGroup, outPerGroup: g.inChannelsPerGroup,
            height: g.outHeight, width: g.outWidth, kernel: (g.kernelH, g.kernelW), stride: (1, 1),
            pad: (p.dilationH * (g.kernelH - 1) - p.padH, p.dilationW * (g.kernelW - 1) - p.padW),
            dilation: (p.dilationH, p.dilationW), output: (g.inHeight, g.inWidth),
            weights: weight, flip: true, bias: nil, into: dx)
    }
}

extension OpenCLBackend {
    /// Zero-padded rows for the direct kernels: `[images, channels, paddedHeight, paddedWidth]`
    /// from images `chunk` of `source` (conv_pad_input), `pad.h` zero rows on top and `pad.w` zero
    /// columns on the left of each plane; `paddedHeight` defaults to `height + 2·pad.h`. With
    /// `phases` 2 each row is stored as its even columns, then its odd ones (`paddedWidth` even).
    func padImages(
        _ source: Tensor, channels: Int, height: Int, width: Int, pad: (h: Int, w: Int), paddedWidth: Int,
        paddedHeight: Int? = nil, phases: Int = 1, chunk: (start: Int, count: Int)
    ) throws -> Tensor {
        precondition(phases == 1 || (phases == 2 && paddedWidth % 2 == 0), "rows stored by phases need an even width")
        let paddedH = paddedHeight ?? height + 2 * pad.h
        let padded = try empty([chunk.count * channels * paddedH * paddedWidth])
        try launch(
            "conv_direct.cl", "conv_pad_input", defines: phases == 2 ? ["PHASES": "2"] : [:], global: [paddedH, chunk.count * channels],
            [
                .buffer(buffer(source)), .index(chunk.start * channels * height * width), .index(channels),
                .index(height), .index(width), .index(pad.h), .index(pad.w),
                .buffer(buffer(padded)), .index(paddedH), .index(paddedWidth), .index(chunk.count),
            ])
        return padded
    }

    /// The weight gradient's compile-time shape (conv_direct.cl's KERNEL_W and COLUMN_TILES): the
    /// kernel width always, the 8-column tiles of a dy row when there are at most
    /// `maxUnrolledColumnTiles`, so the tile loop unrolls into the row loop (rows of 8 columns
    /// otherwise ran one tile per trip, and the 8 × 3 block spilled accumulators on PoCL with
    /// AVX-512); wider rows keep the runtime loop, so few programs are built per kernel width.
    static func weightGradientShapeDefines(kernelWidth: Int, outWidth: Int) -> [String: String] {
        let tiles = (outWidth + 7) / 8
        var defines = ["KERNEL_W": "\(kernelWidth)"]
        if tiles <= maxUnrolledColumnTiles { defines["COLUMN_TILES"] = "\(tiles)" }
        return defines
    }

    /// The widest dy row, in 8-column tiles, whose tile loop the weight gradient unrolls.
    static let maxUnrolledColumnTiles = 4

    /// Output rows per work-item of `conv2d_direct_regblock` (its ROWS): 1 (16 columns of a row)
    /// on wide outputs, 2 (8 columns of two rows) on narrow ones, so the 16 lanes stay full at
    /// 8×8. Measured on PoCL (AVX-512 EPYC, batch 128, kernel alone, GFLOP/s): 32×32 and 16×16
    /// outputs 150 / 182 with one row against 127 / 170–194 with two; 8×8 205 against 90.
    static func directRows(_ shape: ConvolutionShapeClass) -> Int { shape == .wide ? 1 : 2 }

    /// Padded input width covering the reads of whole `tileColumns`-column output tiles of the
    /// direct kernels; even when the rows are stored by phases (stride 2), so both phases are
    /// `width / 2` long, and the last tile's reads of each phase lie inside its own.
    static func directPaddedWidth(
        width: Int, pad: Int, outWidth: Int, kernel: Int, stride: Int, dilation: Int, tileColumns: Int
    ) -> Int {
        let tiled = (outWidth + tileColumns - 1) / tileColumns * tileColumns
        let lastRead = (tiled - 1) * stride + (kernel - 1) * dilation
        let covering = max(width + 2 * pad, lastRead + 1)
        return directPhases(stride: stride) == 2 ? (covering + 1) / 2 * 2 : covering
    }

    /// How the direct kernels store padded rows (conv_direct.cl's PHASES): by their two phases,
    /// even columns then odd ones, for column stride 2, so 16 output pixels of a tap read one
    /// contiguous vector instead of two vectors and a shuffle; as they are otherwise. In-process
    /// A/B on PoCL (Zen 4, batch 128, 21 alternating rounds): the forward 0.80–0.89 and the weight
    /// gradient 0.90–0.96 of the time at the ResNet-20 stage entries (16×32² → 32 and 32×16² → 64);
    /// the padding copy by phases takes 1.4× / 1.9× the plain copy's time there (0.40 / 0.38 ms
    /// against 0.28 / 0.20 ms; it runs once per pass, so 0.24 / 0.36 ms more per step against
    /// the 0.5 / 0.9 ms the forward and weight-gradient kernels save).
    static func directPhases(stride: Int) -> Int { stride == 2 ? 2 : 1 }

    /// conv_direct.cl's column defines for a column stride: PHASES, and STRIDE_W 1 where
    /// neighbouring output pixels read neighbouring stored columns (stride 1, or 2 by phases) so
    /// the loads are vectors, else 0 (scalar loads at any stride).
    static func directColumnDefines(stride: Int) -> [String: String] {
        let phases = directPhases(stride: stride)
        return ["PHASES": "\(phases)", "STRIDE_W": stride == 1 || phases == 2 ? "1" : "0"]
    }

    /// The channel block actually launched for `channels` output channels when `block` is the
    /// chosen one: the same number of blocks, ⌈channels / block⌉, each as small as it can be, so
    /// fewer padded channels are computed and thrown away with the same number of work-items
    /// (20 channels at OCB 16: two blocks of 10, not of 16; 3 channels: one block of 3).
    public static func balancedChannelBlock(_ block: Int, channels: Int) -> Int {
        let blocks = (channels + block - 1) / block
        return (channels + blocks - 1) / blocks
    }

    /// The weight gradient of `g` by conv_rows.cl's `conv2d_weight_grad_rows` on the unpadded
    /// input (`LaunchPlan.denseRowWeightGradient`): per split of the batch, `channels` output
    /// channels (balanced) per work-item, `lanes` per vector; then one sum over the splits (none
    /// with one split: the kernel writes dw itself).
    func conv2dBackwardWeightRows(_ dy: Tensor, input x: Tensor, _ g: ConvGeometry, into dw: Tensor, channels: Int, lanes: Int) throws {
        let p = g.params
        let block = Self.balancedChannelBlock(channels, channels: g.outChannelsPerGroup)
        let blocks = (g.outChannelsPerGroup + block - 1) / block
        let split = reductionSplit(batch: g.batch, outputs: g.groups * blocks * g.inChannelsPerGroup)
        let partial = split.count == 1 ? dw : try empty([split.count * dw.count])
        let defines = Self.rowWindowDefines(
            kernel: (g.kernelH, g.kernelW), stride: (p.strideH, p.strideW), pad: (p.padH, p.padW),
            dilation: (p.dilationH, p.dilationW), lanes: lanes, inWidth: g.inWidth, outWidth: g.outWidth, block: block)
        try launch(
            "conv_rows.cl", "conv2d_weight_grad_rows", defines: defines,
            global: [g.inChannelsPerGroup, g.groups * blocks, split.count],
            [
                .buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(partial)), .index(split.perSplit), .index(split.count),
                .index(g.batch), .index(g.groups), .index(g.inChannelsPerGroup), .index(g.outChannelsPerGroup),
                .index(g.inHeight), .index(g.outHeight),
            ])
        if split.count > 1 { try sumPartials(partial, splits: split.count, into: dw) }
    }

    /// The weight gradient of `g` by `conv2d_direct_weight_grad_partial`: per chunk of images, the
    /// padded input (and dy padded to whole column tiles when OW is not a multiple of 8), partial
    /// sums per split of the chunk's images, then one sum over every split. `block` (default the
    /// tuned `weightGradientBlock(for:)` of the output's shape class) lets `KernelTuner` run its
    /// candidates; its OCB is balanced over the channels and its KWB capped at the kernel width.
    /// Without a block, where the launch plan fits them, conv_rows.cl's row kernel
    /// (`denseRowWeightGradient`) or else conv_channels.cl's (`channelWeightGradient`) runs instead.
    func conv2dBackwardWeightDirect(
        _ dy: Tensor, input x: Tensor, _ g: ConvGeometry, into dw: Tensor, block chosen: KernelTunables.WeightGradientBlock? = nil
    ) throws {
        let p = g.params
        if chosen == nil, denseRowKernelsOverride != false,
            let rows = launchPlan.denseRowWeightGradient(
                taps: g.kernelH * g.kernelW, outWidth: g.outWidth, strideW: p.strideW,
                rowShifts: Self.rowShifts(kernel: g.kernelW, stride: p.strideW, pad: p.padW, dilation: p.dilationW))
        {
            try conv2dBackwardWeightRows(dy, input: x, g, into: dw, channels: rows.channels, lanes: rows.lanes)
            return
        }
        if chosen == nil, denseRowKernelsOverride != false,
            let inputBlock = launchPlan.channelWeightGradient(kernelW: g.kernelW, groups: g.groups)
        {
            try conv2dBackwardWeightChannels(dy, input: x, g, into: dw, inputBlock: inputBlock)
            return
        }
        let chosen = chosen ?? activeTunables.weightGradientBlock(for: ConvolutionShapeClass(outWidth: g.outWidth))
        let block = Self.balancedChannelBlock(chosen.outputChannels, channels: g.outChannelsPerGroup)
        let (inPerGroup, outPerGroup, groups) = (g.inChannelsPerGroup, g.outChannelsPerGroup, g.groups)
        let outPadded = (outPerGroup + block - 1) / block * block
        let tapBlock = min(g.kernelW, chosen.taps)
        let tapItems = g.kernelH * ((g.kernelW + tapBlock - 1) / tapBlock)  // work-items per (o-block, c)
        let paddedH = g.inHeight + 2 * p.padH
        let paddedW = Self.directPaddedWidth(
            width: g.inWidth, pad: p.padW, outWidth: g.outWidth, kernel: g.kernelW,
            stride: p.strideW, dilation: p.dilationW, tileColumns: 8)
        let gradientWidth = (g.outWidth + 7) / 8 * 8
        let padGradient = gradientWidth != g.outWidth
        let perImage = g.inChannels * paddedH * paddedW + (padGradient ? g.outChannels * g.outHeight * gradientWidth : 0)
        let chunks = convChunks(batch: g.batch, floatsPerImage: perImage)
        let plan = chunks.map { reductionSplit(batch: $0.count, outputs: groups * (outPadded / block) * inPerGroup * tapItems) }
        let partial = try empty([plan.map(\.count).reduce(0, +) * dw.count])
        var splitBase = 0
        for (chunk, split) in zip(chunks, plan) {
            let padded = try padImages(
                x, channels: g.inChannels, height: g.inHeight, width: g.inWidth, pad: (p.padH, p.padW),
                paddedWidth: paddedW, phases: Self.directPhases(stride: p.strideW), chunk: chunk)
            let gradient =
                try padGradient
                ? padImages(
                    dy, channels: g.outChannels, height: g.outHeight, width: g.outWidth, pad: (0, 0),
                    paddedWidth: gradientWidth, chunk: chunk)
                : dy
            let gradientOffset = padGradient ? 0 : chunk.start * g.outChannels * g.outputPixels
            try launch(
                "conv_direct.cl", "conv2d_direct_weight_grad_partial",
                defines: ["OCB": "\(block)", "KWB": "\(tapBlock)"]
                    .merging(Self.directColumnDefines(stride: p.strideW)) { $1 }
                    .merging(Self.weightGradientShapeDefines(kernelWidth: g.kernelW, outWidth: g.outWidth)) { $1 },
                global: [tapItems, inPerGroup, groups * (outPadded / block) * split.count],
                [
                    .buffer(buffer(padded)), .buffer(buffer(gradient)), .index(gradientOffset),
                    .buffer(buffer(partial)), .index(splitBase * dw.count), .index(split.perSplit), .index(split.count),
                    .index(chunk.count), .index(groups), .index(inPerGroup), .index(outPerGroup), .index(outPadded),
                    .index(paddedH), .index(paddedW), .index(gradientWidth),
                    .index(g.kernelH), .index(g.kernelW), .index(p.strideH), .index(p.strideW),
                    .index(p.dilationH), .index(p.dilationW), .index(g.outHeight), .index(g.outWidth),
                ])
            splitBase += split.count
            withExtendedLifetime((padded, gradient)) {}  // back to the pool only once the kernel reading them is queued
        }
        try sumPartials(partial, splits: splitBase, into: dw)
    }
}
