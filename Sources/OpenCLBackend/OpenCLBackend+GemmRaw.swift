import Foundation
import OpenCLRuntime
import TensorCore

/// The two GEMM kernels of `Kernels/gemm.cl`.
public enum GemmKernelVariant: String, Sendable, CaseIterable {
    /// `gemm_regblock` (with `gemm_pack_a_panels` / `gemm_pack_b_panels` for transposed or large
    /// operands): each work-item keeps a TM × 8·NV tile of C in registers (by default 6 × 16, or
    /// 8 × 8 when M ≤ 16; see `KernelTunables`), no local memory. For CPU devices.
    case registerBlocked
    /// `gemm_local_tiles`: work-groups stage TS_M × TS_K / TS_K × TS_N tiles in `__local` (by
    /// default 64 × 16 / 16 × 64). For GPUs.
    case localTiles
}

/// One matrix operand of `gemmRaw`: a strided region of a device buffer.
struct GemmOperand {
    var buffer: Buffer
    /// Element offset of batch item 0's first element.
    var offset: Int
    /// Elements between consecutive rows as stored (the row length of the stored matrix, or more).
    var leadingDimension: Int
    /// Elements between consecutive batch items; 0 shares one matrix across the batch.
    var batchStride: Int

    init(_ buffer: Buffer, offset: Int = 0, leadingDimension: Int, batchStride: Int = 0) {
        self.buffer = buffer; self.offset = offset
        self.leadingDimension = leadingDimension; self.batchStride = batchStride
    }
}

/// What `gemmRaw` launches: the kernel variant and the tile sizes (`-D` values) it runs with.
struct GemmConfiguration {
    var variant: GemmKernelVariant
    var tunables: KernelTunables
}

extension OpenCLBackend {
    /// Work-group shape in tiles (columns, rows). PoCL runs a work-group's items in order
    /// (columns fastest), so a group's row tiles reuse its B panels from L1/L2: for large M a
    /// 4 × 16 block of tiles (measured ~130–150 GFLOP/s at 1024–2048 versus ~65 with 1 × 1
    /// groups); for the short, wide products of convolutions (M = 16–64) one column panel ×
    /// every row tile (about 2× faster there than 4 × 16).
    static let regBlockGroup = (columns: 4, rows: 16)

    /// This backend's GEMM configuration: `gemmVariant` with the tiles of `tuning`.
    var gemmConfiguration: GemmConfiguration { GemmConfiguration(variant: gemmVariant, tunables: tuning.tunables) }

    /// The variant `gemm` and the convolutions use: `gemmVariantOverride` if set, else local
    /// tiles where the device has dedicated local memory (GPUs), else register blocking.
    public var gemmVariant: GemmKernelVariant {
        gemmVariantOverride ?? (tuning.usesLocalMemoryTiles ? .localTiles : .registerBlocked)
    }

    /// `C[b] = α·op(A[b])·op(B[b]) + β·C[b]` on raw buffer regions, for `b` in `0..<batch`:
    /// op(A) is `[m, k]`, op(B) `[k, n]`, C `[m, n]`, each addressed by `GemmOperand`. With
    /// β = 0, C is not read. The caller has validated sizes; every index must fit in Int32.
    /// `configuration` (default `gemmConfiguration`) lets `KernelTuner` run its candidates.
    func gemmRaw(m: Int, n: Int, k: Int, batch: Int = 1,
                 a: GemmOperand, transposeA: Bool, b: GemmOperand, transposeB: Bool, c: GemmOperand,
                 alpha: Float, beta: Float, configuration: GemmConfiguration? = nil) throws {
        let configuration = configuration ?? gemmConfiguration
        guard m > 0, n > 0, batch > 0 else { return }
        // The last element each operand touches must be addressable with a 32-bit int.
        let stored = [(a, transposeA ? (k, m) : (m, k)), (b, transposeB ? (n, k) : (k, n)), (c, (m, n))]
        for (operand, (rows, columns)) in stored where rows > 0 && columns > 0 {
            let last = operand.offset + operand.batchStride * (batch - 1) + operand.leadingDimension * (rows - 1) + columns - 1
            try require(last <= Int(Int32.max), "gemm: operand region ends at element \(last), beyond 32-bit indexing")
        }
        let common: [KernelArgument] = try [
            .buffer(a.buffer), .index(a.offset), .index(a.leadingDimension), .index(a.batchStride),
        ]
        let tail: [KernelArgument] = try [
            .buffer(c.buffer), .index(c.offset), .index(c.leadingDimension), .index(c.batchStride),
            .index(m), .index(n), .index(k), .float(alpha), .float(beta), .index(batch),
        ]
        let flag = { (on: Bool) in on ? "1" : "0" }

        switch configuration.variant {
        case .localTiles:
            let tile = configuration.tunables.localTile
            let local = [tile.tileN / tile.workN, tile.tileM / tile.workM, 1]
            let defines = ["TS_M": "\(tile.tileM)", "TS_N": "\(tile.tileN)", "TS_K": "\(tile.tileK)",
                           "WPT_M": "\(tile.workM)", "WPT_N": "\(tile.workN)", "TRANS_A": flag(transposeA), "TRANS_B": flag(transposeB)]
            let global = [(n + tile.tileN - 1) / tile.tileN * local[0], (m + tile.tileM - 1) / tile.tileM * local[1], batch]
            let bArguments: [KernelArgument] = try [
                .buffer(b.buffer), .index(b.offset), .index(b.leadingDimension), .index(b.batchStride),
            ]
            try launch("gemm.cl", "gemm_local_tiles", defines: defines, global: global, local: local, common + bArguments + tail)

        case .registerBlocked:
            let tile = configuration.tunables.registerTile(m: m)
            let (rows, vectors, columns) = (tile.rows, tile.vectors, tile.columns)
            let (mTiles, nTiles) = ((m + rows - 1) / rows, (n + columns - 1) / columns)
            // Packing B into contiguous column panels costs one pass over B; it pays off when B is
            // transposed (strided columns otherwise) or large and reused by many row tiles.
            let packB = transposeB || (k * n >= 1 << 16 && mTiles >= 16)
            // A transposed is read across rows of the stored [K, M] (a new cache line and, when
            // large, a new page every step of K): pack it into row panels once it is large.
            let packA = transposeA && m * k >= 1 << 16
            var aArguments = common
            var packedA: Tensor?
            if packA {
                let mPadded = mTiles * rows
                let packedItems = a.batchStride == 0 ? 1 : batch
                try require(packedItems * mPadded * k <= Int(Int32.max), "gemm: packed A beyond 32-bit indexing")
                let panels = try empty([packedItems * mPadded * k])
                packedA = panels
                let global = [mPadded, k, packedItems]  // TRANS_A: consecutive work-items read along M
                try launch("gemm.cl", "gemm_pack_a_panels", defines: ["TM": "\(rows)", "TRANS_A": "1"], global: global, [
                    .buffer(a.buffer), .index(a.offset), .index(a.leadingDimension), .index(a.batchStride),
                    .buffer(buffer(panels)), .index(a.batchStride == 0 ? 0 : mPadded * k),
                    .index(m), .index(k), .index(packedItems),
                ])
                aArguments = try [.buffer(buffer(panels)), .int(0), .index(rows), .index(a.batchStride == 0 ? 0 : mPadded * k)]
            }
            var bArguments: [KernelArgument]
            var packedB: Tensor?
            if packB {
                let nPadded = nTiles * columns
                let packedItems = b.batchStride == 0 ? 1 : batch
                try require(packedItems * nPadded * k <= Int(Int32.max), "gemm: packed B beyond 32-bit indexing")
                let panels = try empty([packedItems * nPadded * k])
                packedB = panels
                let packDefines = ["NV": "\(vectors)", "TRANS_B": flag(transposeB)]
                let global = transposeB ? [k, nPadded, packedItems] : [nPadded, k, packedItems]
                try launch("gemm.cl", "gemm_pack_b_panels", defines: packDefines, global: global, [
                    .buffer(b.buffer), .index(b.offset), .index(b.leadingDimension), .index(b.batchStride),
                    .buffer(buffer(panels)), .index(b.batchStride == 0 ? 0 : nPadded * k),
                    .index(n), .index(k), .index(packedItems),
                ])
                bArguments = try [.buffer(buffer(panels)), .int(0), .index(columns), .index(b.batchStride == 0 ? 0 : nPadded * k)]
            } else {
                bArguments = try [.buffer(b.buffer), .index(b.offset), .index(b.leadingDimension), .index(b.batchStride)]
            }
            let defines = ["TM": "\(rows)", "NV": "\(vectors)", "TRANS_A": flag(transposeA && !packA), "A_PACKED": flag(packA),
                           "B_PACKED": flag(packB)]
            // Shrink the work-group (rows first) until there are enough groups to keep every
            // compute unit busy: a 24-tile product in one 16-row group would leave a core idle.
            var groupRows = min(Self.regBlockGroup.rows, mTiles)
            var groupColumns = mTiles >= Self.regBlockGroup.rows ? min(Self.regBlockGroup.columns, nTiles) : 1
            func groupCount() -> Int { (nTiles + groupColumns - 1) / groupColumns * ((mTiles + groupRows - 1) / groupRows) * batch }
            while groupCount() < 4 * device.computeUnits && groupColumns * groupRows > 1 {
                if groupRows > 1 { groupRows = (groupRows + 1) / 2 } else { groupColumns = (groupColumns + 1) / 2 }
            }
            let local = [groupColumns, groupRows, 1]
            try launch("gemm.cl", "gemm_regblock", defines: defines, global: [nTiles, mTiles, batch], local: local,
                       aArguments + bArguments + tail)
            withExtendedLifetime((packedA, packedB)) {}  // the panels return to the pool only once the GEMM is queued
        }
    }
}
