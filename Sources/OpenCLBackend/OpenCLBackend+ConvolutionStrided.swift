import OpenCLRuntime
import TensorCore

/// The input gradient of a stride-2 convolution by `conv2d_direct_input_grad_s2`
/// (Kernels/conv_direct_strided.cl): each dx row is the sum over the taps of its row parity of
/// one dy row each, and its even and odd columns are each a stride-1 correlation of that row, so
/// the gradient needs neither the column matrix nor col2im of the GEMM route (whose col2im alone
/// cost as much as its GEMM at the ResNet-20 stride-2 entries).
extension OpenCLBackend {
    /// Whether `conv2dBackwardInputStrided` computes the input gradient of `g`: stride 2 and
    /// dilation 1 in both directions (any kernel size, padding and groups).
    static func stridedInputGradientApplies(_ g: ConvGeometry) -> Bool {
        let p = g.params
        return p.strideH == 2 && p.strideW == 2 && p.dilationH == 1 && p.dilationW == 1
    }

    /// dx channels per work-item (the kernel's OCB): 2·OCB float16 accumulators, 16 of AVX-512's
    /// 32 vector registers (GPUs hold them too).
    static let stridedInputGradientChannels = 8

    /// The kernel's ROWS for a dx `width` columns wide: 1 (16 column pairs of one row) from 32
    /// columns, else 2 (8 pairs of two rows), so the 16 lanes stay full at the ResNet stage-3
    /// entry's 16 columns.
    static func stridedInputGradientRows(width: Int) -> Int { width >= 32 ? 1 : 2 }

    /// How dy is zero-padded for the kernel, so that every read is in bounds with no checks:
    /// `top` rows and `left` columns before dy, `height` × `width` in all. The reads are dy rows
    /// (h + PH − p)/2 for the dx rows h of every work-item (ROWS 2 also reads 2 rows below the
    /// last) and taps p of h's parity, and dy columns j + (s + PW − q)/2 for the column pairs j of
    /// every whole column tile and the taps q of each column parity s.
    struct StridedGradientPadding: Equatable {
        var top: Int, left: Int, height: Int, width: Int
    }

    static func stridedGradientPadding(_ g: ConvGeometry, rows: Int) -> StridedGradientPadding {
        let (ph, pw) = (g.params.padH, g.params.padW)
        var (rowMin, rowMax) = (0, g.outHeight - 1)
        for h in 0..<(g.inHeight + (rows == 2 ? 2 : 0)) {
            for p in stride(from: (h + ph) & 1, to: g.kernelH, by: 2) {
                rowMin = min(rowMin, (h + ph - p) / 2)
                rowMax = max(rowMax, (h + ph - p) / 2)
            }
        }
        let pairs = 16 / rows
        let tiles = (g.inWidth + 2 * pairs - 1) / (2 * pairs)
        var (columnMin, columnMax) = (0, g.outWidth - 1)
        for parity in 0..<2 {
            for q in stride(from: (pw + parity) & 1, to: g.kernelW, by: 2) {
                let offset = (parity + pw - q) / 2
                columnMin = min(columnMin, offset)
                columnMax = max(columnMax, tiles * pairs - 1 + offset)
            }
        }
        return StridedGradientPadding(
            top: -rowMin, left: -columnMin, height: rowMax - rowMin + 1, width: columnMax - columnMin + 1)
    }

    /// dx = ∂L/∂x of the stride-2, dilation-1 convolution `g` (see the extension's comment), by
    /// `conv2dBackwardInputChannelsStrided` where `LaunchPlan.channelStridedInputGradient` takes it.
    func conv2dBackwardInputStrided(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor) throws {
        precondition(Self.stridedInputGradientApplies(g), "conv2dBackwardInputStrided needs stride 2 and dilation 1")
        if denseRowKernelsOverride != false,
            let tile = launchPlan.channelStridedInputGradient(inWidth: g.inWidth, kernelW: g.kernelW, groups: g.groups)
        {
            try conv2dBackwardInputChannelsStrided(dy, weight: weight, g, into: dx, tile: tile)
            return
        }
        let (groups, inPerGroup, outPerGroup) = (g.groups, g.inChannelsPerGroup, g.outChannelsPerGroup)
        let block = Self.balancedChannelBlock(Self.stridedInputGradientChannels, channels: inPerGroup)
        // wt[((g·CO + o)·KH·KW + p·KW + q)·CIPAD + c] = w[g·CO + o, c, p, q] (mode 2).
        let (prepared, inPadded) = try directWeights(
            weight, groups: groups, inPerGroup: outPerGroup, outPerGroup: inPerGroup, kernel: (g.kernelH, g.kernelW), mode: 2,
            block: block)
        let rows = Self.stridedInputGradientRows(width: g.inWidth)
        let padding = Self.stridedGradientPadding(g, rows: rows)
        let columnTiles = (g.inWidth + 32 / rows - 1) / (32 / rows)
        let rowItems = rows == 2 ? 2 * ((g.inHeight + 3) / 4) : g.inHeight
        let floatsPerImage = g.outChannels * padding.height * padding.width
        for chunk in convChunks(batch: g.batch, floatsPerImage: floatsPerImage) {
            let padded = try padImages(
                dy, channels: g.outChannels, height: g.outHeight, width: g.outWidth, pad: (padding.top, padding.left),
                paddedWidth: padding.width, paddedHeight: padding.height, chunk: chunk)
            try launch(
                "conv_direct_strided.cl", "conv2d_direct_input_grad_s2",
                defines: ["OCB": "\(block)", "ROWS": "\(rows)"],
                global: [columnTiles, rowItems, chunk.count * groups * (inPadded / block)],
                [
                    .buffer(buffer(padded)), .buffer(buffer(prepared)), .buffer(buffer(dx)),
                    .index(chunk.start * g.inChannels * g.inHeight * g.inWidth), .index(chunk.count),
                    .index(groups), .index(inPerGroup), .index(outPerGroup), .index(inPadded),
                    .index(padding.height), .index(padding.width), .index(padding.top), .index(padding.left),
                    .index(g.kernelH), .index(g.kernelW), .index(g.params.padH), .index(g.params.padW),
                    .index(g.inHeight), .index(g.inWidth),
                ])
            withExtendedLifetime(padded) {}  // back to the pool only once the kernel reading it is queued
        }
        withExtendedLifetime(prepared) {}
    }

    /// dx = ∂L/∂x of the dense stride-2, dilation-1 convolution `g` by conv_channels_strided.cl's
    /// `conv2d_channels_input_grad_s2`: one work-item per dx row and 16 input channels, the row
    /// in `tile`-column tiles, dy read as it is (no padded copy).
    ///
    ///     dx[n, c, h, w] = Σ_{o, p, q: h + PH − p = 2i, w + PW − q = 2j} dy[n, o, i, j] · w[o, c, p, q]
    func conv2dBackwardInputChannelsStrided(_ dy: Tensor, weight: Tensor, _ g: ConvGeometry, into dx: Tensor, tile: Int) throws {
        precondition(g.groups == 1, "conv2d_channels_input_grad_s2 takes dense convolutions only")
        // wt[(o·KH·KW + p·KW + q)·CIPAD + c] = w[o, c, p, q] (mode 2).
        let (prepared, inPadded) = try directWeights(
            weight, groups: 1, inPerGroup: g.outChannels, outPerGroup: g.inChannels, kernel: (g.kernelH, g.kernelW), mode: 2,
            block: 16)
        let p = g.params
        let defines = [
            "CS_KH": g.kernelH, "CS_KW": g.kernelW, "CS_PH": p.padH, "CS_PW": p.padW, "CS_W": g.inWidth, "CS_OW": g.outWidth,
            "CS_CT": tile,
        ].mapValues { "\($0)" }
        try launch(
            "conv_channels_strided.cl", "conv2d_channels_input_grad_s2", defines: defines,
            global: [g.inHeight, inPadded / 16, g.batch],
            [
                .buffer(buffer(dy)), .buffer(buffer(prepared)), .buffer(buffer(dx)), .index(g.inChannels), .index(g.outChannels),
                .index(inPadded), .index(g.inHeight), .index(g.outHeight),
            ])
        withExtendedLifetime(prepared) {}
    }
}
