// depthwise.cl — depthwise convolution (groups = C_in = C_out) with the window compiled in and
// each input plane staged once, zero-padded, in a __local tile, so the inner loops have no
// bounds tests and read eight output columns per vector: the forward pass, the stride-1 input
// gradient (the same correlation over dy with the taps flipped), and the weight gradient. GPUs
// run these; CPU devices run conv_rows.cl's kernels instead wherever a window fits them
// (DepthwisePlan), and these for the rest (shifts past 8 lanes, column strides past 2, the
// upsampled input gradient of row stride 2 at column stride 1, and the strided input gradient).
//
// Layout: NCHW; weight [C, 1, KH, KW]. A work-group owns DW_PLANES consecutive planes nc of
// N·C (dimension 1) and one band of BH output rows (dimension 2: rows [b·BH, min(OH, (b+1)·BH))).
// The tile holds the band's input rows with the padding materialized, TW floats per row:
// tile[r·TW + t] = x[nc, b·BH·SH − PH + r, t − PW] (0 outside the image), TW ≥ OW8·SW + (KW−1)·DW
// with OW8 = OW rounded up to 8, so the last partial column vector reads zeros, never past the row.
//
// Kernels:
//   depthwise_forward_tiled  y[n, c, i, j] = b[c] + Σ_{p,q} x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW] · w[c, p, q]
//                            (DW_FLIP: w[c, KH−1−p, KW−1−q]). Work-item l computes DW_ROWS
//                            output rows from row l·DW_ROWS, then LS·DW_ROWS further on, …,
//                            eight columns (a float8) at a time.
//                            With DW_FLIP, x = dy, stride 1, pad (K−1)·D − P, it is ∂L/∂x of a
//                            stride-1 depthwise convolution; with DW_UH/DW_UW = the convolution's
//                            strides, dy is staged upsampled with zeros between its values, and it
//                            is ∂L/∂x of a strided one (¾ of the FMAs at stride 2 multiply zeros).
//   depthwise_weight_grad_tiled
//                            partial[s, c, p, q] = Σ_{n ∈ split s} Σ_{i,j} dy[n, c, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]:
//                            group (c, s) of KH work-items, item p keeps the KW sums of tap row p
//                            as float8 lanes over columns (even and odd output rows apart), staging
//                            each image's plane (or band)
//                            in the tile; conv.cl's conv_sum_partials adds the splits.
//   depthwise_weight_grad_single
//                            the same partial sums with one work-item per group keeping all KH·KW
//                            tap sums (used where they fit the vector registers: LaunchPlan, and
//                            where conv_rows.cl's kernel, which CPU devices run for column
//                            strides 1 and 2, does not apply).
//
// Tunables (-D): DW_KH, DW_KW, DW_SH, DW_SW, DW_PH, DW_PW, DW_DH, DW_DW (the window; defaults
// 3×3, stride 1, pad 1, dilation 1), DW_FLIP (0); the forward kernel's DW_PLANES (planes per
// work-group, default 4) and DW_ROWS (output rows per work-item step, default 1: the tile has
// spare rows so a band that is not a multiple of DW_ROWS reads inside it), DW_UH/DW_UW (1: the
// upsampling of the staged plane, for strided input gradients).
//
// Launched by: OpenCLBackend.depthwiseForward, depthwiseBackwardInput and depthwiseBackwardWeight
// (Sources/OpenCLBackend/OpenCLBackend+Depthwise.swift), for conv2d, conv2dBackwardInput (stride
// 1) and conv2dBackwardWeight of depthwise convolutions.

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
#ifndef DW_FLIP
#define DW_FLIP 0
#endif
#ifndef DW_PLANES
#define DW_PLANES 4
#endif
#ifndef DW_ROWS
#define DW_ROWS 1
#endif
#ifndef DW_UH
#define DW_UH 1
#endif
#ifndef DW_UW
#define DW_UW 1
#endif

// Eight tile values t[0], t[SW], …, t[7·SW]: one vector load for stride 1 and 2.
inline float8 dw_load8(__local const float* t) {
#if DW_SW == 1
    return vload8(0, t);
#elif DW_SW == 2
    return vload16(0, t).even;
#else
    return (float8)(t[0], t[DW_SW], t[2 * DW_SW], t[3 * DW_SW], t[4 * DW_SW], t[5 * DW_SW], t[6 * DW_SW], t[7 * DW_SW]);
#endif
}

// Eight values of a global row from column j, zero past `count`.
inline float8 dw_load_row8(__global const float* row, const int j, const int count) {
    if (j + 8 <= count) return vload8(0, row + j);
    float8 v = (float8)(0.0f);
    float* lanes = (float*)&v;
    for (int l = 0; j + l < count; ++l) lanes[l] = row[j + l];
    return v;
}

// The taps of channel c in registers: t[p·KW + q] = w[c, p, q] (DW_FLIP: w[c, KH−1−p, KW−1−q]).
inline void dw_taps(float* t, __global const float* weight, const int c) {
    __global const float* taps = weight + c * DW_KH * DW_KW;
#pragma unroll
    for (int p = 0; p < DW_KH; ++p)
#pragma unroll
        for (int q = 0; q < DW_KW; ++q)
            t[p * DW_KW + q] = DW_FLIP ? taps[(DW_KH - 1 - p) * DW_KW + DW_KW - 1 - q] : taps[p * DW_KW + q];
}

#if DW_UH > 1 || DW_UW > 1
// Stages `rows` tile rows of the plane upsampled by (UH, UW) with zeros between the values:
// tile[r·TW + t] = plane[u/UH · W + v/UW] with u = h0 + r, v = t − PW when u, v are multiples of
// UH, UW inside [0, H·UH) × [0, W·UW), else 0 — the input gradient of a strided convolution as a
// stride-1 correlation.
inline void dw_stage(__local float* tile, const int TW, const int rows, __global const float* plane, const int h0,
                     const int H, const int W, const int PW) {
    for (int r = get_local_id(0); r < rows; r += get_local_size(0)) {
        __local float* out = tile + r * TW;
        const int u = h0 + r;
        if (u < 0 || u % DW_UH != 0 || u / DW_UH >= H) {
            for (int t = 0; t < TW; ++t) out[t] = 0.0f;
            continue;
        }
        __global const float* in = plane + (u / DW_UH) * W;
        for (int t = 0; t < TW; ++t) {
            const int v = t - PW;
            out[t] = (v >= 0 && v % DW_UW == 0 && v / DW_UW < W) ? in[v / DW_UW] : 0.0f;
        }
    }
}
#else
// Stages `rows` tile rows: tile[r·TW + t] = plane[(h0 + r)·W + t − PW], 0 outside [0, H) × [0, W).
// The work-items of the group take rows in turn; the caller puts barriers around it.
inline void dw_stage(__local float* tile, const int TW, const int rows, __global const float* plane, const int h0,
                     const int H, const int W, const int PW) {
    const int copyEnd = min(W, TW - PW);  // input columns that land inside the tile
    for (int r = get_local_id(0); r < rows; r += get_local_size(0)) {
        __local float* out = tile + r * TW;
        const int h = h0 + r;
        if (h < 0 || h >= H) {
            for (int t = 0; t < TW; ++t) out[t] = 0.0f;
            continue;
        }
        __global const float* in = plane + h * W;
        for (int t = 0; t < min(PW, TW); ++t) out[t] = 0.0f;
        for (int w = max(0, -PW); w < copyEnd; ++w) out[w + PW] = in[w];
        for (int t = max(0, copyEnd + PW); t < TW; ++t) out[t] = 0.0f;
    }
}
#endif

__kernel void depthwise_forward_tiled(__global const float* restrict x, __global const float* restrict weight,
                                      __global const float* restrict bias, const int hasBias, __global float* restrict y,
                                      const int N, const int C, const int H, const int W, const int OH, const int OW,
                                      const int BH, const int TW, __local float* tile) {
    const int firstPlane = get_group_id(1) * DW_PLANES, i0 = get_group_id(2) * BH;
    const int rowsOut = min(BH, OH - i0), rowsIn = (rowsOut - 1) * DW_SH + (DW_KH - 1) * DW_DH + 1;
    for (int plane = 0; plane < DW_PLANES; ++plane) {
        const int nc = firstPlane + plane;
        if (nc >= N * C) break;  // the same for every item of the group
        barrier(CLK_LOCAL_MEM_FENCE);
        dw_stage(tile, TW, rowsIn, x + nc * H * W, i0 * DW_SH - DW_PH, H, W, DW_PW);
        barrier(CLK_LOCAL_MEM_FENCE);
        float t[DW_KH * DW_KW];
        dw_taps(t, weight, nc % C);
        const float b = hasBias ? bias[nc % C] : 0.0f;
        // DW_ROWS output rows at a time: independent accumulators hide the FMA latency, and each
        // broadcast tap serves them all. Rows past the band are computed from the tile's spare
        // rows (allocated, never stored).
        for (int il = get_local_id(0) * DW_ROWS; il < rowsOut; il += get_local_size(0) * DW_ROWS) {
            for (int j = 0; j < OW; j += 8) {
                // One accumulator per (row, tap row): DW_ROWS·KH independent FMA chains.
                float8 part[DW_ROWS][DW_KH];
#pragma unroll
                for (int p = 0; p < DW_KH; ++p) {
#pragma unroll
                    for (int r = 0; r < DW_ROWS; ++r) part[r][p] = (float8)(0.0f);
#pragma unroll
                    for (int q = 0; q < DW_KW; ++q) {
                        const float8 tap = (float8)(t[p * DW_KW + q]);
                        __local const float* at = tile + (il * DW_SH + p * DW_DH) * TW + j * DW_SW + q * DW_DW;
#pragma unroll
                        for (int r = 0; r < DW_ROWS; ++r) part[r][p] = fma(dw_load8(at + r * DW_SH * TW), tap, part[r][p]);
                    }
                }
                float8 sum[DW_ROWS];
#pragma unroll
                for (int r = 0; r < DW_ROWS; ++r) {
                    sum[r] = (float8)(b) + part[r][0];
#pragma unroll
                    for (int p = 1; p < DW_KH; ++p) sum[r] += part[r][p];
                }
#pragma unroll
                for (int r = 0; r < DW_ROWS; ++r) {
                    if (il + r < rowsOut) {
                        __global float* out = y + (nc * OH + i0 + il + r) * OW + j;
                        if (j + 8 <= OW) {
                            vstore8(sum[r], 0, out);
                        } else {
                            const float* lanes = (const float*)&sum[r];
                            for (int l = 0; j + l < OW; ++l) out[l] = lanes[l];
                        }
                    }
                }
            }
        }
    }
}

__kernel void depthwise_weight_grad_tiled(__global const float* restrict dy, __global const float* restrict x,
                                          __global float* restrict partial, const int perSplit, const int splits,
                                          const int N, const int C, const int H, const int W, const int OH, const int OW,
                                          const int BH, const int TW, __local float* tile) {
    const int c = get_group_id(1), s = get_group_id(2), p = get_local_id(0);
    const int nEnd = min(N, (s + 1) * perSplit);
    // Sums of even and odd output rows apart: 2·KW independent FMA chains.
    float8 even[DW_KW], odd[DW_KW];
#pragma unroll
    for (int q = 0; q < DW_KW; ++q) even[q] = odd[q] = (float8)(0.0f);
    for (int n = s * perSplit; n < nEnd; ++n) {
        for (int i0 = 0; i0 < OH; i0 += BH) {
            const int rowsOut = min(BH, OH - i0), rowsIn = (rowsOut - 1) * DW_SH + (DW_KH - 1) * DW_DH + 1;
            barrier(CLK_LOCAL_MEM_FENCE);
            dw_stage(tile, TW, rowsIn, x + (n * C + c) * H * W, i0 * DW_SH - DW_PH, H, W, DW_PW);
            barrier(CLK_LOCAL_MEM_FENCE);
            if (p < DW_KH) {
                __global const float* grad = dy + ((n * C + c) * OH + i0) * OW;
                for (int il = 0; il < rowsOut; il += 2) {
                    __local const float* row = tile + (il * DW_SH + p * DW_DH) * TW;
                    if (il + 1 < rowsOut) {
                        for (int j = 0; j < OW; j += 8) {
                            const float8 g = dw_load_row8(grad + il * OW, j, OW), h = dw_load_row8(grad + (il + 1) * OW, j, OW);
#pragma unroll
                            for (int q = 0; q < DW_KW; ++q) {
                                even[q] = fma(g, dw_load8(row + j * DW_SW + q * DW_DW), even[q]);
                                odd[q] = fma(h, dw_load8(row + DW_SH * TW + j * DW_SW + q * DW_DW), odd[q]);
                            }
                        }
                    } else {
                        for (int j = 0; j < OW; j += 8) {
                            const float8 g = dw_load_row8(grad + il * OW, j, OW);
#pragma unroll
                            for (int q = 0; q < DW_KW; ++q) even[q] = fma(g, dw_load8(row + j * DW_SW + q * DW_DW), even[q]);
                        }
                    }
                }
            }
        }
    }
    if (p < DW_KH) {
#pragma unroll
        for (int q = 0; q < DW_KW; ++q) {
            const float8 sum = even[q] + odd[q];
            const float4 folded = sum.lo + sum.hi;
            partial[(s * C + c) * DW_KH * DW_KW + p * DW_KW + q] = (folded.x + folded.y) + (folded.z + folded.w);
        }
    }
}

// depthwise_weight_grad_single: the weight gradient of depthwise_weight_grad_tiled with one
// work-item per group doing every tap (KH·KW float8 accumulators), so dy is read once per row and
// no barrier separates the staging from the sums. For small windows (3×3: 9 independent chains).
__kernel void depthwise_weight_grad_single(__global const float* restrict dy, __global const float* restrict x,
                                           __global float* restrict partial, const int perSplit, const int splits,
                                           const int N, const int C, const int H, const int W, const int OH, const int OW,
                                           const int BH, const int TW, __local float* tile) {
    const int c = get_group_id(1), s = get_group_id(2);
    const int nEnd = min(N, (s + 1) * perSplit);
    float8 acc[DW_KH][DW_KW];
#pragma unroll
    for (int p = 0; p < DW_KH; ++p)
#pragma unroll
        for (int q = 0; q < DW_KW; ++q) acc[p][q] = (float8)(0.0f);
    for (int n = s * perSplit; n < nEnd; ++n) {
        for (int i0 = 0; i0 < OH; i0 += BH) {
            const int rowsOut = min(BH, OH - i0), rowsIn = (rowsOut - 1) * DW_SH + (DW_KH - 1) * DW_DH + 1;
            barrier(CLK_LOCAL_MEM_FENCE);
            dw_stage(tile, TW, rowsIn, x + (n * C + c) * H * W, i0 * DW_SH - DW_PH, H, W, DW_PW);
            barrier(CLK_LOCAL_MEM_FENCE);
            __global const float* grad = dy + ((n * C + c) * OH + i0) * OW;
            for (int il = 0; il < rowsOut; ++il) {
                for (int j = 0; j < OW; j += 8) {
                    const float8 g = dw_load_row8(grad + il * OW, j, OW);
#pragma unroll
                    for (int p = 0; p < DW_KH; ++p) {
                        __local const float* row = tile + (il * DW_SH + p * DW_DH) * TW + j * DW_SW;
#pragma unroll
                        for (int q = 0; q < DW_KW; ++q) acc[p][q] = fma(g, dw_load8(row + q * DW_DW), acc[p][q]);
                    }
                }
            }
        }
    }
#pragma unroll
    for (int p = 0; p < DW_KH; ++p) {
#pragma unroll
        for (int q = 0; q < DW_KW; ++q) {
            const float4 folded = acc[p][q].lo + acc[p][q].hi;
            partial[(s * C + c) * DW_KH * DW_KW + p * DW_KW + q] = (folded.x + folded.y) + (folded.z + folded.w);
        }
    }
}

// ---- Strided input gradient by phases (column stride DW_SW = 2, any row stride DW_SH):
// dx[nc, h, v] = Σ_{p,q} dy[nc, (h + PH − p·DH)/SH, (v + PW − q·DW)/2] · w[c, p, q] over the taps
// whose numerators divide exactly. Sixteen columns v = j0 … j0 + 15 (j0 a multiple of 16) are two
// float8 phases: the even columns j0 + 2m read dy columns j0/2 + m + (PW − q·DW)/2 for the taps
// with PW − q·DW even, the odd ones j0/2 + m + (PW + 1 − q·DW)/2 for the others — contiguous
// vectors, so no FMA multiplies an upsampling zero (the tiled kernel's DW_UH/DW_UW staging does
// four times the work at stride 2). The phases interleave on the store.
//
// The tile holds the dy rows a band of BH input rows reads, from r0 = ⌊(h0 + PH − (KH−1)·DH)/SH⌋,
// zero-padded: tile[t·TW + DW_LP + u] = dy[nc, r0 + t, u] (0 outside [0, OH) × [0, OW)), with
// DW_LP = max(0, ⌈((KW−1)·DW − PW)/2⌉) columns in front and TW ≥ DW_LP + W16/2 + ⌈PW/2⌉ (W16 = W
// rounded up to 16), so every phase vector reads inside its row.
#ifndef DW_LP
#define DW_LP (((DW_KW - 1) * DW_DW - DW_PW + 1) / 2 > 0 ? ((DW_KW - 1) * DW_DW - DW_PW + 1) / 2 : 0)
#endif

inline int dw_floor_div(const int a, const int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// depthwise_backward_input_strided: group (planes DW_PLANES·g1 …, band g2 of BH input rows) as
// depthwise_forward_tiled; work-item l computes input rows l, l + LS, … of the band. The host
// launches it for DW_SW = 2 (with DW_UH = DW_UW = 1: dy is staged as it is).
__kernel void depthwise_backward_input_strided(__global const float* restrict dy, __global const float* restrict weight,
                                               __global float* restrict dx, const int N, const int C, const int H,
                                               const int W, const int OH, const int OW, const int BH, const int TW,
                                               __local float* tile) {
    const int firstPlane = get_group_id(1) * DW_PLANES, h0 = get_group_id(2) * BH;
    const int rows = min(BH, H - h0);
    const int r0 = dw_floor_div(h0 + DW_PH - (DW_KH - 1) * DW_DH, DW_SH);
    const int staged = dw_floor_div(h0 + rows - 1 + DW_PH, DW_SH) - r0 + 1;
    for (int plane = 0; plane < DW_PLANES; ++plane) {
        const int nc = firstPlane + plane;
        if (nc >= N * C) break;  // the same for every item of the group
        barrier(CLK_LOCAL_MEM_FENCE);
        dw_stage(tile, TW, staged, dy + nc * OH * OW, r0, OH, OW, DW_LP);
        barrier(CLK_LOCAL_MEM_FENCE);
        float t[DW_KH * DW_KW];
        dw_taps(t, weight, nc % C);  // the host compiles this kernel with DW_FLIP 0
        for (int hl = get_local_id(0); hl < rows; hl += get_local_size(0)) {
            const int h = h0 + hl;
            for (int j0 = 0; j0 < W; j0 += 16) {
                float8 even = (float8)(0.0f), odd = (float8)(0.0f);
#pragma unroll
                for (int p = 0; p < DW_KH; ++p) {
                    const int numerator = h + DW_PH - p * DW_DH;
                    if (numerator % DW_SH != 0) continue;  // C's remainder is 0 for negative multiples too
                    __local const float* row = tile + (dw_floor_div(numerator, DW_SH) - r0) * TW + DW_LP + j0 / 2;
#pragma unroll
                    for (int q = 0; q < DW_KW; ++q) {
                        const int offset = DW_PW - q * DW_DW;  // compile-time: the phase is fixed per tap
                        if (offset % 2 == 0) {
                            even = fma(vload8(0, row + offset / 2), (float8)(t[p * DW_KW + q]), even);
                        } else {
                            odd = fma(vload8(0, row + (offset + 1) / 2), (float8)(t[p * DW_KW + q]), odd);
                        }
                    }
                }
                const float16 both = (float16)(even.s0, odd.s0, even.s1, odd.s1, even.s2, odd.s2, even.s3, odd.s3, even.s4,
                                               odd.s4, even.s5, odd.s5, even.s6, odd.s6, even.s7, odd.s7);
                __global float* out = dx + (nc * H + h) * W + j0;
                if (j0 + 16 <= W) {
                    vstore16(both, 0, out);
                } else {
                    const float* lanes = (const float*)&both;
                    for (int l = 0; j0 + l < W; ++l) out[l] = lanes[l];
                }
            }
        }
    }
}
