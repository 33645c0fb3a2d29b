// depthwise.cl — depthwise convolution (groups = C_in = C_out) with the window compiled in:
// the forward pass and the stride-1 input gradient (the same correlation over dy with the taps
// flipped). The weight gradient stays conv.cl's conv2d_depthwise_backward_weight_partial.
//
// Layout: NCHW; weight [C, 1, KH, KW]. Sizes N, C, H, W, OH, OW are arguments; the window is
// compile-time so the tap loops unroll and the bounds tests fold.
//
// Kernels:
//   depthwise_forward      y[n, c, i, j] = b[c] + Σ_{p,q} x[n, c, i·SH − PH + p·DH, j·SW − PW + q·DW] · w[c, p, q]
//                          (DW_FLIP: w[c, KH−1−p, KW−1−q]); one work-item per output, global (OW, OH, N·C).
//                          With DW_FLIP, x = dy, stride 1, pad (K−1)·D − P, it is ∂L/∂x of a stride-1 depthwise conv.
//
// Tunables (-D): DW_KH, DW_KW, DW_SH, DW_SW, DW_PH, DW_PW, DW_DH, DW_DW (the window; defaults 3×3,
// stride 1, pad 1, dilation 1), DW_FLIP (0).
//
// Launched by: OpenCLBackend.conv2d and conv2dBackwardInput (stride 1) for depthwise convolutions (Sources/OpenCLBackend/OpenCLBackend+Depthwise.swift).

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
