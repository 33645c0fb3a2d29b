// conv_channels.cl — dense convolutions with output channels in the vector lanes, for CPU
// devices with 16-lane vectors (AVX-512). Three kernels: the forward pass on narrow rows
// (conv2d_channels, below the weight gradient), a transpose of dy to channels-last
// (conv_channels_last) and the weight gradient that reads it (conv2d_weight_grad_channels).
//
// The transpose, for a channel count CO padded to COP = 16·⌈CO / 16⌉:
//
//   dyT[n, r, o] = dy[n, o, r]  (o < CO),  0  (CO ≤ o < COP)
//
// Layout: dy [N, CO, R] (R = OH·OW, the NCHW gradient), dyT [N, R, COP]. A work-item takes one
// position r and 16 channels; global (R, COP / 16, N).
//
// The weight gradient (groups 1, weight [CO, CI, KH, KW]):
//
//   partial[s, o, c, p, q] = Σ_{n ∈ split s} Σ_{i < OH, j < OW} dy[n, o, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]
//
// with x [N, CI, H, W] taken as 0 outside [0, H) × [0, W) and dy read from dyT; split s covers
// images [s·perSplit, min(N, (s+1)·perSplit)). Layout: partial [splits, CO, CI, KH, KW] (conv.cl's
// conv_sum_partials adds the splits; with one split the host passes dw itself).
//
// A work-item owns 16 output channels (one float16 of dyT), a block of CIB input channels and one
// filter row p, and keeps CIB·KW accumulators of 16 lanes, lane l summing output channel
// o0 + l. Per output position it loads one dyT vector and meets it with CIB·KW broadcast x
// values: the inner loop is one vector load and CIB·KW broadcast FMAs, as in the forward pass,
// with no reduction across lanes at the end. Columns whose every tap lands inside the row run
// without tests; the few edge columns test each tap. Why channels in the lanes: with columns in
// the lanes (conv_direct.cl's conv2d_direct_weight_grad_partial) every tap needs a shifted x
// vector and every sum a reduction across lanes, and on rows of 16 or fewer outputs the pass
// was bound by those loads (the note in LaunchPlan.channelWeightGradient gives the A/B).
// Input channels past CI read channel CI − 1 again and are not stored, nor are output
// channels past CO (their dyT lanes are zeros).
//
// The forward pass (groups 1; also the input gradient of a stride-1 convolution, as
// conv_direct.cl's kernels compute it: dy padded by dilation·(k − 1) − pad, the weights flipped
// with their channel roles swapped):
//
//   y[n, o, i, j] = bias[o] + Σ_{c < CI, p < KH, q < KW} w[o, c, p, q] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]
//
// with x [N, CI, H, IW] taken as 0 outside the image, weights wt[(c·KH·KW + p·KW + q)·COPAD + o]
// (conv_direct.cl's conv_direct_weights, COPAD a multiple of 16·OCV, zero past CO), y
// [N, CO, OH, OW]. A work-item owns one output row i and OCV·16 output channels and keeps
// OW·OCV float16 accumulators, acc[j][v] lane l summing channel o0 + 16v + l at column j. Per
// input channel and tap it loads OCV weight vectors and meets them with the OW broadcast x
// values of the tap's columns: IW and OW are compile-time, so the column loops unroll, every
// column test folds away and each x value is loaded once per input channel and filter row.
// Global (OH, COPAD / (16·OCV), N).
//
// Tunables (-D, defaults so the file compiles alone): CIB (input channels per work-item of the
// weight gradient, default 8), OCV (16-channel vectors per forward work-item, default 2), CW_IW,
// CW_OW (the forward pass's input and output widths, default 8), CW_KH, CW_KW (the window,
// default 3×3), CW_SH, CW_SW (stride, default 1), CW_PH, CW_PW (padding, default 1), CW_DH,
// CW_DW (dilation, default 1).
//
// Launched by: OpenCLBackend.conv2dBackwardWeightChannels and OpenCLBackend.convChannels
// (Sources/OpenCLBackend/OpenCLBackend+ConvolutionChannels.swift), where
// LaunchPlan.channelWeightGradient gives CIB and LaunchPlan.channelConvolution OCV.

#ifndef CIB
#define CIB 8
#endif
#ifndef OCV
#define OCV 2
#endif
#ifndef CW_IW
#define CW_IW 8
#endif
#ifndef CW_OW
#define CW_OW 8
#endif
#ifndef CW_KH
#define CW_KH 3
#endif
#ifndef CW_KW
#define CW_KW 3
#endif
#ifndef CW_SH
#define CW_SH 1
#endif
#ifndef CW_SW
#define CW_SW 1
#endif
#ifndef CW_PH
#define CW_PH 1
#endif
#ifndef CW_PW
#define CW_PW 1
#endif
#ifndef CW_DH
#define CW_DH 1
#endif
#ifndef CW_DW
#define CW_DW 1
#endif

// conv_channels_last: dyT[n, r, o0 + l] = dy[n, o0 + l, r] for the 16 channels of block
// get_global_id(1), zero past CO. Global (R, COP / 16, N).
__kernel void conv_channels_last(__global const float* restrict dy, __global float* restrict dyT, const int CO,
                                 const int R) {
    const int r = get_global_id(0), block = get_global_id(1), n = get_global_id(2);
    const int COP = (CO + 15) / 16 * 16;
    if (r >= R || block * 16 >= COP) return;
    const int o0 = block * 16;
    __global const float* src = dy + ((size_t)n * CO + o0) * R + r;
    float lanes[16];
#pragma unroll
    for (int l = 0; l < 16; ++l) lanes[l] = o0 + l < CO ? src[(size_t)l * R] : 0.0f;
    vstore16(vload16(0, lanes), 0, dyT + ((size_t)n * R + r) * COP + o0);
}

// One output column j of row i against filter row p: acc[c][q] += g · x[c, h, j·SW − PW + q·DW],
// testing each tap against the row when `edge`.
#define CW_COLUMN(edge)                                                                     \
    {                                                                                       \
        const float16 g = vload16(0, grad + (size_t)j * COP);                               \
        const int w0 = j * CW_SW - CW_PW;                                                   \
        _Pragma("unroll") for (int q = 0; q < CW_KW; ++q) {                                 \
            const int w = w0 + q * CW_DW;                                                   \
            if ((edge) && (w < 0 || w >= W)) continue;                                      \
            _Pragma("unroll") for (int c = 0; c < CIB; ++c)                                 \
                acc[c][q] = fma(g, (float16)(rows[c][w]), acc[c][q]);                       \
        }                                                                                   \
    }

// conv2d_weight_grad_channels: work-item (input block b, output block × filter row, split s);
// global (⌈CI / CIB⌉, (COP / 16)·KH, splits).
__kernel void conv2d_weight_grad_channels(__global const float* restrict dyT, __global const float* restrict x,
                                          __global float* restrict partial, const int perSplit, const int splits,
                                          const int N, const int CI, const int CO, const int H, const int W, const int OH,
                                          const int OW) {
    const int b = get_global_id(0), id = get_global_id(1), s = get_global_id(2);
    const int COP = (CO + 15) / 16 * 16;
    const int p = id % CW_KH, o0 = id / CW_KH * 16, c0 = b * CIB;
    if (c0 >= CI || o0 >= COP || s >= splits) return;
    float16 acc[CIB][CW_KW];
#pragma unroll
    for (int c = 0; c < CIB; ++c)
#pragma unroll
        for (int q = 0; q < CW_KW; ++q) acc[c][q] = (float16)(0.0f);

    // Columns [inner, innerEnd) have every tap inside the row.
    const int inner = min(OW, (CW_PW + CW_SW - 1) / CW_SW);
    const int last = W - 1 - (CW_KW - 1) * CW_DW + CW_PW;
    const int innerEnd = max(inner, last < 0 ? 0 : min(OW, last / CW_SW + 1));
    const int nEnd = min(N, (s + 1) * perSplit);
    for (int n = s * perSplit; n < nEnd; ++n) {
        for (int i = 0; i < OH; ++i) {
            const int h = i * CW_SH - CW_PH + p * CW_DH;
            if (h < 0 || h >= H) continue;
            __global const float* grad = dyT + (size_t)(n * OH + i) * OW * COP + o0;
            __global const float* rows[CIB];
#pragma unroll
            for (int c = 0; c < CIB; ++c) rows[c] = x + ((size_t)(n * CI + min(c0 + c, CI - 1)) * H + h) * W;
            for (int j = 0; j < inner; ++j) CW_COLUMN(1)
            for (int j = inner; j < innerEnd; ++j) CW_COLUMN(0)
            for (int j = innerEnd; j < OW; ++j) CW_COLUMN(1)
        }
    }

    __global float* out = partial + (size_t)s * CO * CI * CW_KH * CW_KW;
#pragma unroll
    for (int c = 0; c < CIB; ++c) {
        if (c0 + c >= CI) continue;
#pragma unroll
        for (int q = 0; q < CW_KW; ++q) {
            float lanes[16];
            vstore16(acc[c][q], 0, lanes);
            for (int l = 0; l < 16 && o0 + l < CO; ++l)
                out[(((size_t)(o0 + l) * CI + c0 + c) * CW_KH + p) * CW_KW + q] = lanes[l];
        }
    }
}

// conv2d_channels: work-item (output row i, channel block b, image n); global (OH, COPAD / (16·OCV), N).
__kernel void conv2d_channels(__global const float* restrict x, __global const float* restrict wt,
                              __global const float* restrict bias, const int hasBias, __global float* restrict y,
                              const int CI, const int CO, const int COPAD, const int H, const int OH) {
    const int i = get_global_id(0), b = get_global_id(1), n = get_global_id(2);
    const int o0 = b * OCV * 16;
    if (i >= OH || o0 >= COPAD) return;
    float16 acc[CW_OW][OCV];
#pragma unroll
    for (int v = 0; v < OCV; ++v) {
        float lanes[16];
        for (int l = 0; l < 16; ++l) {
            const int o = o0 + 16 * v + l;
            lanes[l] = hasBias && o < CO ? bias[o] : 0.0f;
        }
        const float16 start = vload16(0, lanes);
#pragma unroll
        for (int j = 0; j < CW_OW; ++j) acc[j][v] = start;
    }

    for (int c = 0; c < CI; ++c) {
        __global const float* plane = x + (size_t)(n * CI + c) * H * CW_IW;
        __global const float* taps = wt + (size_t)c * CW_KH * CW_KW * COPAD + o0;
#pragma unroll
        for (int p = 0; p < CW_KH; ++p) {
            const int h = i * CW_SH - CW_PH + p * CW_DH;
            if (h < 0 || h >= H) continue;
            __global const float* row = plane + h * CW_IW;
#pragma unroll
            for (int q = 0; q < CW_KW; ++q) {
                float16 wv[OCV];
#pragma unroll
                for (int v = 0; v < OCV; ++v) wv[v] = vload16(0, taps + (p * CW_KW + q) * COPAD + 16 * v);
#pragma unroll
                for (int j = 0; j < CW_OW; ++j) {
                    const int w = j * CW_SW - CW_PW + q * CW_DW;
                    if (w < 0 || w >= CW_IW) continue;
                    const float16 xv = (float16)(row[w]);
#pragma unroll
                    for (int v = 0; v < OCV; ++v) acc[j][v] = fma(wv[v], xv, acc[j][v]);
                }
            }
        }
    }

#pragma unroll
    for (int v = 0; v < OCV; ++v) {
        float lanes[CW_OW][16];
#pragma unroll
        for (int j = 0; j < CW_OW; ++j) vstore16(acc[j][v], 0, lanes[j]);
        for (int l = 0; l < 16; ++l) {
            const int o = o0 + 16 * v + l;
            if (o >= CO) break;
            __global float* out = y + ((size_t)(n * CO + o) * OH + i) * CW_OW;
#pragma unroll
            for (int j = 0; j < CW_OW; ++j) out[j] = lanes[j][l];
        }
    }
}
