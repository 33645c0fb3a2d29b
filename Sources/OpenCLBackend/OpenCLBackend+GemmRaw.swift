import Foundation
import OpenCLRuntime
import TensorCore

/// The two GEMM kernels of `Kernels/gemm.cl`.
public enum GemmKernelVariant: String, Sendable, CaseIterable {
    /// `gemm_regblock` (with `gemm_pack_a_panels` / `gemm_pack_b_panels` for transposed or large
    /// operands): each work-item keeps a TM × VW·NV tile of C in registers (by default 6 × 16, or
    /// 8 × 8 when M ≤ 16, on 8 lanes; see `KernelTunables`), no local memory. For CPU devices.
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
    /// This backend's GEMM configuration: `gemmVariant` with the tiles of `activeTunables`.
    var gemmConfiguration: GemmConfiguration { GemmConfiguration(variant: gemmVariant, tunables: activeTunables) }

    /// The variant `gemm` and the convolutions use: `gemmVariantOverride` if set, else local
    /// tiles where the device has dedicated local memory (GPUs), else register blocking.
    public var gemmVariant: GemmKernelVariant {
        gemmVariantOverride ?? (tuning.usesLocalMemoryTiles ? .localTiles : .registerBlocked)
    }

    /// `C[b] = α·op(A[b])·op(B[b]) + β·C[b]` on raw buffer regions, for `b` in `0..<batch`:
    /// op(A) is `[m, k]`, op(B) `[k, n]`, C `[m, n]`, each addressed by `GemmOperand`. With
    /// β = 0, C is not read. The caller has validated sizes; every index must fit in Int32.
    /// `configuration` (default `gemmConfiguration`) lets `KernelTuner` run its candidates.
    func gemmRaw(
        m: Int, n: Int, k: Int, batch: Int = 1,
        a: GemmOperand, transposeA: Bool, b: GemmOperand, transposeB: Bool, c: GemmOperand,
        alpha: Float, beta: Float, configuration: GemmConfiguration? = nil
    ) throws {
        let configuration = configuration ?? gemmConfiguration
        guard m > 0, n > 0, batch > 0 else { return }
        // The last element each operand touches must be addressable with a 32-bit int.
        let stored = [(a, transposeA ? (k, m) : (m, k)), (b, transposeB ? (n, k) : (k, n)), (c, (m, n))]
        for (operand, (rows, columns)) in stored where rows > 0 && columns > 0 {
            let last = operand.offset + operand.batchStride * (batch - 1) + operand.leadingDimension * (rows - 1) + columns - 1
            try require(last <= Int(Int32.max), "gemm: operand region ends at element \(last), beyond 32-bit indexing")
        }
        let problem = GemmProblem(
            m: m, n: n, k: k, batch: batch, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
            c: c, alpha: alpha, beta: beta)
        switch configuration.variant {
        case .localTiles: try gemmLocalTiles(problem, tile: configuration.tunables.localTile)
        case .registerBlocked: try gemmRegisterBlocked(problem, tile: configuration.tunables.registerTile(m: m))
        }
    }
}

/// The arguments of one `gemmRaw` call, as its variants receive them.
struct GemmProblem {
    var m: Int, n: Int, k: Int, batch: Int
    var a: GemmOperand, transposeA: Bool
    var b: GemmOperand, transposeB: Bool
    var c: GemmOperand
    var alpha: Float, beta: Float

    /// The kernel arguments of an operand: buffer, offset, leading dimension, batch stride.
    static func arguments(_ operand: GemmOperand) throws -> [KernelArgument] {
        try [.buffer(operand.buffer), .index(operand.offset), .index(operand.leadingDimension), .index(operand.batchStride)]
    }

    /// The arguments every GEMM kernel ends with: C, then m, n, k, α, β and the batch.
    func tailArguments() throws -> [KernelArgument] {
        try Self.arguments(c) + [.index(m), .index(n), .index(k), .float(alpha), .float(beta), .index(batch)]
    }
}

/// `"1"` or `"0"` for a `-D` flag.
func defineFlag(_ on: Bool) -> String { on ? "1" : "0" }
