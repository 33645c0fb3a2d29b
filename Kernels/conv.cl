// conv.cl — 2-D convolution (NCHW): the im2col / col2im data movement around the GEMMs of
// gemm.cl, direct kernels for depthwise convolution, and the bias / weight-gradient reductions.
//
// Layout: x [N, C, H, W], y and dy [N, COUT, OH, OW], weight [COUT, C/groups, KH, KW], all
// row-major. Output position (i, j) with kernel tap (p, q) reads input row
// h = i·SH − PH + p·DH and column w = j·SW − PW + q·DW; taps outside the image read 0.
// Column matrix ("col") of a chunk of `images` images: element (image nl, row r, pixel pix) at
// col[nl·imageStride + r·rowStride + pix] with r = (c·KH + p)·KW + q, pix = i·OW + j. The host
// picks the strides: per-image matrices [images][C·KH·KW][OH·OW] (rowStride = OH·OW) for the
// forward and input-gradient GEMMs, or one wide matrix [C·KH·KW][images·OH·OW]
// (imageStride = OH·OW) for the weight-gradient GEMM.
// Depthwise (C/groups = 1): output channel o reads input channel o / MULT, MULT = COUT / C.
// Partial sums: partial[s·count + e] for split s of the batch, summed in split order.
//
// Tunables: none (all sizes are kernel arguments).
//
// Launched by (im2col + GEMM paths and depthwise, see OpenCLBackend.convolutionUsesDirect):
//   OpenCLBackend.conv2d (OpenCLBackend+Convolution.swift): conv_im2col, conv_add_channel_bias,
//     conv2d_depthwise_direct;
//   OpenCLBackend.conv2dBackwardInput (OpenCLBackend+ConvolutionBackward.swift):
//     conv_col2im_gather, conv2d_depthwise_backward_input_direct;
//   OpenCLBackend.conv2dBackwardWeight (same file): conv_im2col, conv_nchw_to_cnhw,
//     conv_weight_grad_untranspose, conv2d_depthwise_backward_weight_partial, conv_sum_partials
//     (also after conv2d_direct_weight_grad_partial of conv_direct.cl);
//   OpenCLBackend.conv2dBackwardBias (OpenCLBackend+Convolution.swift): conv_bias_grad_partial,
//     conv_sum_partials.

// Output columns j whose tap at input column offset `off` (w = j·S + off) lands inside [0, W):
// the half-open range [*begin, *end) of [0, OW). Used with off = q·DW − PW (likewise rows).
void conv_valid_range(const int off, const int S, const int W, const int OW, int* begin, int* end) {
    *begin = off >= 0 ? 0 : min(OW, (-off + S - 1) / S);
    *end = W - 1 - off >= 0 ? min(OW, (W - 1 - off) / S + 1) : 0;
    if (*end < *begin) *end = *begin;
}

// conv_im2col: col[nl·imageStride + r·rowStride + i·OW + j] = x[n0 + nl, c, h, w] (0 in the
// padding), where xOff = n0·C·H·W. One work-item per column row r of image nl, looping over the
// output positions (i, j), so the index arithmetic is paid once per OH·OW elements and the
// inner loop is a strided copy: global (C·KH·KW, images).
__kernel void conv_im2col(__global const float* restrict x, const int xOff,
                          const int C, const int H, const int W, const int KH, const int KW,
                          const int SH, const int SW, const int PH, const int PW, const int DH, const int DW,
                          const int OH, const int OW,
                          __global float* restrict col, const int rowStride, const int imageStride, const int images) {
    const int r = get_global_id(0), nl = get_global_id(1);
    if (r >= C * KH * KW || nl >= images) return;
    const int q = r % KW, p = (r / KW) % KH, c = r / (KW * KH);
    const int offH = p * DH - PH, offW = q * DW - PW;
    int iBegin, iEnd, jBegin, jEnd;
    conv_valid_range(offH, SH, H, OH, &iBegin, &iEnd);
    conv_valid_range(offW, SW, W, OW, &jBegin, &jEnd);
    __global float* out = col + nl * imageStride + r * rowStride;
    const int plane = xOff + (nl * C + c) * H * W;
    for (int i = 0; i < OH; ++i) {
        __global float* outRow = out + i * OW;
        if (i < iBegin || i >= iEnd) {
            for (int j = 0; j < OW; ++j) outRow[j] = 0.0f;
            continue;
        }
        const int rowStart = plane + (i * SH + offH) * W + offW;  // + j·SW ≥ 0 for valid j
        for (int j = 0; j < jBegin; ++j) outRow[j] = 0.0f;
        if (SW == 1) {
            for (int j = jBegin; j < jEnd; ++j) outRow[j] = x[rowStart + j];  // contiguous: vectorizes
        } else {
            for (int j = jBegin; j < jEnd; ++j) outRow[j] = x[rowStart + j * SW];
        }
        for (int j = jEnd; j < OW; ++j) outRow[j] = 0.0f;
    }
}

// conv_col2im_gather: dx[n0 + nl, c, h, w] = Σ dcol[nl·imageStride + ((c·KH + p)·KW + q)·rowStride + i·OW + j]
// over the taps (p, q) and output positions (i, j) that read (h, w): h = i·SH − PH + p·DH,
// w = j·SW − PW + q·DW; dxOff = n0·C·H·W. One work-item owns one row of dx, so it accumulates
// in place with no atomics: it zeroes the row, then for each tap whose row i exists adds the
// tap's valid outputs j into w = j·SW + q·DW − PW. Global (H, images·C).
__kernel void conv_col2im_gather(__global const float* restrict dcol, const int rowStride, const int imageStride,
                                 const int C, const int H, const int W, const int KH, const int KW,
                                 const int SH, const int SW, const int PH, const int PW, const int DH, const int DW,
                                 const int OH, const int OW,
                                 __global float* restrict dx, const int dxOff, const int images) {
    const int h = get_global_id(0), nc = get_global_id(1);
    if (h >= H || nc >= images * C) return;
    const int nl = nc / C, c = nc % C;
    __global float* out = dx + dxOff + (nc * H + h) * W;
    for (int w = 0; w < W; ++w) out[w] = 0.0f;
    __global const float* base = dcol + nl * imageStride + c * KH * KW * rowStride;
    for (int p = 0; p < KH; ++p) {
        const int hh = h + PH - p * DH;
        if (hh < 0 || hh % SH != 0 || hh / SH >= OH) continue;
        const int i = hh / SH;
        for (int q = 0; q < KW; ++q) {
            const int offW = q * DW - PW;
            int jBegin, jEnd;
            conv_valid_range(offW, SW, W, OW, &jBegin, &jEnd);
            __global const float* grad = base + (p * KW + q) * rowStride + i * OW;
            if (SW == 1) {
                for (int j = jBegin; j < jEnd; ++j) out[j + offW] += grad[j];  // contiguous: vectorizes
            } else {
                for (int j = jBegin; j < jEnd; ++j) out[j * SW + offW] += grad[j];
            }
        }
    }
}

// conv_add_channel_bias: y[n, o, pix] += bias[o], in place. Global (P, COUT, N) with P = OH·OW.
__kernel void conv_add_channel_bias(__global float* restrict y, __global const float* restrict bias,
                                    const int P, const int COUT, const int N) {
    const int pix = get_global_id(0), o = get_global_id(1), n = get_global_id(2);
    if (pix >= P || o >= COUT || n >= N) return;
    y[(n * COUT + o) * P + pix] += bias[o];
}

// conv_nchw_to_cnhw: dst[o·(images·P) + nl·P + pix] = src[srcOff + (nl·CH + o)·P + pix]: the
// images of a chunk side by side per channel (srcOff = n0·CH·P). Global (P, CH, images).
__kernel void conv_nchw_to_cnhw(__global const float* restrict src, const int srcOff, const int CH, const int P,
                                __global float* restrict dst, const int images) {
    const int pix = get_global_id(0), o = get_global_id(1), nl = get_global_id(2);
    if (pix >= P || o >= CH || nl >= images) return;
    dst[(o * images + nl) * P + pix] = src[srcOff + (nl * CH + o) * P + pix];
}

// conv_weight_grad_untranspose: dw[(g·COG + o)·KG + r] = dwt[(g·KG + r)·COG + o]: the weight
// gradient GEMM produces dwᵀ per group. Global (KG, COG, G).
__kernel void conv_weight_grad_untranspose(__global const float* restrict dwt, __global float* restrict dw,
                                           const int KG, const int COG, const int G) {
    const int r = get_global_id(0), o = get_global_id(1), g = get_global_id(2);
    if (r >= KG || o >= COG || g >= G) return;
    dw[(g * COG + o) * KG + r] = dwt[(g * KG + r) * COG + o];
}

// conv2d_depthwise_direct: y[n, o, i, j] = bias[o] + Σ_{p,q} x[n, o / MULT, h, w] · w[o, 0, p, q]
// (bias read only when hasBias ≠ 0). One work-item per output: global (OW, OH, N·COUT).
__kernel void conv2d_depthwise_direct(__global const float* restrict x, __global const float* restrict weight,
                                      __global const float* restrict bias, const int hasBias,
                                      __global float* restrict y,
                                      const int N, const int C, const int H, const int W, const int COUT,
                                      const int KH, const int KW, const int SH, const int SW,
                                      const int PH, const int PW, const int DH, const int DW,
                                      const int OH, const int OW) {
    const int j = get_global_id(0), i = get_global_id(1), no = get_global_id(2);
    if (j >= OW || i >= OH || no >= N * COUT) return;
    const int n = no / COUT, o = no % COUT, c = o / (COUT / C);
    __global const float* image = x + (n * C + c) * H * W;
    __global const float* taps = weight + o * KH * KW;
    float sum = 0.0f;
    for (int p = 0; p < KH; ++p) {
        const int h = i * SH - PH + p * DH;
        if (h < 0 || h >= H) continue;
        for (int q = 0; q < KW; ++q) {
            const int w = j * SW - PW + q * DW;
            if (w >= 0 && w < W) sum = fma(image[h * W + w], taps[p * KW + q], sum);
        }
    }
    y[(no * OH + i) * OW + j] = hasBias ? sum + bias[o] : sum;
}

// conv2d_depthwise_backward_input_direct: dx[n, c, h, w] = Σ_{m<MULT} Σ_{p,q} dy[n, o, i, j] · w[o, 0, p, q]
// with o = c·MULT + m and (i, j) the output position whose tap (p, q) reads (h, w) (see
// conv_col2im_gather). One work-item per input element: global (W, H, N·C).
__kernel void conv2d_depthwise_backward_input_direct(__global const float* restrict dy, __global const float* restrict weight,
                                                     __global float* restrict dx,
                                                     const int N, const int C, const int H, const int W, const int COUT,
                                                     const int KH, const int KW, const int SH, const int SW,
                                                     const int PH, const int PW, const int DH, const int DW,
                                                     const int OH, const int OW) {
    const int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H || nc >= N * C) return;
    const int n = nc / C, c = nc % C, mult = COUT / C;
    float sum = 0.0f;
    for (int m = 0; m < mult; ++m) {
        const int o = c * mult + m;
        __global const float* grad = dy + (n * COUT + o) * OH * OW;
        __global const float* taps = weight + o * KH * KW;
        for (int p = 0; p < KH; ++p) {
            const int hh = h + PH - p * DH;
            if (hh < 0 || hh % SH != 0 || hh / SH >= OH) continue;
            const int i = hh / SH;
            for (int q = 0; q < KW; ++q) {
                const int ww = w + PW - q * DW;
                if (ww < 0 || ww % SW != 0 || ww / SW >= OW) continue;
                sum = fma(grad[i * OW + ww / SW], taps[p * KW + q], sum);
            }
        }
    }
    dx[(nc * H + h) * W + w] = sum;
}

// conv2d_depthwise_backward_weight_partial: partial[s·COUT·KH·KW + (o·KH + p)·KW + q] =
// Σ_{n ∈ split s} Σ_{i,j} dy[n, o, i, j] · x[n, o / MULT, h, w], split s covering images
// [s·perSplit, min(N, (s+1)·perSplit)). One work-item per (tap, channel, split): global (KH·KW, COUT, splits).
__kernel void conv2d_depthwise_backward_weight_partial(__global const float* restrict dy, __global const float* restrict x,
                                                       __global float* restrict partial, const int perSplit, const int splits,
                                                       const int N, const int C, const int H, const int W, const int COUT,
                                                       const int KH, const int KW, const int SH, const int SW,
                                                       const int PH, const int PW, const int DH, const int DW,
                                                       const int OH, const int OW) {
    const int tap = get_global_id(0), o = get_global_id(1), s = get_global_id(2);
    if (tap >= KH * KW || o >= COUT || s >= splits) return;
    const int p = tap / KW, q = tap % KW, c = o / (COUT / C);
    // Output rows / columns whose tap (p, q) lands inside the image: h = i·SH − PH + p·DH ∈ [0, H).
    const int offH = p * DH - PH, offW = q * DW - PW;
    int iBegin, iEnd, jBegin, jEnd;
    conv_valid_range(offH, SH, H, OH, &iBegin, &iEnd);
    conv_valid_range(offW, SW, W, OW, &jBegin, &jEnd);
    float sum = 0.0f;
    const int nEnd = min(N, (s + 1) * perSplit);
    for (int n = s * perSplit; n < nEnd; ++n) {
        __global const float* grad = dy + (n * COUT + o) * OH * OW;
        __global const float* image = x + (n * C + c) * H * W;
        for (int i = iBegin; i < iEnd; ++i)
            for (int j = jBegin; j < jEnd; ++j)
                sum = fma(grad[i * OW + j], image[(i * SH + offH) * W + j * SW + offW], sum);
    }
    partial[s * COUT * KH * KW + o * KH * KW + tap] = sum;
}

// conv_bias_grad_partial: partial[s·COUT + o] = Σ_{n ∈ split s} Σ_{pix} dy[n, o, pix], split s
// covering images [s·perSplit, min(N, (s+1)·perSplit)). Global (COUT, splits).
__kernel void conv_bias_grad_partial(__global const float* restrict dy, __global float* restrict partial,
                                     const int perSplit, const int splits, const int N, const int COUT, const int P) {
    const int o = get_global_id(0), s = get_global_id(1);
    if (o >= COUT || s >= splits) return;
    float sum = 0.0f;
    const int nEnd = min(N, (s + 1) * perSplit);
    for (int n = s * perSplit; n < nEnd; ++n) {
        __global const float* row = dy + (n * COUT + o) * P;
        for (int pix = 0; pix < P; ++pix) sum += row[pix];
    }
    partial[s * COUT + o] = sum;
}

// conv_sum_partials: out[e] = Σ_{s < splits} partial[s·count + e], in split order. Global (count).
__kernel void conv_sum_partials(__global const float* restrict partial, __global float* restrict out,
                                const int count, const int splits) {
    const int e = get_global_id(0);
    if (e >= count) return;
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += partial[s * count + e];
    out[e] = sum;
}
