import OpenCLRuntime
import TensorCore

// The two GEMM variants `gemmRaw` dispatches to (Kernels/gemm.cl), and the panel packing the
// register-blocked one uses for transposed or large operands.
extension OpenCLBackend {
    /// `gemm_local_tiles`: work-groups of `(TS_N / WPT_N) × (TS_M / WPT_M)` items stage tiles of
    /// A and B in `__local` memory; one group per `TS_M × TS_N` tile of C and batch item.
    func gemmLocalTiles(_ p: GemmProblem, tile: KernelTunables.LocalTile) throws {
        let local = [tile.tileN / tile.workN, tile.tileM / tile.workM, 1]
        let defines = [
            "TS_M": "\(tile.tileM)", "TS_N": "\(tile.tileN)", "TS_K": "\(tile.tileK)", "WPT_M": "\(tile.workM)",
            "WPT_N": "\(tile.workN)", "TRANS_A": defineFlag(p.transposeA), "TRANS_B": defineFlag(p.transposeB),
        ]
        let global = [(p.n + tile.tileN - 1) / tile.tileN * local[0], (p.m + tile.tileM - 1) / tile.tileM * local[1], p.batch]
        try launch(
            "gemm.cl", "gemm_local_tiles", defines: defines, global: global, local: local,
            try GemmProblem.arguments(p.a) + GemmProblem.arguments(p.b) + p.tailArguments())
    }

    /// `gemm_regblock`: one work-item per `TM × VW·NV` tile of C, accumulated in registers. A is
    /// packed into row panels when transposed and large, B into column panels when transposed or
    /// large and reused by many row tiles; the panels return to the pool once the GEMM is queued.
    func gemmRegisterBlocked(_ p: GemmProblem, tile: KernelTunables.RegisterTile) throws {
        let (mTiles, nTiles) = ((p.m + tile.rows - 1) / tile.rows, (p.n + tile.columns - 1) / tile.columns)
        // Packing B costs one pass over B; it pays off when B is transposed (strided columns
        // otherwise) or large and reused by many row tiles.
        let packB = p.transposeB || (p.k * p.n >= 1 << 16 && mTiles >= 16)
        // A transposed is read across rows of the stored [K, M] (a new cache line and, when
        // large, a new page every step of K): pack it into row panels once it is large.
        let packA = p.transposeA && p.m * p.k >= 1 << 16
        let packedA = packA ? try packAPanels(p, rows: tile.rows, rowTiles: mTiles) : nil
        let packedB = packB ? try packBPanels(p, tile: tile, columnTiles: nTiles) : nil
        let aArguments = try packedA?.arguments ?? GemmProblem.arguments(p.a)
        let bArguments = try packedB?.arguments ?? GemmProblem.arguments(p.b)
        let defines = [
            "TM": "\(tile.rows)", "NV": "\(tile.vectors)", "VW": "\(tile.lanes)", "TRANS_A": defineFlag(p.transposeA && !packA),
            "A_PACKED": defineFlag(packA), "B_PACKED": defineFlag(packB),
        ]
        let local = registerBlockLocalSize(rowTiles: mTiles, columnTiles: nTiles, batch: p.batch)
        try launch(
            "gemm.cl", "gemm_regblock", defines: defines, global: [nTiles, mTiles, p.batch], local: local,
            aArguments + bArguments + p.tailArguments())
        withExtendedLifetime((packedA?.panels, packedB?.panels)) {}
    }

    /// The register-blocked work-group `[columns, rows, 1]` in tiles: `launchPlan.registerBlockGroup`
    /// (one column panel × every row tile for short products), shrunk rows first until at least
    /// `launchPlan.minimumGemmGroups` groups are in flight.
    func registerBlockLocalSize(rowTiles: Int, columnTiles: Int, batch: Int) -> [Int] {
        let preferred = launchPlan.registerBlockGroup
        var rows = min(preferred.rows, rowTiles)
        var columns = rowTiles >= preferred.rows ? min(preferred.columns, columnTiles) : 1
        func groupCount() -> Int { (columnTiles + columns - 1) / columns * ((rowTiles + rows - 1) / rows) * batch }
        while groupCount() < launchPlan.minimumGemmGroups && columns * rows > 1 {
            if rows > 1 { rows = (rows + 1) / 2 } else { columns = (columns + 1) / 2 }
        }
        return [columns, rows, 1]
    }

    /// `gemm_pack_a_panels`: transposed A `[K, M]` into row panels of `rows` (M padded to whole
    /// tiles), one per batch item unless A is shared. Returns the panels and the A arguments
    /// that read them.
    func packAPanels(_ p: GemmProblem, rows: Int, rowTiles: Int) throws -> (panels: Tensor, arguments: [KernelArgument]) {
        let mPadded = rowTiles * rows
        let items = p.a.batchStride == 0 ? 1 : p.batch
        try require(items * mPadded * p.k <= Int(Int32.max), "gemm: packed A beyond 32-bit indexing")
        let panels = try empty([items * mPadded * p.k])
        let stride = p.a.batchStride == 0 ? 0 : mPadded * p.k
        // TRANS_A: consecutive work-items read along M.
        try launch(
            "gemm.cl", "gemm_pack_a_panels", defines: ["TM": "\(rows)", "TRANS_A": "1"], global: [mPadded, p.k, items],
            try GemmProblem.arguments(p.a) + [.buffer(buffer(panels)), .index(stride), .index(p.m), .index(p.k), .index(items)])
        return (panels, try [.buffer(buffer(panels)), .int(0), .index(rows), .index(stride)])
    }

    /// `gemm_pack_b_panels`: B into column panels of `tile.columns` = VW·NV (N padded to whole
    /// tiles), one per batch item unless B is shared. Returns the panels and the B arguments.
    func packBPanels(
        _ p: GemmProblem, tile: KernelTunables.RegisterTile, columnTiles: Int
    ) throws
        -> (panels: Tensor, arguments: [KernelArgument])
    {
        let columns = tile.columns
        let nPadded = columnTiles * columns
        let items = p.b.batchStride == 0 ? 1 : p.batch
        try require(items * nPadded * p.k <= Int(Int32.max), "gemm: packed B beyond 32-bit indexing")
        let panels = try empty([items * nPadded * p.k])
        let stride = p.b.batchStride == 0 ? 0 : nPadded * p.k
        let global = p.transposeB ? [p.k, nPadded, items] : [nPadded, p.k, items]
        try launch(
            "gemm.cl", "gemm_pack_b_panels",
            defines: ["NV": "\(tile.vectors)", "VW": "\(tile.lanes)", "TRANS_B": defineFlag(p.transposeB)], global: global,
            try GemmProblem.arguments(p.b) + [.buffer(buffer(panels)), .index(stride), .index(p.n), .index(p.k), .index(items)])
        return (panels, try [.buffer(buffer(panels)), .int(0), .index(columns), .index(stride)])
    }
}
