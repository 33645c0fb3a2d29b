// gemm.cl — batched matrix multiply C[b] = α·op(A[b])·op(B[b]) + β·C[b], and the row bias add.
//
// Layout: every matrix is row-major inside one float buffer, addressed by an element offset,
// a leading dimension (elements between consecutive rows as stored) and a batch stride
// (elements between consecutive batch items; 0 shares one operand across the batch).
//   op(A) is [M, K]: stored A is [M, K] (A(i, p) = a[i·lda + p]), or [K, M] with TRANS_A
//   (A(i, p) = a[p·lda + i]). op(B) is [K, N]: stored B is [K, N] (B(p, j) = b[p·ldb + j]),
//   or [N, K] with TRANS_B. C is [M, N] with leading dimension ldc.
//   Packed B (gemm_pack_b_panels → gemm_regblock with B_PACKED=1): op(B) cut into column
//   panels of TN = VW·NV columns, panel-major: Bp[nt][p][c] = op(B)(p, nt·TN + c), zero past N.
//   Packed A (gemm_pack_a_panels → A_PACKED=1): row panels of TM rows, Ap[mt][p][r] =
//   op(A)(mt·TM + r, p), zero past M.
// With β = 0 the old contents of C are never read (NaN in C does not propagate).
//
// Tunables (-D):
//   TM        rows of C per work-item in gemm_regblock (1…8; default 6, as KernelTunables.defaults)
//   NV        column vectors per work-item in gemm_regblock (1 or 2; default 2), TN = VW·NV
//   VW        lanes per column vector (8: float8, 256-bit; 16: float16, one AVX-512 register;
//             default 8)
//   TRANS_A   1: A is stored [K, M] (gemm_regblock, gemm_pack_a_panels, gemm_local_tiles; default 0)
//   TRANS_B   1: B is stored [N, K] (gemm_pack_b_panels, gemm_local_tiles; default 0)
//   A_PACKED  1: gemm_regblock reads A from gemm_pack_a_panels' layout (default 0: stored A)
//   B_PACKED  1: gemm_regblock reads B from gemm_pack_b_panels' layout (default 0: B is [K, N])
//   TS_M, TS_N, TS_K  work-group tile of gemm_local_tiles (defaults 64, 64, 16)
//   WPT_M, WPT_N      C elements per work-item of gemm_local_tiles (defaults 4, 4); the
//                     work-group is (TS_N / WPT_N) × (TS_M / WPT_M) work-items
// The host passes TM/NV and TS_*/WPT_* from KernelTunables: built-in defaults, or the per-device
// choice of KernelTuner (KernelTuner.swift), which checks every candidate exactly before timing it.
//
// Launched by: OpenCLBackend.gemmRaw (OpenCLBackend+GemmRaw.swift) for gemm_regblock,
// gemm_pack_a_panels, gemm_pack_b_panels and gemm_local_tiles; OpenCLBackend.addBias
// (OpenCLBackend+Gemm.swift) for add_bias_rows.

#ifndef TM
#define TM 6
#endif
#ifndef NV
#define NV 2
#endif
#ifndef VW
#define VW 8
#endif
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif
#ifndef A_PACKED
#define A_PACKED 0
#endif
#ifndef B_PACKED
#define B_PACKED 0
#endif
#ifndef TS_M
#define TS_M 64
#endif
#ifndef TS_N
#define TS_N 64
#endif
#ifndef TS_K
#define TS_K 16
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif

#define TN (VW * NV)

// The vector type of one B row segment: VW lanes (8 or 16).
#if VW == 16
#define floatV float16
#define vloadV vload16
#define vstoreV vstore16
#else
#define floatV float8
#define vloadV vload8
#define vstoreV vstore8
#endif

// ---------------------------------------------------------------------------------------------
// gemm_pack_b_panels: Bp[batch][nt][p][c] = op(B)(p, nt·TN + c), 0 where nt·TN + c ≥ N.
// One work-item per packed element: global (TN·⌈N/TN⌉, K, batch) without TRANS_B (reads along
// rows of B), (K, TN·⌈N/TN⌉, batch) with TRANS_B (reads along rows of the stored [N, K]).
__kernel void gemm_pack_b_panels(__global const float* restrict b, const int bOff, const int ldb, const int bBatch,
                                 __global float* restrict bp, const int bpBatch,
                                 const int N, const int K, const int batchCount) {
#if TRANS_B
    const int p = get_global_id(0), j = get_global_id(1);
#else
    const int j = get_global_id(0), p = get_global_id(1);
#endif
    const int batch = get_global_id(2);
    const int nPadded = (N + TN - 1) / TN * TN;
    if (j >= nPadded || p >= K || batch >= batchCount) return;
#if TRANS_B
    const float v = j < N ? b[bOff + batch * bBatch + j * ldb + p] : 0.0f;
#else
    const float v = j < N ? b[bOff + batch * bBatch + p * ldb + j] : 0.0f;
#endif
    bp[batch * bpBatch + ((j / TN) * K + p) * TN + (j % TN)] = v;
}

// ---------------------------------------------------------------------------------------------
// gemm_pack_a_panels: Ap[batch][mt][p][r] = op(A)(mt·TM + r, p), 0 where mt·TM + r ≥ M.
// One work-item per packed element: global (K, TM·⌈M/TM⌉, batch) without TRANS_A (reads along
// rows of A), (TM·⌈M/TM⌉, K, batch) with TRANS_A (reads along rows of the stored [K, M]).
__kernel void gemm_pack_a_panels(__global const float* restrict a, const int aOff, const int lda, const int aBatch,
                                 __global float* restrict ap, const int apBatch,
                                 const int M, const int K, const int batchCount) {
#if TRANS_A
    const int i = get_global_id(0), p = get_global_id(1);
#else
    const int p = get_global_id(0), i = get_global_id(1);
#endif
    const int batch = get_global_id(2);
    const int mPadded = (M + TM - 1) / TM * TM;
    if (i >= mPadded || p >= K || batch >= batchCount) return;
#if TRANS_A
    const float v = i < M ? a[aOff + batch * aBatch + p * lda + i] : 0.0f;
#else
    const float v = i < M ? a[aOff + batch * aBatch + i * lda + p] : 0.0f;
#endif
    ap[batch * apBatch + ((i / TM) * K + p) * TM + (i % TM)] = v;
}

// ---------------------------------------------------------------------------------------------
// gemm_regblock: register-blocked GEMM for CPU devices (no local memory).
// Work-item (nt, mt, batch) computes the TM × TN tile of C at rows mt·TM…, columns nt·TN…:
// TM·NV accumulators of VW lanes, one pass over K (each step: NV vector loads of a B row
// segment, TM scalar A loads broadcast into TM·NV fused multiply-adds). Global (⌈N/TN⌉, ⌈M/TM⌉, batch).
// A is read in place (TM row pointers, TRANS_A selecting the layout) or, with A_PACKED, from
// gemm_pack_a_panels' layout (TM contiguous values per step of K).
// Edge tiles: rows past M read the clamped last row (direct A) or the zero padding (packed A),
// and their results are not stored; columns past N read clamped (direct B) or the zero padding
// (packed B); the store is guarded.

#if TRANS_A
#define A_ROW_BASE(row) (a + (row))
#define A_AT(base, p) (base)[(p) * lda]
#else
#define A_ROW_BASE(row) (a + (row) * lda)
#define A_AT(base, p) (base)[(p)]
#endif

#if A_PACKED
#define A_VALUE(r, p) apanel[(p) * TM + (r)]
#else
#define A_VALUE(r, p) A_AT(arow[r], p)
#endif

// acc[r][v] += A(row r, p) · brow[v] for every r, v.
#define GEMM_RANK1_UPDATE(p)                                                        \
    _Pragma("unroll") for (int r = 0; r < TM; ++r) {                                \
        const floatV av = (floatV)(A_VALUE(r, p));                                  \
        _Pragma("unroll") for (int v = 0; v < NV; ++v) acc[r][v] = fma(av, brow[v], acc[r][v]); \
    }

__kernel void gemm_regblock(__global const float* restrict a, const int aOff, const int lda, const int aBatch,
                            __global const float* restrict b, const int bOff, const int ldb, const int bBatch,
                            __global float* restrict c, const int cOff, const int ldc, const int cBatch,
                            const int M, const int N, const int K, const float alpha, const float beta,
                            const int batchCount) {
    const int nt = get_global_id(0), mt = get_global_id(1), batch = get_global_id(2);
    const int i0 = mt * TM, j0 = nt * TN;
    if (i0 >= M || j0 >= N || batch >= batchCount) return;
    a += aOff + batch * aBatch;
    b += bOff + batch * bBatch;
    c += cOff + batch * cBatch;

#if A_PACKED
    __global const float* apanel = a + mt * K * TM;  // this panel: [K][TM], zero-padded
#else
    __global const float* arow[TM];
    _Pragma("unroll") for (int r = 0; r < TM; ++r) arow[r] = A_ROW_BASE(min(i0 + r, M - 1));
#endif

    floatV acc[TM][NV];
    _Pragma("unroll") for (int r = 0; r < TM; ++r)
        _Pragma("unroll") for (int v = 0; v < NV; ++v) acc[r][v] = (floatV)(0.0f);

#if B_PACKED
    __global const float* bcol = b + nt * K * TN;  // this panel: [K][TN], zero-padded
    for (int p = 0; p < K; ++p) {
        floatV brow[NV];
        _Pragma("unroll") for (int v = 0; v < NV; ++v) brow[v] = vloadV(0, bcol + p * TN + VW * v);
        GEMM_RANK1_UPDATE(p)
    }
#else
    __global const float* bcol = b + j0;
    if (j0 + TN <= N) {
        for (int p = 0; p < K; ++p) {
            floatV brow[NV];
            _Pragma("unroll") for (int v = 0; v < NV; ++v) brow[v] = vloadV(0, bcol + p * ldb + VW * v);
            GEMM_RANK1_UPDATE(p)
        }
    } else {
        // Right edge: clamp every column index to N − 1 so no load leaves the matrix.
        int col[TN];
        _Pragma("unroll") for (int q = 0; q < TN; ++q) col[q] = min(q, N - 1 - j0);
        for (int p = 0; p < K; ++p) {
            __global const float* brp = bcol + p * ldb;
            floatV brow[NV];
            _Pragma("unroll") for (int v = 0; v < NV; ++v) {
                float lanes[VW];
                _Pragma("unroll") for (int q = 0; q < VW; ++q) lanes[q] = brp[col[VW * v + q]];
                brow[v] = vloadV(0, lanes);
            }
            GEMM_RANK1_UPDATE(p)
        }
    }
#endif

    // Store α·acc (+ β·C): vector stores for a full-width tile, element by element at the edge.
    const bool fullWidth = j0 + TN <= N;
    _Pragma("unroll") for (int r = 0; r < TM; ++r) {
        const int i = i0 + r;
        if (i < M) {
            __global float* crow = c + i * ldc + j0;
            _Pragma("unroll") for (int v = 0; v < NV; ++v) {
                if (fullWidth) {
                    floatV out = alpha * acc[r][v];
                    if (beta != 0.0f) out = fma((floatV)(beta), vloadV(0, crow + VW * v), out);
                    vstoreV(out, 0, crow + VW * v);
                } else {
                    float lanes[VW];
                    vstoreV(acc[r][v], 0, lanes);
                    for (int q = 0; q < VW; ++q) {
                        const int j = j0 + VW * v + q;
                        if (j < N) crow[VW * v + q] = beta != 0.0f ? fma(beta, crow[VW * v + q], alpha * lanes[q]) : alpha * lanes[q];
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gemm_local_tiles: work-group tiled GEMM for GPUs. A work-group of (TS_N/WPT_N) × (TS_M/WPT_M)
// work-items computes a TS_M × TS_N tile of C; each work-item computes WPT_M × WPT_N elements
// strided by the work-group size (rows ly + r·RTS_M, columns lx + q·RTS_N). K is walked in
// steps of TS_K: the work-group stages the A and B sub-tiles in __local (zero outside the
// matrices), synchronizes, and accumulates from local memory. Global (⌈N/TS_N⌉·RTS_N,
// ⌈M/TS_M⌉·RTS_M, batch) with local (RTS_N, RTS_M, 1).

#define RTS_M (TS_M / WPT_M)
#define RTS_N (TS_N / WPT_N)

#if TRANS_A
#define A_GLOBAL(i, p) a[(p) * lda + (i)]
#else
#define A_GLOBAL(i, p) a[(i) * lda + (p)]
#endif
#if TRANS_B
#define B_GLOBAL(p, j) b[(j) * ldb + (p)]
#else
#define B_GLOBAL(p, j) b[(p) * ldb + (j)]
#endif

__kernel void gemm_local_tiles(__global const float* restrict a, const int aOff, const int lda, const int aBatch,
                               __global const float* restrict b, const int bOff, const int ldb, const int bBatch,
                               __global float* restrict c, const int cOff, const int ldc, const int cBatch,
                               const int M, const int N, const int K, const float alpha, const float beta,
                               const int batchCount) {
    __local float As[TS_K][TS_M + 1];
    __local float Bs[TS_K][TS_N + 1];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int tileN = get_group_id(0) * TS_N, tileM = get_group_id(1) * TS_M;
    const int batch = get_global_id(2);
    // No early return: every work-item must reach the barriers. Out-of-range batches only skip the store.
    const bool batchValid = batch < batchCount;
    const int safeBatch = batchValid ? batch : 0;
    a += aOff + safeBatch * aBatch;
    b += bOff + safeBatch * bBatch;
    c += cOff + safeBatch * cBatch;
    const int tid = ly * RTS_N + lx;
    const int threads = RTS_M * RTS_N;

    float acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; ++r)
        for (int q = 0; q < WPT_N; ++q) acc[r][q] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TS_K) {
        // Stage A(tileM…+TS_M, k0…+TS_K) and B(k0…+TS_K, tileN…+TS_N), zero outside the matrices.
        for (int e = tid; e < TS_M * TS_K; e += threads) {
#if TRANS_A
            const int mm = e % TS_M, kk = e / TS_M;  // consecutive work-items read along M
#else
            const int kk = e % TS_K, mm = e / TS_K;  // consecutive work-items read along K
#endif
            const int i = tileM + mm, p = k0 + kk;
            As[kk][mm] = (i < M && p < K) ? A_GLOBAL(i, p) : 0.0f;
        }
        for (int e = tid; e < TS_N * TS_K; e += threads) {
#if TRANS_B
            const int kk = e % TS_K, nn = e / TS_K;  // consecutive work-items read along K
#else
            const int nn = e % TS_N, kk = e / TS_N;  // consecutive work-items read along N
#endif
            const int j = tileN + nn, p = k0 + kk;
            Bs[kk][nn] = (j < N && p < K) ? B_GLOBAL(p, j) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TS_K; ++kk) {
            float bv[WPT_N];
            for (int q = 0; q < WPT_N; ++q) bv[q] = Bs[kk][lx + q * RTS_N];
            for (int r = 0; r < WPT_M; ++r) {
                const float av = As[kk][ly + r * RTS_M];
                for (int q = 0; q < WPT_N; ++q) acc[r][q] = fma(av, bv[q], acc[r][q]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (!batchValid) return;
    for (int r = 0; r < WPT_M; ++r) {
        const int i = tileM + ly + r * RTS_M;
        if (i >= M) continue;
        for (int q = 0; q < WPT_N; ++q) {
            const int j = tileN + lx + q * RTS_N;
            if (j >= N) continue;
            const float out = alpha * acc[r][q];
            c[i * ldc + j] = beta != 0.0f ? fma(beta, c[i * ldc + j], out) : out;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// add_bias_rows: y[r, j] = x[r, j] + bias[j] for x, y: [rows, cols], bias: [cols].
// One work-item per element: global (cols, rows).
__kernel void add_bias_rows(__global const float* restrict x, __global const float* restrict bias,
                            __global float* restrict y, const int rows, const int cols) {
    const int j = get_global_id(0), r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    y[r * cols + j] = x[r * cols + j] + bias[j];
}
