// conv_direct.cl — register-blocked direct 2-D convolution (NCHW), chosen on CPU devices (correct
// anywhere): no column matrix; each forward work-item keeps OCB output channels × VECS·16 output
// pixels in float16 registers (each vector 16 columns of one row, or 8 columns of two rows).
//
// Layout: the input is first copied zero-padded, xp [images, C, HP, WP] (conv_pad_input), so
// the inner loop has no bounds checks: output (i, j) with tap (p, q) reads xp row i·SH + p·DH,
// column j·SW + q·DW. WP also covers the reads of the last, partial column tile. A stride-2
// row is stored by phases (PHASES 2): its even columns, then its odd ones, WP/2 each, so the
// reads of neighbouring output pixels of one tap are neighbouring floats (one vector load, not
// two loads and a shuffle); conv_pad_input writes either layout. Weights are
// rearranged (conv_direct_weights) to wt[((g·CI + c)·KH·KW + p·KW + q)·COPAD + o]: for each
// group g, input channel c and tap, the group's output channels o contiguous, zero-padded to
// COPAD (a multiple of OCB). Output y [images, G·CO, OH, OW].
// The same kernels compute the input gradient of a stride-1 convolution: dx is the direct
// convolution of dy (padded by dilation·(k − 1) − pad) with the kernel flipped in space and its
// channel roles swapped (conv_direct_weights in mode 1). The weight gradient is the same
// sum read the other way round: for each (o, c, p, q), dy rows times the matching xp row
// segments, summed over images, rows and columns (conv2d_direct_weight_grad_partial; the
// per-split partial sums are then added by conv_sum_partials of conv.cl).
//
// Tunables (-D):
//   OCB       output channels per work-item (default 8; the host passes KernelTunables'
//             directOutputChannels for the output's shape class, tuned per device by KernelTuner)
//   ROWS      output rows per forward work-item: 1 (default: 16 columns of one row) or 2 (8
//             columns of two rows, for outputs narrower than 16 columns)
//   VECS      16-pixel vectors per forward work-item (1, default, or 2: the next ROWS rows too),
//             so each broadcast weight feeds VECS FMAs (the host passes KernelTunables'
//             directVectors for the output's shape class)
//   STRIDE_W  1: neighbouring output pixels read neighbouring stored columns (stride 1, or
//             stride 2 stored by phases): vector loads; 0 (default): any stride, scalar loads
//   PHASES    2: the padded rows are stored by phases (the host passes it for column stride 2,
//             with STRIDE_W 1); 1 (default): as they are
//   KWB       taps of one filter row per work-item of the weight gradient (default 3): each dy
//             vector loaded is used KWB times (OCB·KWB float8 accumulators); the host passes
//             OCB and KWB from KernelTunables' weightGradientBlock for the output's shape class
//             (tuned per device: 4 × 3 fits AVX2's 16 registers, 8 × 3 AVX-512's 32)
//   KERNEL_W, COLUMN_TILES  the weight gradient's kernel width and 8-column tiles per dy row
//             as compile-time constants (default 0: the runtime KW and ⌈OW/8⌉). The host passes
//             both for rows of at most 4 tiles: the tile loop then unrolls into the row loop,
//             which on PoCL (AVX-512) also stopped the 8 × 3 block from spilling accumulators
//
// Launched by: OpenCLBackend.convDirect (OpenCLBackend+ConvolutionDirect.swift), for
// OpenCLBackend.conv2d and the stride-1 OpenCLBackend.conv2dBackwardInput where neither
// conv_rows.cl's conv2d_rows nor conv_channels.cl's conv2d_channels takes the row (both read
// conv_direct_weights' layout too); and
// OpenCLBackend.conv2dBackwardWeightDirect (same file) for OpenCLBackend.conv2dBackwardWeight.

#ifndef OCB
#define OCB 8
#endif
#ifndef STRIDE_W
#define STRIDE_W 0
#endif
#ifndef KWB
#define KWB 3
#endif
#ifndef ROWS
#define ROWS 1
#endif
#ifndef VECS
#define VECS 1
#endif
#ifndef KERNEL_W
#define KERNEL_W 0
#endif
#ifndef COLUMN_TILES
#define COLUMN_TILES 0
#endif
#ifndef PHASES
#define PHASES 1
#endif
// The weight gradient's kernel width and column tiles per row as its loops see them: the
// compile-time KERNEL_W / COLUMN_TILES when the host passes them, else the runtime values.
#define TAPS_W (KERNEL_W > 0 ? KERNEL_W : KW)

// Where tap column q·DW of a padded row is stored: at q·DW, or with PHASES 2 (a stride-2 row
// stored as its even columns, then its odd columns, WP / 2 each) at (q·DW mod 2)·WP/2 + q·DW/2.
// Output pixel j's read of that tap lies j·COLUMN_STEP further: j·SW, or j in a phase.
#define COLUMN_STEP(sw) (PHASES == 2 ? 1 : (sw))
inline int tap_column(const int q, const int DW, const int WP) {
#if PHASES == 2
    const int w = q * DW;
    return (w & 1) * (WP >> 1) + (w >> 1);
#else
    return q * DW;
#endif
}

// Eight input pixels xs[0], xs[sw], …, xs[7·sw] of one row: one vector load for STRIDE_W 1,
// element by element otherwise.
inline float8 load_strided8(__global const float* xs, const int sw) {
#if STRIDE_W == 1
    return vload8(0, xs);
#else
    return (float8)(xs[0], xs[sw], xs[2 * sw], xs[3 * sw], xs[4 * sw], xs[5 * sw], xs[6 * sw], xs[7 * sw]);
#endif
}

// Sixteen input pixels xs[0], xs[sw], …, xs[15·sw] of one row.
inline float16 load_strided16(__global const float* xs, const int sw) {
#if STRIDE_W == 1
    return vload16(0, xs);
#else
    return (float16)(load_strided8(xs, sw), load_strided8(xs + 8 * sw, sw));
#endif
}

// conv_pad_input: xp[nl, c, hp, wp] = x[n0 + nl, c, hp − PH, wp − PW], 0 outside the image
// (xOff = n0·C·H·W), wp stored at column wp; with PHASES 2 (the rows of a stride-2 convolution)
// at (wp mod 2)·WP/2 + wp/2, even columns then odd ones, so the kernels read 16 consecutive
// output pixels' inputs of one tap as one contiguous vector (WP even). The layout is a
// compile-time choice: a runtime branch made the plain copy 5–20% slower on PoCL. One work-item
// per padded row: global (HP, images·C).
__kernel void conv_pad_input(__global const float* restrict x, const int xOff, const int C, const int H, const int W,
                             const int PH, const int PW, __global float* restrict xp, const int HP, const int WP,
                             const int images) {
    const int hp = get_global_id(0), nc = get_global_id(1);
    if (hp >= HP || nc >= images * C) return;
    __global float* out = xp + (nc * HP + hp) * WP;
    const int h = hp - PH;
    if (h < 0 || h >= H) {
        for (int wp = 0; wp < WP; ++wp) out[wp] = 0.0f;
        return;
    }
    __global const float* row = x + xOff + (nc * H + h) * W;
#if PHASES == 2
    // Source column w goes to padded column wp = w + PW: phase wp mod 2, place wp / 2. The
    // zeros first (each phase outside [lo, hi)), then 16 source columns per float16 load, its
    // even lanes to one phase and its odd lanes to the other, then the rest one by one.
    const int phaseWidth = WP / 2;
    for (int ph = 0; ph < 2; ++ph) {
        const int lo = min(phaseWidth, (PW - ph + 1) / 2), hi = max(lo, min(phaseWidth, (PW + W - ph + 1) / 2));
        for (int u = 0; u < lo; ++u) out[ph * phaseWidth + u] = 0.0f;
        for (int u = hi; u < phaseWidth; ++u) out[ph * phaseWidth + u] = 0.0f;
    }
    int w = 0;
    for (; w + 16 <= W; w += 16) {
        const float16 v = vload16(0, row + w);
        const int wp = w + PW;
        vstore8(v.even, 0, out + (wp & 1) * phaseWidth + (wp >> 1));
        vstore8(v.odd, 0, out + ((wp + 1) & 1) * phaseWidth + ((wp + 1) >> 1));
    }
    for (; w < W; ++w) out[((w + PW) & 1) * phaseWidth + ((w + PW) >> 1)] = row[w];
#else
    const int copyEnd = min(WP, PW + W);
    for (int wp = 0; wp < PW; ++wp) out[wp] = 0.0f;
    for (int wp = PW; wp < copyEnd; ++wp) out[wp] = row[wp - PW];
    for (int wp = copyEnd; wp < WP; ++wp) out[wp] = 0.0f;
#endif
}

// conv_direct_weights: wt[((g·CI + c)·KH·KW + p·KW + q)·COPAD + o] for o < COPAD (0 for o ≥ CO) =
//   mode 0: w[g·CO + o, c, p, q]                 (w: [G·CO, CI, KH, KW], the forward kernel)
//   mode 1: w[g·CI + c, o, KH−1−p, KW−1−q]       (w: [G·CI, CO, KH, KW]: the stride-1 input
//                                                 gradient's kernel, channels swapped and flipped)
//   mode 2: w[g·CI + c, o, p, q]                 (the same, not flipped: the stride-2 input
//                                                 gradient of conv_direct_strided.cl)
// One work-item per element of wt: global (COPAD, CI·KH·KW, G).
__kernel void conv_direct_weights(__global const float* restrict w, __global float* restrict wt,
                                  const int G, const int CI, const int CO, const int COPAD,
                                  const int KH, const int KW, const int mode) {
    const int o = get_global_id(0), r = get_global_id(1), g = get_global_id(2);
    const int taps = KH * KW;
    if (o >= COPAD || r >= CI * taps || g >= G) return;
    const int c = r / taps, tap = r % taps, p = tap / KW, q = tap % KW;
    float v = 0.0f;
    if (o < CO) {
        v = mode == 1   ? w[(((g * CI + c) * CO + o) * KH + (KH - 1 - p)) * KW + (KW - 1 - q)]
            : mode == 2 ? w[(((g * CI + c) * CO + o) * KH + p) * KW + q]
                        : w[(((g * CO + o) * CI + c) * KH + p) * KW + q];
    }
    wt[(g * CI * taps + r) * COPAD + o] = v;
}

// conv2d_direct_regblock: y[nl, g·CO + o, i, j] = bias[g·CO + o] (when hasBias) +
//   Σ_{c < CI, p, q} xp[nl, g·CI + c, i·SH + p·DH, j·SW + q·DW] · wt[((g·CI + c)·KH·KW + p·KW + q)·COPAD + o]
// for the output channels o ∈ [oc0, oc0 + OCB) and VECS vectors of 16 output pixels each:
// ROWS 1, vector v takes columns j ∈ [j0, j0 + 16) of row i0 + v; ROWS 2, columns
// j ∈ [j0, j0 + 8) of rows i0 + 2v and i0 + 2v + 1 (lanes 0–7, 8–15). A row past OH reads row
// OH − 1 again and is not stored. OCB·VECS float16 accumulators; per tap VECS float16s of
// inputs times OCB broadcast weights, so each weight loaded feeds VECS fused multiply-adds.
// yOff = n0·G·CO·OH·OW.
// Global (⌈OW/TW⌉, ⌈OH/(ROWS·VECS)⌉, images·G·COPAD/OCB) with TW = 16/ROWS columns per work-item.
#define TILE_COLUMNS (16 / ROWS)
#define TILE_ROWS (ROWS * VECS)
__kernel void conv2d_direct_regblock(__global const float* restrict xp, __global const float* restrict wt,
                                     __global const float* restrict bias, const int hasBias,
                                     __global float* restrict y, const int yOff, const int images,
                                     const int G, const int CI, const int CO, const int COPAD, const int HP, const int WP,
                                     const int KH, const int KW, const int SH, const int SW, const int DH, const int DW,
                                     const int OH, const int OW) {
    const int jt = get_global_id(0), it = get_global_id(1), id = get_global_id(2);
    const int blocks = COPAD / OCB;
    if (jt * TILE_COLUMNS >= OW || it * TILE_ROWS >= OH || id >= images * G * blocks) return;
    const int nl = id / (G * blocks), g = (id / blocks) % G, oc0 = (id % blocks) * OCB;
    const int j0 = jt * TILE_COLUMNS, i0 = it * TILE_ROWS, taps = KH * KW;
    // xp offset of each output row of the tile from row i0 (rows past OH clamped to OH − 1).
    int rowOffset[TILE_ROWS];
    _Pragma("unroll") for (int r = 0; r < TILE_ROWS; ++r) rowOffset[r] = (min(i0 + r, OH - 1) - i0) * SH * WP;

    float16 acc[VECS][OCB];
    _Pragma("unroll") for (int v = 0; v < VECS; ++v) {
        _Pragma("unroll") for (int o = 0; o < OCB; ++o) acc[v][o] = (float16)(0.0f);
    }

    for (int c = 0; c < CI; ++c) {
        __global const float* plane = xp + (nl * G * CI + g * CI + c) * HP * WP + i0 * SH * WP + j0 * COLUMN_STEP(SW);
        __global const float* weights = wt + (g * CI + c) * taps * COPAD + oc0;
        for (int p = 0; p < KH; ++p) {
            __global const float* row = plane + p * DH * WP;
            for (int q = 0; q < KW; ++q) {
                __global const float* xs = row + tap_column(q, DW, WP);
                float16 xv[VECS];
                _Pragma("unroll") for (int v = 0; v < VECS; ++v) {
#if ROWS == 2
                    xv[v] = (float16)(load_strided8(xs + rowOffset[2 * v], SW), load_strided8(xs + rowOffset[2 * v + 1], SW));
#else
                    xv[v] = load_strided16(xs + rowOffset[v], SW);
#endif
                }
                __global const float* wv = weights + (p * KW + q) * COPAD;
                _Pragma("unroll") for (int o = 0; o < OCB; ++o) {
                    const float16 w = (float16)(wv[o]);
                    _Pragma("unroll") for (int v = 0; v < VECS; ++v) acc[v][o] = fma(w, xv[v], acc[v][o]);
                }
            }
        }
    }

    const int columns = min(TILE_COLUMNS, OW - j0);
    _Pragma("unroll") for (int o = 0; o < OCB; ++o) {
        const int oc = oc0 + o;
        if (oc >= CO) continue;
        const float b = hasBias ? bias[g * CO + oc] : 0.0f;
        __global float* yplane = y + yOff + (nl * G * CO + g * CO + oc) * OH * OW + j0;
        _Pragma("unroll") for (int v = 0; v < VECS; ++v) {
            const int iv = i0 + v * ROWS;  // first output row of vector v
            if (iv >= OH) continue;
            const float16 out = hasBias ? acc[v][o] + (float16)(b) : acc[v][o];
            __global float* yrow = yplane + iv * OW;
#if ROWS == 2
            const int rows = min(2, OH - iv);
            if (columns == 8) {
                vstore8(out.lo, 0, yrow);
                if (rows == 2) vstore8(out.hi, 0, yrow + OW);
            } else {
                float lanes[16];
                vstore16(out, 0, lanes);
                for (int r = 0; r < rows; ++r) {
                    for (int l = 0; l < columns; ++l) yrow[r * OW + l] = lanes[r * 8 + l];
                }
            }
#else
            if (columns == 16) {
                vstore16(out, 0, yrow);
            } else {
                float lanes[16];
                vstore16(out, 0, lanes);
                for (int l = 0; l < columns; ++l) yrow[l] = lanes[l];
            }
#endif
        }
    }
}

// conv2d_direct_weight_grad_partial: for the output channels o ∈ [oc0, oc0 + OCB) of group g,
// input channel c of the group and tap (p, q):
//   partial[partialOff + s·G·CO·CI·KH·KW + ((g·CO + o)·CI + c)·KH·KW + p·KW + q] =
//     Σ_{nl ∈ split s} Σ_{i, j} dyp[nl, g·CO + o, i, j] · xp[nl, g·CI + c, i·SH + p·DH, j·SW + q·DW]
// with xp the zero-padded input (as for conv2d_direct_regblock) and dyp (from element dyOff)
// the upstream gradient with rows of DWP ≥ OW columns, zero past OW (so whole float8 column
// tiles can be read: DWP = OW when OW is a multiple of 8, else a zero-padded copy).
// A work-item takes KWB taps q ∈ [q0, q0 + KWB) of one filter row p, so each dy vector it loads
// meets KWB input vectors: OCB·KWB float8 accumulators over 8 columns, summed horizontally at the
// end; split s covers images [s·perSplit, min(images, (s+1)·perSplit)) of this chunk. Global
// (KH·⌈KW/KWB⌉, CI, G·blocks·splits) with blocks = COPAD / OCB; output channels past CO read a
// clamped row and are not stored.
__kernel void conv2d_direct_weight_grad_partial(__global const float* restrict xp, __global const float* restrict dyp, const int dyOff,
                                                __global float* restrict partial, const int partialOff, const int perSplit, const int splits,
                                                const int images, const int G, const int CI, const int CO, const int COPAD,
                                                const int HP, const int WP, const int DWP,
                                                const int KH, const int KW, const int SH, const int SW, const int DH, const int DW,
                                                const int OH, const int OW) {
    const int tapBlocks = (TAPS_W + KWB - 1) / KWB;
    const int tapBlock = get_global_id(0), c = get_global_id(1), id = get_global_id(2);
    const int blocks = COPAD / OCB;
    if (tapBlock >= KH * tapBlocks || c >= CI || id >= G * blocks * splits) return;
    const int s = id / (G * blocks), g = (id / blocks) % G, oc0 = (id % blocks) * OCB;
    const int p = tapBlock / tapBlocks, q0 = (tapBlock % tapBlocks) * KWB;
    const int columnTiles = COLUMN_TILES > 0 ? COLUMN_TILES : (OW + 7) / 8;
    // Tap columns past KW (a last, partial block) read column KW − 1 again and are not stored.
    int tapOffset[KWB];
    _Pragma("unroll") for (int t = 0; t < KWB; ++t) tapOffset[t] = tap_column(min(q0 + t, TAPS_W - 1), DW, WP);

    float8 acc[KWB][OCB];
    _Pragma("unroll") for (int t = 0; t < KWB; ++t) {
        _Pragma("unroll") for (int o = 0; o < OCB; ++o) acc[t][o] = (float8)(0.0f);
    }

    const int nEnd = min(images, (s + 1) * perSplit);
    for (int nl = s * perSplit; nl < nEnd; ++nl) {
        __global const float* plane = xp + (nl * G * CI + g * CI + c) * HP * WP + p * DH * WP;
        __global const float* grads[OCB];
        _Pragma("unroll") for (int o = 0; o < OCB; ++o) grads[o] = dyp + dyOff + (nl * G * CO + g * CO + min(oc0 + o, CO - 1)) * OH * DWP;
        for (int i = 0; i < OH; ++i) {
            __global const float* row = plane + i * SH * WP;
#if COLUMN_TILES > 0
            _Pragma("unroll")
#endif
            for (int jt = 0; jt < columnTiles; ++jt) {
                __global const float* xs = row + jt * 8 * COLUMN_STEP(SW);
                float8 xv[KWB];
                _Pragma("unroll") for (int t = 0; t < KWB; ++t) xv[t] = load_strided8(xs + tapOffset[t], SW);
                _Pragma("unroll") for (int o = 0; o < OCB; ++o) {
                    const float8 dv = vload8(0, grads[o] + i * DWP + jt * 8);
                    _Pragma("unroll") for (int t = 0; t < KWB; ++t) acc[t][o] = fma(dv, xv[t], acc[t][o]);
                }
            }
        }
    }

    _Pragma("unroll") for (int t = 0; t < KWB; ++t) {
        const int q = q0 + t;
        if (q >= KW) continue;
        _Pragma("unroll") for (int o = 0; o < OCB; ++o) {
            const int oc = oc0 + o;
            if (oc < CO) {
                const float8 a = acc[t][o];
                const float4 pairs = a.lo + a.hi;
                partial[partialOff + s * G * CO * CI * KH * KW + ((g * CO + oc) * CI + c) * KH * KW + p * KW + q] =
                    (pairs.x + pairs.y) + (pairs.z + pairs.w);
            }
        }
    }
}
