// depthwise.cl — depthwise convolution (groups = C_in = C_out) with the window compiled in:
// the forward pass, the stride-1 input gradient (the same correlation over dy with the taps
// flipped), and the weight gradient with every tap accumulated in registers.
//
// Layout: NCHW; weight [C, 1, KH, KW]. Sizes N, C, H, W, OH, OW are arguments; the window is
// compile-time so the tap loops unroll and the bounds tests fold.
//
// Kernels:
//   depthwise_forward      y[n, c, i, j] = b[c] + Σ_{p,q} x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW] · w[c, p, q]
//                          (DW_FLIP: w[c, KH−1−p, KW−1−q]); one work-item per output, global (OW, OH, N·C).
//                          With DW_FLIP, x = dy, stride 1, pad (K−1)·D − P, it is ∂L/∂x of a stride-1 depthwise conv.
//   depthwise_weight_grad  partial[s, c, p, q] = Σ_{n ∈ split s} Σ_{i,j} dy[n, c, i, j] · x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW]:
//                          one work-group of DW_GROUP work-items per (channel, split), each walking output
//                          pixels with KH·KW register sums, then a tree sum in local memory; global (DW_GROUP, C, splits).
//
// Tunables (-D): DW_KH, DW_KW, DW_SH, DW_SW, DW_PH, DW_PW, DW_DH, DW_DW (the window; defaults 3×3,
// stride 1, pad 1, dilation 1), DW_FLIP (0), DW_GROUP (work-items per group of depthwise_weight_grad,
// a power of two; default 64; launched with exactly this local size).
//
// Launched by: OpenCLBackend.conv2d, conv2dBackwardInput (stride 1), conv2dBackwardWeight for depthwise
// convolutions (Sources/OpenCLBackend/OpenCLBackend+Depthwise.swift).

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
#ifndef DW_GROUP
#define DW_GROUP 64
#endif

__kernel void depthwise_forward(__global const float* restrict x, __global const float* restrict weight,
                                __global const float* restrict bias, const int hasBias, __global float* restrict y,
                                const int N, const int C, const int H, const int W, const int OH, const int OW) {
    const int j = get_global_id(0), i = get_global_id(1), nc = get_global_id(2);
    if (j >= OW || i >= OH || nc >= N * C) return;
    const int c = nc % C;
    __global const float* image = x + nc * H * W;
    __global const float* taps = weight + c * DW_KH * DW_KW;
    float sum = 0.0f;
#pragma unroll
    for (int p = 0; p < DW_KH; ++p) {
        const int h = i * DW_SH - DW_PH + p * DW_DH;
        if (h >= 0 && h < H) {
            __global const float* row = image + h * W;
#pragma unroll
            for (int q = 0; q < DW_KW; ++q) {
                const int w = j * DW_SW - DW_PW + q * DW_DW;
                const float t = DW_FLIP ? taps[(DW_KH - 1 - p) * DW_KW + DW_KW - 1 - q] : taps[p * DW_KW + q];
                if (w >= 0 && w < W) sum = fma(row[w], t, sum);
            }
        }
    }
    y[(nc * OH + i) * OW + j] = hasBias ? sum + bias[c] : sum;
}

__kernel __attribute__((reqd_work_group_size(DW_GROUP, 1, 1)))
void depthwise_weight_grad(__global const float* restrict dy, __global const float* restrict x, __global float* restrict partial,
                           const int perSplit, const int N, const int C, const int H, const int W, const int OH, const int OW) {
    __local float scratch[DW_GROUP];
    const int lid = get_local_id(0), c = get_global_id(1), s = get_global_id(2);
    const int n0 = s * perSplit, n1 = min(N, n0 + perSplit);
    float acc[DW_KH * DW_KW];
#pragma unroll
    for (int t = 0; t < DW_KH * DW_KW; ++t) acc[t] = 0.0f;
    const int pixels = OH * OW;
    for (int e = lid; e < (n1 - n0) * pixels; e += DW_GROUP) {
        const int n = n0 + e / pixels, pix = e % pixels, i = pix / OW, j = pix % OW;
        const float g = dy[(n * C + c) * pixels + pix];
        __global const float* image = x + (n * C + c) * H * W;
#pragma unroll
        for (int p = 0; p < DW_KH; ++p) {
            const int h = i * DW_SH - DW_PH + p * DW_DH;
            const bool rowInside = h >= 0 && h < H;
#pragma unroll
            for (int q = 0; q < DW_KW; ++q) {
                const int w = j * DW_SW - DW_PW + q * DW_DW;
                if (rowInside && w >= 0 && w < W) acc[p * DW_KW + q] = fma(g, image[h * W + w], acc[p * DW_KW + q]);
            }
        }
    }
    for (int t = 0; t < DW_KH * DW_KW; ++t) {
        scratch[lid] = acc[t];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int span = DW_GROUP / 2; span > 0; span >>= 1) {
            if (lid < span) scratch[lid] += scratch[lid + span];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid == 0) partial[(s * C + c) * DW_KH * DW_KW + t] = scratch[0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
