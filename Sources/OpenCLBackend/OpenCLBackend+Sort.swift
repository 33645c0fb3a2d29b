import OpenCLRuntime
import TensorCore

/// How the device radix sort (Kernels/radix_sort.cl) splits its work into blocks.
///
/// Each of the 4 passes (8-bit digits) counts digits per block, scans the counts and scatters
/// stably, each block walking its contiguous chunk in order. A CPU device wants a few large
/// blocks, each walked by one work-item (`serial`); a GPU wants hundreds of blocks, each a
/// work-group that ranks digits in `__local` memory (`workGroup`).
public struct RadixSortPlan: Sendable, Hashable, CustomStringConvertible {
    public enum Variant: String, Sendable, Hashable {
        /// `radix_*_serial`: one work-item per block, local size 1.
        case serial
        /// `radix_*_workgroup`: one work-group of `workGroupSize` items per block.
        case workGroup
    }

    public var variant: Variant
    /// Work-items per block in the `workGroup` variant (a power of two); ignored by `serial`.
    public var workGroupSize: Int
    /// Work-items of the single work-group that scans the digit counts (a power of two).
    public var scanWorkGroupSize: Int
    /// At most this many blocks.
    public var maxBlocks: Int
    /// At least this many elements per block (unless N itself is smaller).
    public var minimumChunk: Int

    public init(variant: Variant, workGroupSize: Int, scanWorkGroupSize: Int, maxBlocks: Int, minimumChunk: Int) {
        self.variant = variant; self.workGroupSize = workGroupSize; self.scanWorkGroupSize = scanWorkGroupSize
        self.maxBlocks = maxBlocks; self.minimumChunk = minimumChunk
    }

    /// The plan for a device. CPU devices (no dedicated local memory): serial blocks, at most
    /// 4 per compute unit (load balance) and at least 16 Ki elements each, a one-item scan.
    /// GPUs: work-groups of 256 (or the device maximum), up to 1024 blocks of at least 8 tiles.
    public static func standard(tuning: DeviceTuning, device: Device) -> RadixSortPlan {
        if tuning.usesLocalMemoryTiles {
            let wg = largestPowerOfTwo(atMost: min(256, device.maxWorkGroupSize))
            return RadixSortPlan(
                variant: .workGroup, workGroupSize: wg, scanWorkGroupSize: wg,
                maxBlocks: 1024, minimumChunk: 8 * wg)
        }
        return RadixSortPlan(
            variant: .serial, workGroupSize: 1, scanWorkGroupSize: 1,
            maxBlocks: max(1, 4 * device.computeUnits), minimumChunk: 16_384)
    }

    /// Block count and chunk length for `n` elements: `chunk = ⌈n / blocks⌉`, then
    /// `blocks = ⌈n / chunk⌉` so that no block is empty.
    public func layout(count n: Int) -> (blocks: Int, chunk: Int) {
        let wanted = min(max(1, maxBlocks), max(1, (n + max(1, minimumChunk) - 1) / max(1, minimumChunk)))
        let chunk = max(1, (n + wanted - 1) / wanted)
        return (max(1, (n + chunk - 1) / chunk), chunk)
    }

    /// Throws `TensorError.argument` unless the sizes are powers of two the device can launch.
    func validate(maxWorkGroupSize: Int) throws {
        func isPowerOfTwo(_ x: Int) -> Bool { x >= 1 && x & (x - 1) == 0 }
        guard isPowerOfTwo(scanWorkGroupSize), scanWorkGroupSize <= maxWorkGroupSize,
            variant == .serial || (isPowerOfTwo(workGroupSize) && workGroupSize <= maxWorkGroupSize),
            maxBlocks >= 1, minimumChunk >= 1
        else {
            throw TensorError.argument(
                "rankNormalize: invalid radix sort plan (\(self)) for a device with work-groups of at most \(maxWorkGroupSize)")
        }
    }

    static func largestPowerOfTwo(atMost x: Int) -> Int {
        var p = 1
        while p * 2 <= x { p *= 2 }
        return p
    }

    public var description: String {
        "\(variant.rawValue) blocks, work-group \(workGroupSize), scan work-group \(scanWorkGroupSize), "
            + "at most \(maxBlocks) blocks of at least \(minimumChunk)"
    }
}

extension OpenCLBackend {
    /// `ranks[i] = (position of i in the ascending stable order + 1)/n` for `x: [n]` under
    /// rankNormalize's rule (NaN first, −0 == +0, ties by index): four LSD radix passes of
    /// Kernels/radix_sort.cl; the first reads the floats, the last writes the ranks.
    func radixRanks(_ x: Tensor, count n: Int, plan: RadixSortPlan) throws -> Tensor {
        let file = "radix_sort.cl"
        let defines = ["RADIX_WG": "\(plan.workGroupSize)", "SCAN_WG": "\(plan.scanWorkGroupSize)"]
        let (blocks, chunk) = plan.layout(count: n)
        guard 256 * blocks <= Int(Int32.max) else {
            throw TensorError.argument("rankNormalize: \(blocks) blocks of the radix sort plan (\(plan)) are too many for \(n) elements")
        }
        let ranks = try empty([n])
        // Scratch tensors hold uint keys and int indices (4 bytes each, like Float).
        var keys = try empty([n]), index = try empty([n])
        var keysNext = try empty([n]), indexNext = try empty([n])
        let counts = try empty([256 * blocks])
        let (magic, magicShift) = Self.exactRatioMagic(n)
        let (global, local): ([Int], [Int]) =
            plan.variant == .serial
            ? ([blocks], [1]) : ([blocks * plan.workGroupSize], [plan.workGroupSize])
        let suffix = plan.variant == .serial ? "serial" : "workgroup"
        for pass in 0..<4 {
            let flags = (pass == 0 ? 1 : 0) | (pass == 3 ? 2 : 0)  // PASS_FROM_FLOATS | PASS_TO_RANKS
            let source = pass == 0 ? x : keys
            let shape: [KernelArgument] = try [
                .index(n), .index(chunk), .index(blocks),
                .index(8 * pass), .index(flags),
            ]
            try launch(
                file, "radix_histogram_" + suffix, defines: defines, global: global, local: local,
                [.buffer(buffer(source)), .buffer(buffer(counts))] + shape)
            try launch(
                file, "radix_scan_counts", defines: defines,
                global: [plan.scanWorkGroupSize], local: [plan.scanWorkGroupSize],
                [.buffer(buffer(counts)), .index(256 * blocks)])
            try launch(
                file, "radix_scatter_" + suffix, defines: defines, global: global, local: local,
                [
                    .buffer(buffer(source)), .buffer(buffer(index)), .buffer(buffer(keysNext)),
                    .buffer(buffer(indexNext)), .buffer(buffer(ranks)), .buffer(buffer(counts)),
                ] + shape
                    + [
                        .uint(UInt32(truncatingIfNeeded: magic)), .uint(UInt32(truncatingIfNeeded: magic >> 32)),
                        .index(magicShift),
                    ])
            swap(&keys, &keysNext)
            swap(&index, &indexNext)
        }
        return ranks
    }

    /// `(magic, k)` with `magic = ⌈2^k / n⌉` and `k = max(64, 56 + ⌈log2 n⌉)`: then
    /// `⌊x / n⌋ = (x · magic) >> k` for every `x < 2^56` (radix_sort.cl's exact_ratio).
    static func exactRatioMagic(_ n: Int) -> (magic: UInt64, shift: Int) {
        guard n >= 2 else { return (0, 64) }  // n = 1: every ratio is 1, no division
        let ceilLog2 = Int.bitWidth - (n - 1).leadingZeroBitCount
        let k = max(64, 56 + ceilLog2)
        let (quotient, remainder) = UInt64(n).dividingFullWidth((high: UInt64(1) << (k - 64), low: 0))
        return (quotient + (remainder == 0 ? 0 : 1), k)
    }
}
