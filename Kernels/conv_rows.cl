// conv_rows.cl — convolutions with every input row read straight into vector registers: no
// staging tile, no padded copy, no barrier, the padding made of zero lanes in registers. For CPU
// devices. Four kernels: the depthwise weight gradient (depthwise_weight_grad_rows), the
// depthwise forward correlation (depthwise_forward_rows; also the stride-1 input gradient with
// the taps flipped), and, at the end, the dense (grouped) forward correlation (conv2d_rows; also
// the stride-1 input gradient, with conv_direct_weights' flipped, channel-swapped weights) and
// the dense weight gradient (conv2d_weight_grad_rows).
// The DW_ defines name the convolution window, whichever kernel reads it.
//
// The depthwise weight gradient (groups = C_in = C_out, weight [C, 1, KH, KW]):
//
//   partial[s, c, p, q] = Σ_{n ∈ split s} Σ_{i < OH, j < OW} dy[n, c, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]
//
// with x taken as 0 outside [0, H) × [0, W); split s covers images [s·perSplit, min(N, (s+1)·perSplit)).
// Layout: x [N, C, H, W], dy [N, C, OH, OW], partial [splits, C, KH, KW] (conv.cl's
// conv_sum_partials adds the splits; with one split the host passes dw itself).
//
// A work-item owns channel c (dimension 1) and split s (dimension 2) and keeps KH·KW
// accumulators of VW lanes: lane l of acc[p][q] sums the output columns j ≡ l (mod VW), and the
// lanes are added at the end. The column stride SW (1 or 2) splits an input row into SW phases,
// phase r holding columns SW·m + r; a tile of VW output columns j = VW·t + l at tap offset
// d = q·DW − PW reads input columns SW·(VW·t + l) + d, which are lanes VW·t + l + e of phase
// r = d mod SW with e = ⌊d / SW⌋. So each tap is a window of three consecutive phase vectors
// (t − 1, t, t + 1) shifted by e lanes, |e| ≤ VW, a compile-time shift once the tap loop
// unrolls. Vectors past the row, and the one before it, are zeros: that is the padding.
// Each (n, c) plane is read once from memory (its rows KH times, from L1), and the next image's
// rows are prefetched while this one's are summed, so the pass streams x and dy from memory.
//
// Tunables (-D): DW_KH, DW_KW, DW_SH, DW_SW, DW_PH, DW_PW, DW_DH, DW_DW (the window; defaults
// 3×3, stride 1, pad 1, dilation 1; DW_SW must be 1 or 2 and |e| ≤ DW_MAX_SHIFT = 8 for every
// tap: the host's test), DW_FLIP (0; the depthwise forward kernel's flipped taps), DW_VW (lanes
// per vector: 8, default, or 16), DW_IW and DW_OW (the input and output widths, compile-time so
// every row's vector loop unrolls and its full, partial and empty vectors are known; defaults
// 16), OCB (the dense kernels' output channels per work-item; default 8).
//
// Launched by: OpenCLBackend.depthwiseBackwardWeight and depthwiseCorrelate (for depthwiseForward
// and the stride-1 depthwiseBackwardInput), Sources/OpenCLBackend/OpenCLBackend+Depthwise.swift,
// where DepthwisePlan.rowWeightGradientLanes / rowCorrelationLanes give lanes; conv2d_rows by
// OpenCLBackend.convDirect (OpenCLBackend+ConvolutionDirect.swift) where
// LaunchPlan.denseRowChannels gives its channel block, and conv2d_weight_grad_rows by
// OpenCLBackend.conv2dBackwardWeightDirect (same file) where LaunchPlan.denseRowWeightGradient
// gives its block and lanes.

#ifndef DW_KH
#define DW_KH 3
#endif
#ifndef DW_KW
#define DW_KW 3
#endif
#ifndef DW_SH
#define DW_SH 1
#endif
#ifndef DW_SW
#define DW_SW 1
#endif
#ifndef DW_PH
#define DW_PH 1
#endif
#ifndef DW_PW
#define DW_PW 1
#endif
#ifndef DW_DH
#define DW_DH 1
#endif
#ifndef DW_DW
#define DW_DW 1
#endif
#ifndef DW_VW
#define DW_VW 8
#endif
#ifndef DW_IW
#define DW_IW 16
#endif
#ifndef DW_OW
#define DW_OW 16
#endif

#if DW_VW == 16
typedef float16 dw_vec;
typedef int16 dw_ivec;
#define DW_LOAD vload16
#define DW_STORE vstore16
#define DW_LANES ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#define DW_SEQ(b) (b), (b) + 1, (b) + 2, (b) + 3, (b) + 4, (b) + 5, (b) + 6, (b) + 7, (b) + 8, (b) + 9, (b) + 10, (b) + 11, (b) + 12, (b) + 13, (b) + 14, (b) + 15
#define DW_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define DW_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#elif DW_VW == 8
typedef float8 dw_vec;
typedef int8 dw_ivec;
#define DW_LOAD vload8
#define DW_STORE vstore8
#define DW_LANES ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
#define DW_SEQ(b) (b), (b) + 1, (b) + 2, (b) + 3, (b) + 4, (b) + 5, (b) + 6, (b) + 7
#define DW_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define DW_ODD 1, 3, 5, 7, 9, 11, 13, 15
#else
#error "DW_VW must be 8 or 16"
#endif

// Lanes [start, start + VW) of a row of `count` floats, 0 past its end (start ≥ 0), for a row
// inside a buffer that ends at `end`: one vector load with the lanes past the row zeroed by a
// select, or lane by lane where the vector would cross the buffer's end (its last row).
__attribute__((always_inline)) inline dw_vec dw_row_vector(__global const float* row, const int start, const int count, __global const float* end) {
    if (start + DW_VW <= count) return DW_LOAD(0, row + start);
    if (start >= count) return (dw_vec)(0.0f);
    if (row + start + DW_VW <= end) return select((dw_vec)(0.0f), DW_LOAD(0, row + start), DW_LANES < (dw_ivec)(count - start));
    float lanes[DW_VW];
#pragma unroll
    for (int l = 0; l < DW_VW; ++l) lanes[l] = start + l < count ? row[start + l] : 0.0f;
    return DW_LOAD(0, lanes);
}

// Phase vectors k of an input row of W floats: ph[r] lane m = row[SW·(VW·k + m) + r] (0 past the row).
__attribute__((always_inline)) inline void dw_phase_vectors(dw_vec* ph, __global const float* row, const int k, const int W, __global const float* end) {
#if DW_SW == 1
    ph[0] = dw_row_vector(row, DW_VW * k, W, end);
#else
    const dw_vec a = dw_row_vector(row, 2 * DW_VW * k, W, end), b = dw_row_vector(row, 2 * DW_VW * k + DW_VW, W, end);
#if defined(__clang__)
    ph[0] = __builtin_shufflevector(a, b, DW_EVEN);
    ph[1] = __builtin_shufflevector(a, b, DW_ODD);
#else
    ph[0] = (dw_vec)(a.even, b.even);
    ph[1] = (dw_vec)(a.odd, b.odd);
#endif
#endif
}

// Lane l of the result is lane VW + l + e of prev ++ cur ++ next, |e| ≤ DW_MAX_SHIFT (a
// compile-time constant in every call, so the switch folds to one two-source shuffle — AVX-512's
// valignd — or to cur itself).
#define DW_MAX_SHIFT 8
#if defined(__clang__)
#define DW_BEFORE(e) case e: return __builtin_shufflevector(prev, cur, DW_SEQ(DW_VW + (e)));
#define DW_AFTER(e) case e: return __builtin_shufflevector(cur, next, DW_SEQ(e));
__attribute__((always_inline)) inline dw_vec dw_window(const dw_vec prev, const dw_vec cur, const dw_vec next, const int e) {
    switch (e) {
        DW_BEFORE(-8) DW_BEFORE(-7) DW_BEFORE(-6) DW_BEFORE(-5) DW_BEFORE(-4) DW_BEFORE(-3) DW_BEFORE(-2) DW_BEFORE(-1)
        DW_AFTER(1) DW_AFTER(2) DW_AFTER(3) DW_AFTER(4) DW_AFTER(5) DW_AFTER(6) DW_AFTER(7) DW_AFTER(8)
        default: return cur;
    }
}
#else
__attribute__((always_inline)) inline dw_vec dw_window(const dw_vec prev, const dw_vec cur, const dw_vec next, const int e) {
    if (e == 0) return cur;
    float in[3 * DW_VW], out[DW_VW];
    DW_STORE(prev, 0, in);
    DW_STORE(cur, 1, in);
    DW_STORE(next, 2, in);
#pragma unroll
    for (int l = 0; l < DW_VW; ++l) out[l] = in[DW_VW + l + e];
    return DW_LOAD(0, out);
}
#endif

// A hint to fetch the 64-byte line holding *p (clang's builtin; nothing elsewhere).
#if defined(__clang__)
#define DW_PREFETCH(p) __builtin_prefetch(p)
#else
#define DW_PREFETCH(p)
#endif

// ⌊a / b⌋ and a mod b (0 ≤ result < b) for b > 0; both fold at compile time here.
#define DW_FLOOR_DIV(a, b) ((a) >= 0 ? (a) / (b) : -((-(a) + (b) - 1) / (b)))
#define DW_MOD(a, b) ((a) - (b) * DW_FLOOR_DIV(a, b))

// One input row's phase vectors around output tile t: before[r], at[r] and after[r] are its
// phase vectors t − 1, t and t + 1 (zeros before the row and past it).
typedef struct {
    dw_vec before[DW_SW], at[DW_SW], after[DW_SW];
} dw_row_window;

// The window at output tile 0 of `row` (W floats, in a buffer ending at `end`).
__attribute__((always_inline)) inline void dw_row_start(dw_row_window* w, __global const float* row, const int W,
                                                        __global const float* end) {
#pragma unroll
    for (int r = 0; r < DW_SW; ++r) w->before[r] = (dw_vec)(0.0f);
    dw_phase_vectors(w->at, row, 0, W, end);
    dw_phase_vectors(w->after, row, 1, W, end);
}

// Moves the window from output tile t − 1 to t (loading phase vectors t + 1).
__attribute__((always_inline)) inline void dw_row_advance(dw_row_window* w, __global const float* row, const int t, const int W,
                                                          __global const float* end) {
#pragma unroll
    for (int r = 0; r < DW_SW; ++r) {
        w->before[r] = w->at[r];
        w->at[r] = w->after[r];
    }
    dw_phase_vectors(w->after, row, t + 1, W, end);
}

// The input columns tap q reads for the window's output tile: x[SW·j − PW + q·DW] for its VW
// columns j, as lanes.
__attribute__((always_inline)) inline dw_vec dw_tap(const dw_row_window* w, const int q) {
    const int d = q * DW_DW - DW_PW;
    const int r = DW_MOD(d, DW_SW), e = DW_FLOOR_DIV(d, DW_SW);
    return dw_window(w->before[r], w->at[r], w->after[r], e);
}

__kernel void depthwise_weight_grad_rows(__global const float* restrict dy, __global const float* restrict x,
                                         __global float* restrict partial, const int perSplit, const int splits,
                                         const int N, const int C, const int H, const int OH) {
    const int c = get_global_id(1), s = get_global_id(2);
    if (c >= C || s >= splits) return;
    const int W = DW_IW, OW = DW_OW, tiles = (DW_OW + DW_VW - 1) / DW_VW, nEnd = min(N, (s + 1) * perSplit);
    __global const float* xEnd = x + (size_t)N * C * H * W;
    __global const float* dyEnd = dy + (size_t)N * C * OH * OW;
    dw_vec acc[DW_KH][DW_KW];
#pragma unroll
    for (int p = 0; p < DW_KH; ++p)
#pragma unroll
        for (int q = 0; q < DW_KW; ++q) acc[p][q] = (dw_vec)(0.0f);

    for (int n = s * perSplit; n < nEnd; ++n) {
        __global const float* plane = x + (size_t)(n * C + c) * H * W;
        __global const float* grad = dy + (size_t)(n * C + c) * OH * OW;
        for (int i = 0; i < OH; ++i) {
            if (n + 1 < nEnd) {
                // The next image's rows of this output row, into the cache ahead of their use:
                // the planes of one channel lie C·H·W floats apart, too far for the hardware
                // prefetchers (0.73 of the time at the MobileNetV2 width, 0.94–0.99 in cache).
                __global const float* nextRows = plane + (size_t)C * H * W + i * DW_SH * W;
                __global const float* nextGrad = grad + (size_t)C * OH * OW + i * OW;
#pragma unroll
                for (int l = 0; l < (DW_SH * DW_IW + 15) / 16; ++l) DW_PREFETCH(nextRows + 16 * l);
#pragma unroll
                for (int l = 0; l < (DW_OW + 15) / 16; ++l) DW_PREFETCH(nextGrad + 16 * l);
            }
#pragma unroll
            for (int p = 0; p < DW_KH; ++p) {
                const int h = i * DW_SH - DW_PH + p * DW_DH;
                if (h < 0 || h >= H) continue;
                __global const float* row = plane + h * W;
                dw_row_window w;
                dw_row_start(&w, row, W, xEnd);
#pragma unroll
                for (int t = 0; t < tiles; ++t) {
                    if (t > 0) dw_row_advance(&w, row, t, W, xEnd);
                    const dw_vec g = dw_row_vector(grad + i * OW, t * DW_VW, OW, dyEnd);
#pragma unroll
                    for (int q = 0; q < DW_KW; ++q) acc[p][q] = fma(g, dw_tap(&w, q), acc[p][q]);
                }
            }
        }
    }

#pragma unroll
    for (int p = 0; p < DW_KH; ++p) {
#pragma unroll
        for (int q = 0; q < DW_KW; ++q) {
            float lanes[DW_VW];
            DW_STORE(acc[p][q], 0, lanes);
            // Pairwise, as the other kernels fold their float8 sums.
#pragma unroll
            for (int width = DW_VW / 2; width > 0; width /= 2)
#pragma unroll
                for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
            partial[(s * C + c) * DW_KH * DW_KW + p * DW_KW + q] = lanes[0];
        }
    }
}

// depthwise_forward_rows: y[nc, i, j] = b[c] + Σ_{p,q} x[nc, i·SH − PH + p·DH, j·SW − PW + q·DW] · w[c, p, q]
// (DW_FLIP 1: w[c, KH−1−p, KW−1−q]; with x = dy, stride 1 and pad (K−1)·D − P that is ∂L/∂x of
// a stride-1 depthwise convolution), x taken as 0 outside the plane. One work-item per plane nc
// (dimension 0), row by row: the TILES = ⌈OW / VW⌉ output vectors of a row are accumulated
// together, each input row's phase vectors slide across them once per tap row, and each tap is
// a broadcast weight times a window, as in the weight gradient above. Weight [C, 1, KH, KW].
#ifndef DW_FLIP
#define DW_FLIP 0
#endif
#define DW_TILES ((DW_OW + DW_VW - 1) / DW_VW)

__kernel void depthwise_forward_rows(__global const float* restrict x, __global const float* restrict weight,
                                     __global const float* restrict bias, const int hasBias, __global float* restrict y,
                                     const int N, const int C, const int H, const int OH) {
    const int nc = get_global_id(0);
    if (nc >= N * C) return;
    const int c = nc % C, W = DW_IW;
    float taps[DW_KH * DW_KW];
#pragma unroll
    for (int p = 0; p < DW_KH; ++p)
#pragma unroll
        for (int q = 0; q < DW_KW; ++q)
            taps[p * DW_KW + q] = weight[c * DW_KH * DW_KW + (DW_FLIP ? (DW_KH - 1 - p) * DW_KW + DW_KW - 1 - q : p * DW_KW + q)];
    const float b = hasBias ? bias[c] : 0.0f;
    __global const float* plane = x + (size_t)nc * H * W;
    __global const float* xEnd = x + (size_t)N * C * H * W;
    for (int i = 0; i < OH; ++i) {
        dw_vec acc[DW_TILES];
#pragma unroll
        for (int t = 0; t < DW_TILES; ++t) acc[t] = (dw_vec)(b);
#pragma unroll
        for (int p = 0; p < DW_KH; ++p) {
            const int h = i * DW_SH - DW_PH + p * DW_DH;
            if (h < 0 || h >= H) continue;
            __global const float* row = plane + h * W;
            dw_row_window w;
            dw_row_start(&w, row, W, xEnd);
#pragma unroll
            for (int t = 0; t < DW_TILES; ++t) {
                if (t > 0) dw_row_advance(&w, row, t, W, xEnd);
#pragma unroll
                for (int q = 0; q < DW_KW; ++q) acc[t] = fma(dw_tap(&w, q), (dw_vec)(taps[p * DW_KW + q]), acc[t]);
            }
        }
        __global float* out = y + ((size_t)nc * OH + i) * DW_OW;
#pragma unroll
        for (int t = 0; t < DW_TILES; ++t) {
            if ((t + 1) * DW_VW <= DW_OW) {
                DW_STORE(acc[t], 0, out + t * DW_VW);
            } else {
                float lanes[DW_VW];
                DW_STORE(acc[t], 0, lanes);
#pragma unroll
                for (int l = 0; l < DW_VW; ++l)
                    if (t * DW_VW + l < DW_OW) out[t * DW_VW + l] = lanes[l];
            }
        }
    }
}

// conv2d_rows: y[n, g·CO + o, i, j] = bias[g·CO + o] (when hasBias) +
//   Σ_{c < CI, p < KH, q < KW} x[n, g·CI + c, i·SH − PH + p·DH, j·SW − PW + q·DW] · wt[((g·CI + c)·KH·KW + p·KW + q)·COPAD + o]
// with x [N, G·CI, H, W] taken as 0 outside the plane, wt as conv_direct.cl's conv_direct_weights
// writes it (mode 0: the forward kernel; mode 1: flipped with its channel roles swapped, so that
// with x = dy, stride 1 and pad (K − 1)·D − P this is ∂L/∂x of a stride-1 convolution) and
// y [N, G·CO, OH, OW]. A work-item owns output row i (dimension 0) and OCB
// output channels o ∈ [oc0, oc0 + OCB) of image n and group g (dimension 1: (n·G + g)·blocks +
// block), the whole row: OCB·TILES accumulators of VW lanes. Each input row of each input
// channel is read once into registers and all its TILES·KW tap windows built there as in the
// kernels above; then each broadcast weight meets the TILES windows of its tap. (With the
// tiles looped outside the taps and channels, the compiler kept a filter row's weights in
// registers for the next tile and, on two-tile rows, spilled the accumulators: 1.08× the time
// of this order at 16×32² → 16.) The sums run over c, then p, then q, as
// conv2d_direct_regblock's do, and the bias is added last. Global (OH, N·G·COPAD/OCB).
#ifndef OCB
#define OCB 8
#endif

__kernel void conv2d_rows(__global const float* restrict x, __global const float* restrict wt,
                          __global const float* restrict bias, const int hasBias, __global float* restrict y, const int N, const int G, const int CI, const int CO, const int COPAD, const int H, const int OH) {
    const int i = get_global_id(0), id = get_global_id(1);
    const int blocks = COPAD / OCB;
    if (i >= OH || id >= N * G * blocks) return;
    const int n = id / (G * blocks), g = (id / blocks) % G, oc0 = (id % blocks) * OCB, W = DW_IW;
    __global const float* xEnd = x + (size_t)N * G * CI * H * W;
    dw_vec acc[OCB][DW_TILES];
#pragma unroll
    for (int o = 0; o < OCB; ++o)
#pragma unroll
        for (int t = 0; t < DW_TILES; ++t) acc[o][t] = (dw_vec)(0.0f);

    for (int c = 0; c < CI; ++c) {
        __global const float* plane = x + (size_t)((n * G + g) * CI + c) * H * W;
        __global const float* weights = wt + (size_t)(g * CI + c) * DW_KH * DW_KW * COPAD + oc0;
#pragma unroll
        for (int p = 0; p < DW_KH; ++p) {
            const int h = i * DW_SH - DW_PH + p * DW_DH;
            if (h < 0 || h >= H) continue;
            __global const float* row = plane + h * W;
            dw_row_window w;
            dw_row_start(&w, row, W, xEnd);
            dw_vec windows[DW_TILES][DW_KW];
#pragma unroll
            for (int t = 0; t < DW_TILES; ++t) {
                if (t > 0) dw_row_advance(&w, row, t, W, xEnd);
#pragma unroll
                for (int q = 0; q < DW_KW; ++q) windows[t][q] = dw_tap(&w, q);
            }
#pragma unroll
            for (int q = 0; q < DW_KW; ++q) {
                __global const float* wv = weights + (p * DW_KW + q) * COPAD;
#pragma unroll
                for (int o = 0; o < OCB; ++o) {
                    const dw_vec weight = (dw_vec)(wv[o]);
#pragma unroll
                    for (int t = 0; t < DW_TILES; ++t) acc[o][t] = fma(weight, windows[t][q], acc[o][t]);
                }
            }
        }
    }

#pragma unroll
    for (int o = 0; o < OCB; ++o) {
        const int oc = oc0 + o;
        if (oc >= CO) continue;
        const float b = hasBias ? bias[g * CO + oc] : 0.0f;
        __global float* out = y + ((size_t)((n * G + g) * CO + oc) * OH + i) * DW_OW;
#pragma unroll
        for (int t = 0; t < DW_TILES; ++t) {
            const dw_vec v = hasBias ? acc[o][t] + (dw_vec)(b) : acc[o][t];
            if ((t + 1) * DW_VW <= DW_OW) {
                DW_STORE(v, 0, out + t * DW_VW);
            } else {
                float lanes[DW_VW];
                DW_STORE(v, 0, lanes);
#pragma unroll
                for (int l = 0; l < DW_VW; ++l)
                    if (t * DW_VW + l < DW_OW) out[t * DW_VW + l] = lanes[l];
            }
        }
    }
}

// conv2d_weight_grad_rows: for the output channels o ∈ [oc0, oc0 + OCB) of group g, input
// channel c of the group and every tap (p, q):
//   partial[s·G·CO·CI·KH·KW + ((g·CO + o)·CI + c)·KH·KW + p·KW + q] =
//     Σ_{n ∈ split s} Σ_{i < OH, j < OW} dy[n, g·CO + o, i, j] · x[n, g·CI + c, i·SH − PH + p·DH, j·SW − PW + q·DW]
// with x [N, G·CI, H, W] taken as 0 outside the plane and dy [N, G·CO, OH, OW] (the layout of
// conv_direct.cl's conv2d_direct_weight_grad_partial, whose splits conv.cl's conv_sum_partials
// adds). A work-item owns input channel c (dimension 0), a block of OCB output channels of
// group g (dimension 1: g·blocks + block) and split s (dimension 2), and keeps OCB·KH·KW
// accumulators of VW lanes, summed across lanes at the end as depthwise_weight_grad_rows does.
// Per output row it loads the OCB dy vectors of each tile once, for every tap; per tap row the
// input row is read into registers and its windows built there, so nothing is padded in memory.
// Output channels past CO read channel CO − 1 again and are not stored.
__kernel void conv2d_weight_grad_rows(__global const float* restrict dy, __global const float* restrict x,
                                      __global float* restrict partial, const int perSplit, const int splits, const int N,
                                      const int G, const int CI, const int CO, const int H, const int OH) {
    const int c = get_global_id(0), id = get_global_id(1), s = get_global_id(2);
    const int blocks = (CO + OCB - 1) / OCB;
    if (c >= CI || id >= G * blocks || s >= splits) return;
    const int g = id / blocks, oc0 = (id % blocks) * OCB;
    const int W = DW_IW, OW = DW_OW, nEnd = min(N, (s + 1) * perSplit);
    __global const float* xEnd = x + (size_t)N * G * CI * H * W;
    __global const float* dyEnd = dy + (size_t)N * G * CO * OH * OW;
    dw_vec acc[OCB][DW_KH][DW_KW];
#pragma unroll
    for (int o = 0; o < OCB; ++o)
#pragma unroll
        for (int p = 0; p < DW_KH; ++p)
#pragma unroll
            for (int q = 0; q < DW_KW; ++q) acc[o][p][q] = (dw_vec)(0.0f);

    for (int n = s * perSplit; n < nEnd; ++n) {
        __global const float* plane = x + (size_t)((n * G + g) * CI + c) * H * W;
        for (int i = 0; i < OH; ++i) {
            dw_vec grad[OCB][DW_TILES];
#pragma unroll
            for (int o = 0; o < OCB; ++o) {
                __global const float* row = dy + ((size_t)((n * G + g) * CO + min(oc0 + o, CO - 1)) * OH + i) * OW;
#pragma unroll
                for (int t = 0; t < DW_TILES; ++t) grad[o][t] = dw_row_vector(row, t * DW_VW, OW, dyEnd);
            }
#pragma unroll
            for (int p = 0; p < DW_KH; ++p) {
                const int h = i * DW_SH - DW_PH + p * DW_DH;
                if (h < 0 || h >= H) continue;
                __global const float* row = plane + h * W;
                dw_row_window w;
                dw_row_start(&w, row, W, xEnd);
#pragma unroll
                for (int t = 0; t < DW_TILES; ++t) {
                    if (t > 0) dw_row_advance(&w, row, t, W, xEnd);
#pragma unroll
                    for (int q = 0; q < DW_KW; ++q) {
                        const dw_vec window = dw_tap(&w, q);
#pragma unroll
                        for (int o = 0; o < OCB; ++o) acc[o][p][q] = fma(grad[o][t], window, acc[o][p][q]);
                    }
                }
            }
        }
    }

#pragma unroll
    for (int o = 0; o < OCB; ++o) {
        if (oc0 + o >= CO) continue;
#pragma unroll
        for (int p = 0; p < DW_KH; ++p) {
#pragma unroll
            for (int q = 0; q < DW_KW; ++q) {
                float lanes[DW_VW];
                DW_STORE(acc[o][p][q], 0, lanes);
#pragma unroll
                for (int width = DW_VW / 2; width > 0; width /= 2)
#pragma unroll
                    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
                partial[(size_t)s * G * CO * CI * DW_KH * DW_KW + (((g * CO + oc0 + o) * CI + c) * DW_KH + p) * DW_KW + q] = lanes[0];
            }
        }
    }
}
