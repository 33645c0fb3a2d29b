import OpenCLRuntime

/// Every device-dependent launch constant of the backend in one place, derived once from the
/// device and its `DeviceTuning` when the backend opens: work-group sizes, group counts, vector
/// widths and block counts of the element-wise, reduction, top-k, sort and GEMM launches.
///
/// The kernel tile sizes the tuner measures (`-D TM`, `NV`, `VW`, `TS_*`, the direct convolution's
/// channel block and vectors) live in `KernelTunables`; these are the fixed rules beside them. Two device
/// classes matter: CPU devices (PoCL runs a work-group's items one after another on one core, so
/// groups are small and few per compute unit), and devices with dedicated local memory (GPUs:
/// wide `__local` trees, many groups in flight).
public struct LaunchPlan: Sendable, CustomStringConvertible {
    /// Work-items per group of the `*_group_tree` reductions of elementwise.cl and batchnorm.cl
    /// (`EW_GROUP_SIZE`, `BN_GROUP_SIZE`; a power of two): a 256-wide `__local` tree on GPUs; on
    /// the CPU device one work-item that loops over its whole channel or chunk is fastest.
    public let channelReductionGroupSize: Int
    /// Local size of the flat and row element-wise kernels: 256 on GPUs, 64 on CPU devices.
    public let elementwiseLocalSize: Int
    /// Most work-groups of the two-stage dot product: 4 per compute unit on CPUs, 512 on GPUs.
    public let dotMaxGroups: Int
    /// Launch shapes of reduce.cl.
    let reduction: ReductionPlan
    /// The radix sort of `rankNormalize` (radix_sort.cl).
    public let radixSort: RadixSortPlan
    /// topk.cl's reductions (`REDUCE_WG`, `REDUCE_ITEMS`): GPUs a 256-item `__local` tree over 4
    /// elements per item; CPU devices groups of 16 whose items each add 16 elements.
    public let topKReduce: (groupSize: Int, items: Int)
    /// float16 vectors each work-item of `soft_mask_grad_ratio_partial` sums pairwise in registers
    /// (`GRAD_VECTORS`; CPU devices, whose items read float16s): 8, so a group of 16 items covers
    /// 2048 elements and its `__local` tree and barriers are paid once per 2048, not per 256
    /// (PoCL runs each barrier-separated region as its own loop over the items). In-process A/B
    /// against 1 on PoCL (Zen 4), 21 alternating rounds, twice: 0.80–0.85 of the time at N = 10⁷,
    /// 0.31–0.44 at 10⁴–10⁶; 4 measured 0.76–0.90 / 0.41–0.46, 16 no faster than 1 (0.70–1.07).
    /// 1 on GPUs.
    public let topKGradVectors: Int
    /// Elements per work-item of `soft_mask_sigmoid` (`MASK_VEC`): float16 on CPUs — PoCL runs the
    /// vector exp on whole AVX-512 registers (measured 4× faster than float8 on a Skylake-AVX512
    /// PoCL device) — and 1 on GPUs, where neighbouring work-items' loads coalesce.
    public let maskVectorWidth: Int
    /// Elements per work-item of the chunked copies (`CELL_VEC` of cells.cl's channel copies,
    /// shuffle and weighted sum; `FILL_VEC` of memory.cl's fill): 16 on CPUs, where PoCL runs a
    /// group's work-items one after another and the one-element kernels spent their time on
    /// index arithmetic (PC-DARTS search step on a Zen 3 EPYC, `diffnas bench --suite step`:
    /// `channel_shuffle` 103, `copy_channels` 91 and `fill` 42 of 504 device ms; chunked, below
    /// 10, 12 and 12 ms), 1 on GPUs, where neighbouring work-items' loads coalesce.
    public let chunkVectorWidth: Int
    /// Elements per work-item of elementwise.cl's flat kernels (`EW_VEC`: ReLU and its gradient,
    /// add, multiply, scale, axpy): 16 on CPUs (in-process A/B against 4 on a Zen 4 EPYC, PoCL,
    /// identical outputs: ReLU 0.43–0.67, add 0.69–0.83, the ReLU gradient 0.41–0.98 of the time
    /// at 0.4–1.6 M elements, equal once memory-bound), 4 on GPUs.
    public let flatVectorWidth: Int
    /// The per-channel row kernels — batch norm's y and dx (batchnorm.cl) and the channel mask
    /// (elementwise.cl) — by one work-item per row in float16 steps (the `*_rows_loop` kernels)
    /// on CPUs, where the one-per-4-elements kernels paid the channel's parameters, a modulo and
    /// bounds checks every 4 elements (in-process A/B on a Zen 4 EPYC, PoCL: batch norm
    /// [128, 16, 28, 28] 0.34× the time of each, [128, 64, 7, 7] 0.25×); GPUs keep the
    /// 4-element work-items, whose neighbours' loads coalesce.
    public let rowLoops: Bool
    /// Pooling by rows of 16 outputs per work-item (pooling.cl's `*_rows` kernels) on CPUs, where
    /// one output per work-item was a serial chain of bounds checks and scalar operations
    /// (average pooling a third of the NAS-Bench-201 DARTS search step, max pooling a quarter of
    /// the DARTS-space one); one output per work-item on GPUs, where neighbouring work-items'
    /// loads coalesce.
    public let poolingRowTiles: Bool
    /// Work-group of `gemm_regblock` in tiles (columns, rows). PoCL runs a group's items in order
    /// (columns fastest), so its row tiles reuse B panels from L1/L2: 4 × 16 for large M (measured
    /// ~130–150 GFLOP/s at 1024–2048 against ~65 with 1 × 1 groups); short, wide products
    /// (M = 16–64) use one column panel × every row tile.
    public let registerBlockGroup: (columns: Int, rows: Int)
    /// `gemm_regblock` shrinks its groups (rows first) until at least this many are in flight
    /// (4 per compute unit), so a small product does not leave a core idle.
    public let minimumGemmGroups: Int
    /// Launch shapes of depthwise.cl and conv_rows.cl's depthwise kernels.
    public let depthwise: DepthwisePlan

    /// Output channels per work-item of conv_rows.cl's `conv2d_rows` (its OCB; 16 lanes per
    /// vector) for a dense convolution whose output rows are `outWidth` wide, or nil where
    /// conv_direct.cl's padded copy and `conv2d_direct_regblock` run instead. The row kernel
    /// runs on CPU devices with 32 vector registers (AVX-512) at column stride 1 or 2 with every
    /// tap's shift within `DepthwisePlan.maximumRowShift` lanes, on rows of 9 to 32 outputs: one
    /// or two vectors per row, so that the OCB · ⌈outWidth / 16⌉ = 16 accumulators, a row's
    /// phase vectors and a working window fit the registers. It reads the unpadded input, rows
    /// straight into registers, so no padded copy is written and read. In-process A/B against the
    /// padding copy plus the register-blocked kernel (PoCL, Zen 4, batch 128, 41 alternating
    /// rounds, results bit-identical): 32×16² → 32 0.84–0.89 of the time, 16×32² → 16 0.91–1.02,
    /// 16×32² → 32 stride 2 0.67–0.74 (there the padded copy by phases is a fifth of the pass).
    /// Outputs 8 wide keep the register-blocked kernel, whose two 8-column rows per float16 fill
    /// the lanes (a row of 8 lanes measured 1.15–1.39× its time at 64×8² → 64), as do rows wider
    /// than 32, whose accumulators would not fit at a useful OCB.
    public func denseRowChannels(outWidth: Int, strideW: Int, rowShifts: ClosedRange<Int>) -> Int? {
        guard denseRowWindowFits(strideW: strideW, rowShifts: rowShifts), outWidth > 8, outWidth <= 32 else { return nil }
        return 16 / ((outWidth + 15) / 16)
    }

    /// Output channels per work-item and lanes of conv_rows.cl's `conv2d_weight_grad_rows` for a
    /// dense convolution's weight gradient, or nil where conv_direct.cl's padded copy and
    /// `conv2d_direct_weight_grad_partial` run instead. The row kernel runs on CPU devices with
    /// 32 vector registers (AVX-512) at column stride 1 or 2 with every tap's shift within
    /// `DepthwisePlan.maximumRowShift` lanes, on output rows wider than 16, with 2 output channels
    /// and 8 lanes: its 2·KH·KW accumulators, the two channels' dy vectors of a row (⌈outWidth / 8⌉
    /// each), a row's phase vectors and a working window must fit the registers (3×3 windows up
    /// to rows of 32). It reads x unpadded, so the pass writes no padded copy. The old and new
    /// release binaries alternating three times on `diffnas bench --suite conv` (PoCL, Zen 4,
    /// `DIFFNAS_TUNE=off`, batch 128), our rate new ÷ old: 1.25–1.43 at the stem (3×32² → 16),
    /// 1.05–1.16 at 16×32² → 16, but 0.87–0.97 at 32×16² → 32 and 0.88–1.29 on the 16- and
    /// 8-wide stride-2 entries and 8×8 (in-process A/B against OCB 6: 0.87–0.99 there): so
    /// rows of 16 outputs or fewer keep the register-blocked kernel. 16 lanes measured 0.89–1.07
    /// of the old time in process, one output channel 1.26–1.57 and three 0.92–1.03.
    public func denseRowWeightGradient(taps: Int, outWidth: Int, strideW: Int, rowShifts: ClosedRange<Int>) -> (channels: Int, lanes: Int)?
    {
        let (channels, lanes) = (2, 8)
        guard denseRowWindowFits(strideW: strideW, rowShifts: rowShifts),
            outWidth > 16, channels * taps + channels * ((outWidth + lanes - 1) / lanes) + 3 * strideW + 2 <= depthwise.vectorRegisters
        else { return nil }
        return (channels, lanes)
    }

    /// Input channels per work-item (CIB) of conv_channels.cl's `conv2d_weight_grad_channels` for
    /// a dense (groups 1) convolution's weight gradient that `denseRowWeightGradient` does not
    /// take (rows of 16 outputs or fewer, column strides above 2, wide windows), or nil where
    /// conv_direct.cl's padded copy and `conv2d_direct_weight_grad_partial` run instead. It runs
    /// on the same AVX-512 CPU devices as the row kernels, at any stride, padding and dilation,
    /// with CIB · KW ≤ 24 accumulators of 16 output channels (CIB 8 for 3-wide windows, 4 for
    /// 5-wide). It reads dy transposed to channels-last, so each output position costs one vector
    /// load and CIB · KW broadcast FMAs. In-process A/B against the padded copy plus
    /// `conv2d_direct_weight_grad_partial` (OCB 8) and the sum of partials (PoCL, Zen 4, batch
    /// 128, transpose included, results equal), time ratios: 16×32² → 32 stride 2 0.66–0.79,
    /// 32×16² → 32 0.84–0.92, 32×16² → 64 stride 2 0.63–0.76, 64×8² → 64 0.55–0.73,
    /// 16×32² → 16 0.78–0.87, with `channelWeightGradientItems` work-items per pass; with 128
    /// splits of one image it was 1.1–1.7× (each item's 16 · CIB · KW scattered stores and the
    /// partial sums dominate).
    public func channelWeightGradient(kernelW: Int, groups: Int) -> Int? {
        guard depthwise.rowKernels, depthwise.vectorRegisters >= 32, groups == 1, kernelW <= 24 else { return nil }
        return min(8, 24 / kernelW)
    }

    /// 16-channel vectors per work-item (OCV) of conv_channels.cl's `conv2d_channels` for a dense
    /// (groups 1) convolution's forward pass, or the input gradient computed as one, whose output
    /// rows are `outWidth` wide, or nil where conv_rows.cl's or conv_direct.cl's kernels run. It
    /// runs on the same AVX-512 CPU devices as the row kernels, on rows of at most
    /// `channelConvolutionWidth` outputs and windows of at most 49 taps (its loops over taps and
    /// columns unroll), with OCV · outWidth ≤ 24 accumulators (at most 4 vectors; balanced over
    /// the blocks by the host, so 64 channels on 8-wide rows run 2 vectors). Each input channel
    /// and tap costs OCV weight-vector loads and outWidth broadcast x values, which every vector
    /// shares; no padded copy. The old and new release binaries alternating three times on
    /// `diffnas bench --suite conv` (PoCL, Zen 4, `DIFFNAS_CONV=direct DIFFNAS_TUNE=off`, batch
    /// 128), time new ÷ old against the padded copy plus `conv2d_direct_regblock` (median / best):
    /// 64×8² → 64 forward 0.73 / 0.83 and input gradient 0.79 / 0.85, 32×16² → 64 stride 2
    /// forward 0.83 / 0.80; `--suite step` twice: the 12 forward and input-gradient launches
    /// 31.3 / 30.8 device ms → 27.9 / 25.3. Work-groups of one row × 1–16 images measured within
    /// noise of the implementation's choice.
    public func channelConvolution(outWidth: Int, taps: Int, groups: Int) -> Int? {
        guard depthwise.rowKernels, depthwise.vectorRegisters >= 32, groups == 1, outWidth >= 1,
            outWidth <= channelConvolutionWidth, taps <= 49
        else { return nil }
        return max(1, min(4, 24 / outWidth))
    }

    /// The widest output row `conv2d_channels` takes: 8, the rows conv_rows.cl's `conv2d_rows`
    /// leaves to the register-blocked kernel (`denseRowChannels`). On 16-wide rows (one vector of
    /// 16 output channels per work-item) it measured 0.93–1.00 of `conv2d_rows`' time at
    /// 32×16² → 32, within noise, so those keep the row kernel.
    public let channelConvolutionWidth = 8

    /// Columns per tile (CS_CT) of conv_channels_strided.cl's `conv2d_channels_input_grad_s2` for
    /// the input gradient of a dense (groups 1) stride-2, dilation-1 convolution whose input is
    /// `inWidth` wide, or nil where conv_direct_strided.cl's kernel runs. It runs on the same
    /// AVX-512 CPU devices as the row kernels, on inputs at most 64 wide (at most four tiles,
    /// each unrolled) and windows at most 7 wide: 16 columns a tile (16 accumulators of 16
    /// input channels), fewer on narrower inputs. Per output channel and tap row each tap costs
    /// one weight-vector load, and each dy value of the tile one broadcast shared by the taps
    /// that meet it; no padded copy of dy. The old and new release binaries alternating twice on
    /// `diffnas bench --suite conv` (PoCL, Zen 4, `DIFFNAS_CONV=direct DIFFNAS_TUNE=off`, batch
    /// 128), time new ÷ old against conv_direct_strided.cl (median / best): 16×32² → 32 0.72 /
    /// 0.84, 32×16² → 64 0.71 / 0.71. (A first version called its 16 × 16 transpose as a
    /// function on the two-tile rows; the accumulators then lived in memory and it took 1.59×.)
    public func channelStridedInputGradient(inWidth: Int, kernelW: Int, groups: Int) -> Int? {
        guard depthwise.rowKernels, depthwise.vectorRegisters >= 32, groups == 1, inWidth >= 1, inWidth <= 64, kernelW <= 7
        else { return nil }
        return min(16, inWidth)
    }

    /// About how many work-items `conv2d_weight_grad_channels` is launched with: the batch is
    /// split so that blocks × splits reaches it (fewer, longer items write fewer partial sums).
    public let channelWeightGradientItems = 256

    /// The work-group of `conv2d_weight_grad_channels`: one work-item, so that the device's
    /// threads take the few hundred long items one by one. Left to PoCL, 64×8² → 64 (global
    /// 8 × 12 × 3) ran as three work-groups of 96 items on two threads, one thread doing two:
    /// 1.5× the balanced time. Interleaved in one process (PoCL, Zen 4, batch 128, 40 rounds,
    /// time ÷ PoCL's choice, median): 64×8² → 64 0.75, 32×16² → 32 0.97, the stride-2 entries
    /// 0.96 / 0.99 (PoCL had made two or four groups there).
    public let channelWeightGradientGroup = [1, 1, 1]

    /// What both dense row kernels need: a CPU device with 32 vector registers (AVX-512), column
    /// stride 1 or 2, and every tap's shift within `DepthwisePlan.maximumRowShift` lanes.
    private func denseRowWindowFits(strideW: Int, rowShifts: ClosedRange<Int>) -> Bool {
        depthwise.rowKernels && depthwise.vectorRegisters >= 32 && (strideW == 1 || strideW == 2)
            && rowShifts.lowerBound >= -DepthwisePlan.maximumRowShift && rowShifts.upperBound <= DepthwisePlan.maximumRowShift
    }

    public init(tuning: DeviceTuning, device: Device) {
        let maxGroup = max(device.maxWorkGroupSize, 1)
        func capped(_ size: Int) -> Int {
            var size = size
            while size > maxGroup { size /= 2 }
            return size
        }
        let computeUnits = max(device.computeUnits, 1)
        channelReductionGroupSize = capped(tuning.isCPU ? 1 : 256)
        elementwiseLocalSize = capped(tuning.isCPU ? 64 : 256)
        dotMaxGroups = tuning.isCPU ? 4 * computeUnits : 512
        reduction = ReductionPlan(tuning: tuning, maxWorkGroupSize: device.maxWorkGroupSize)
        radixSort = RadixSortPlan.standard(tuning: tuning, device: device)
        topKReduce = tuning.usesLocalMemoryTiles ? (RadixSortPlan.largestPowerOfTwo(atMost: min(256, maxGroup)), 4) : (16, 16)
        topKGradVectors = topKReduce.items == 16 ? 8 : 1
        maskVectorWidth = tuning.isCPU ? 16 : 1
        chunkVectorWidth = tuning.isCPU ? 16 : 1
        flatVectorWidth = tuning.isCPU ? 16 : 4
        poolingRowTiles = tuning.isCPU
        rowLoops = tuning.isCPU
        registerBlockGroup = (columns: 4, rows: 16)
        minimumGemmGroups = 4 * device.computeUnits
        depthwise = DepthwisePlan(tuning: tuning, device: device)
    }

    private static let denseRowSummary =
        "(forward and input gradient on rows of 9–32 outputs, weight gradient on rows wider than 16; "
        + "output channels in the lanes for the other dense weight gradients)"

    public var description: String {
        "channel reduction group \(channelReductionGroupSize), element-wise group \(elementwiseLocalSize), dot groups ≤ \(dotMaxGroups), "
            + "reduction group \(reduction.groupSize), sort \(radixSort), top-k \(topKReduce.groupSize)×\(topKReduce.items) (ratio gradient ×\(topKGradVectors) float16), "
            + "mask float\(maskVectorWidth), copies float\(chunkVectorWidth), flat float\(flatVectorWidth), pooling \(poolingRowTiles ? "16-output rows" : "one output per item"), channel rows \(rowLoops ? "one per item" : "4 elements per item"), GEMM group \(registerBlockGroup.columns)×\(registerBlockGroup.rows) (≥ \(minimumGemmGroups) groups), "
            + "depthwise \(depthwise), dense rows in registers \(depthwise.rowKernels && depthwise.vectorRegisters >= 32 ? Self.denseRowSummary : "off")"
    }
}

/// Launch shapes of depthwise.cl's tiled kernels.
public struct DepthwisePlan: Sendable, CustomStringConvertible {
    /// Work-items per group of depthwise_forward_tiled (each takes rows of the band in turn): 1
    /// on CPU devices (measured faster than 8, which PoCL runs one after another), 64 on GPUs.
    public let localSize: Int
    /// Planes per group (`DW_PLANES`): 4 on CPU devices, so the per-group cost is shared by
    /// about 1K outputs of a 16×16 plane; 1 on GPUs.
    public let planesPerGroup: Int
    /// Output rows each work-item of depthwise_forward_tiled computes at once (`DW_ROWS`): 1. With
    /// one accumulator per tap row (KH chains) one row measured fastest on PoCL (AVX2 EPYC: 31–43
    /// GFLOP/s median against 22–36 for 4 rows, whose extra registers spill).
    public let rowsPerStep: Int
    /// Bytes of the `__local` staging tile before a plane is cut into bands of rows: 32 KiB, or
    /// half the device's local memory where that is less.
    public let tileBytes: Int
    /// Whether the weight gradient runs depthwise_weight_grad_tiled (CPU devices: KH work-items
    /// per group, each summing a tap row as float8 lanes) or conv.cl's one-work-item-per-tap
    /// kernel (GPUs, where KH items per group would leave the device idle).
    public let tiledWeightGradient: Bool
    /// The weight gradient splits the batch until at least this many groups run: 8 per compute unit.
    public let minimumWeightGradientGroups: Int
    /// Vector registers a work-item of a CPU device has for float8 accumulators: 32 where the
    /// native float vector holds 16 (AVX-512: 32 ymm/zmm registers), else 16 (AVX2).
    public let vectorRegisters: Int
    /// Whether conv_rows.cl's kernels run where their window fits (CPU devices): rows read
    /// straight into vector registers, the padding made of zero lanes, no staging tile.
    public let rowKernels: Bool
    /// Whether the weight gradient of a window with `taps` = KH·KW runs depthwise_weight_grad_single
    /// (one work-item per group keeps every tap's float8 sum: dy read once per row, no barrier
    /// between staging and sums; measured 1.3–2.1× the KH-item kernel on the depthwise suite,
    /// AVX-512 EPYC) — when its `taps` accumulators and a few working vectors fit the registers
    /// (3×3 everywhere, 5×5 with AVX-512) — or depthwise_weight_grad_tiled.
    public func singleItemWeightGradient(taps: Int) -> Bool { taps + 4 <= vectorRegisters }

    /// Lanes per vector of conv_rows.cl's weight gradient (`DW_VW`), or nil where it does not
    /// run: CPU devices, column stride 1 or 2, every tap's offset in its row phase within
    /// `maximumRowShift` lanes, and the `taps` = KH·KW accumulators held as registers as for
    /// depthwise_weight_grad_single. It replaced that kernel and the narrow one there, at
    /// 0.33–0.70 of their time on the depthwise suite's shapes (in-process A/B, AVX-512 EPYC),
    /// since it reads each row straight into registers: no staging tile, the padding made of
    /// zero lanes. 16 lanes on AVX-512 devices for windows of up to 9 taps with rows wider than 8
    /// outputs; else 8 (25 float16 accumulators of a 5×5 window spilled, at 1.3× the time of 8
    /// lanes, and 16 lanes would leave half of an 8-wide row's empty).
    public func rowWeightGradientLanes(taps: Int, strideW: Int, outWidth: Int, rowShifts: ClosedRange<Int>) -> Int? {
        guard rowKernels, strideW == 1 || strideW == 2, singleItemWeightGradient(taps: taps),
            rowShifts.lowerBound >= -Self.maximumRowShift, rowShifts.upperBound <= Self.maximumRowShift
        else { return nil }
        return vectorRegisters >= 32 && taps <= 9 && outWidth > 8 ? 16 : 8
    }

    /// Lanes per vector of conv_rows.cl's forward correlation (`DW_VW`; the forward pass, and
    /// the stride-1 input gradient with the flipped taps), or nil where depthwise.cl's tiled
    /// kernel runs: CPU devices, column stride 1 or 2, no upsampling, every tap's shift within
    /// `maximumRowShift` lanes, and a row's output vectors (one accumulator each) with three phase
    /// vectors per column phase and two working ones within the registers. 8 lanes: on AVX-512
    /// they measured 0.18–0.90 of the tiled (and narrow-plane) kernels' time across the
    /// depthwise suite's windows and MobileNetV2's widths, and 16 lanes 1.3–2.7× the time of 8
    /// (the same at stride 2; in-process A/B, PoCL, Zen 4).
    public func rowCorrelationLanes(strideW: Int, outWidth: Int, rowShifts: ClosedRange<Int>, upsampled: Bool) -> Int? {
        guard rowKernels, !upsampled, strideW == 1 || strideW == 2,
            rowShifts.lowerBound >= -Self.maximumRowShift, rowShifts.upperBound <= Self.maximumRowShift,
            (outWidth + 7) / 8 + 3 * strideW + 2 <= vectorRegisters
        else { return nil }
        return 8
    }

    /// The largest lane shift of a tap's window in conv_rows.cl (`DW_MAX_SHIFT`).
    public static let maximumRowShift = 8

    init(tuning: DeviceTuning, device: Device) {
        localSize = min(tuning.isCPU ? 1 : 64, max(device.maxWorkGroupSize, 1))
        planesPerGroup = tuning.isCPU ? 4 : 1
        rowsPerStep = 1
        tileBytes = max(4096, min(32 << 10, Int(device.localMemoryBytes) / 2))
        tiledWeightGradient = tuning.isCPU
        minimumWeightGradientGroups = 8 * max(device.computeUnits, 1)
        vectorRegisters = device.nativeFloatVectorWidth >= 16 ? 32 : 16
        rowKernels = tuning.isCPU
    }

    public var description: String {
        "group \(localSize) × \(planesPerGroup) planes, tile ≤ \(tileBytes / 1024) KiB, weight gradient "
            + (tiledWeightGradient ? "tiled (one item per group up to \(vectorRegisters - 4) taps)" : "per tap")
            + (rowKernels ? ", rows in registers where the window fits" : "")
    }
}
