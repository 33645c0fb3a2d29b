// pooling.cl — 2-D max and average pooling over NCHW images, their gradients, and the
// gradient of global average pooling.
//
// Layout: x and dx are [N, C, H, W] row-major; y and dy are [N, C, OH, OW]. Window (i, j)
// covers input rows i*SH - PH + p (p < KH) and columns j*SW - PW + q (q < KW); positions
// outside the image are padding and never take part (max: padding never wins; average:
// padding adds nothing and is counted in the divisor only when COUNT_INCLUDE_PAD).
// Every window holds at least one real element (the host requires pad <= window/2).
// Backward kernels gather: one work-item per input element sums over the windows that hold
// it, in row-major window order, so no atomics are needed.
//
// Tunables (compile-time window geometry, so the window loops unroll):
//   KH, KW                window height and width
//   SH, SW                strides
//   PH, PW                paddings
//   COUNT_INCLUDE_PAD     1: average divisor KH*KW; 0: number of real elements in the window
//
// Launched by: OpenCLBackend.maxPool2d, maxPool2dBackward (max_pool2d_winners, then
// max_pool2d_backward_winners), avgPool2d, avgPool2dBackward,
// globalAvgPoolBackward (OpenCLBackend+Pooling.swift).

#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef PH
#define PH 0
#endif
#ifndef PW
#define PW 0
#endif
#ifndef COUNT_INCLUDE_PAD
#define COUNT_INCLUDE_PAD 1
#endif

// Flat index into `plane` (an H x W image) of the first maximal real element of window
// (i, j): the first real element in row-major window order, replaced only by a strictly
// larger one (ties keep the first; a NaN never replaces a number).
inline int max_window_winner(__global const float* plane, const int H, const int W, const int i, const int j) {
    int winner = -1;
    float best = 0.0f;
    for (int p = 0; p < KH; ++p) {
        const int row = i * SH - PH + p;
        if (row < 0 || row >= H) continue;
        for (int q = 0; q < KW; ++q) {
            const int col = j * SW - PW + q;
            if (col < 0 || col >= W) continue;
            const float v = plane[row * W + col];
            if (winner < 0 || v > best) { winner = row * W + col; best = v; }
        }
    }
    return winner;
}

// Divisor of window (i, j) of an average pooling.
inline float avg_window_divisor(const int H, const int W, const int i, const int j) {
#if COUNT_INCLUDE_PAD
    return (float)(KH * KW);
#else
    const int r0 = i * SH - PH, c0 = j * SW - PW;
    const int rows = min(r0 + KH, H) - max(r0, 0);
    const int cols = min(c0 + KW, W) - max(c0, 0);
    return (float)(rows * cols);
#endif
}

// First window index (along one axis) whose span [o*S - P, o*S - P + K) holds input
// position r: ceil((r + P - K + 1) / S), clamped at 0.
inline int first_window(const int r, const int K, const int S, const int P) {
    const int t = r + P - K + 1;
    return t <= 0 ? 0 : (t + S - 1) / S;
}

// The in-plane index of the first maximal element of output element `gid` (flat over
// [N, C, OH, OW]) of the planes `x`.
inline int max_winner_of_output(__global const float* x, const int gid, const int H, const int W, const int OH,
                                const int OW) {
    const int j = gid % OW;
    const int i = (gid / OW) % OH;
    const int plane = gid / (OW * OH);
    return max_window_winner(x + plane * H * W, H, W, i, j);
}

// y[n,c,i,j] = max over window (i, j). One work-item per output element; total = N*C*OH*OW.
__kernel void max_pool2d_direct(__global const float* x, __global float* y,
                                const int H, const int W, const int OH, const int OW, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    y[gid] = x[gid / (OW * OH) * H * W + max_winner_of_output(x, gid, H, W, OH, OW)];
}

// winners[n,c,i,j] = the flat in-plane index of window (i, j)'s first maximal element, its int
// bits stored in a float buffer (as_float; read back with as_int). One work-item per output
// element; total = N*C*OH*OW. The first pass of max_pool2d_backward_winners.
__kernel void max_pool2d_winners(__global const float* x, __global float* winners,
                                 const int H, const int W, const int OH, const int OW, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    winners[gid] = as_float(max_winner_of_output(x, gid, H, W, OH, OW));
}

// dx[n,c,r,s] = sum of dy[n,c,i,j] over windows (i, j) holding (r, s) whose first maximal
// element is (r, s), read from max_pool2d_winners' output (one int compare per window instead of
// a window scan; sums in row-major window order). One
// work-item per input element (gather); total = N*C*H*W.
__kernel void max_pool2d_backward_winners(__global const float* winners, __global const float* dy, __global float* dx,
                                          const int H, const int W, const int OH, const int OW, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int s = gid % W;
    const int r = (gid / W) % H;
    const int plane = gid / (W * H);
    __global const float* wp = winners + plane * OH * OW;
    __global const float* dyp = dy + plane * OH * OW;
    const int i0 = first_window(r, KH, SH, PH), i1 = min((r + PH) / SH, OH - 1);
    const int j0 = first_window(s, KW, SW, PW), j1 = min((s + PW) / SW, OW - 1);
    const int me = r * W + s;
    float acc = 0.0f;
    for (int i = i0; i <= i1; ++i) {
        for (int j = j0; j <= j1; ++j) {
            if (as_int(wp[i * OW + j]) == me) acc += dyp[i * OW + j];
        }
    }
    dx[gid] = acc;
}

// y[n,c,i,j] = (sum of the real elements of window (i, j)) / divisor. One work-item per
// output element; total = N*C*OH*OW.
__kernel void avg_pool2d_direct(__global const float* x, __global float* y,
                                const int H, const int W, const int OH, const int OW, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int j = gid % OW;
    const int i = (gid / OW) % OH;
    const int plane = gid / (OW * OH);
    __global const float* xp = x + plane * H * W;
    float acc = 0.0f;
    for (int p = 0; p < KH; ++p) {
        const int row = i * SH - PH + p;
        if (row < 0 || row >= H) continue;
        for (int q = 0; q < KW; ++q) {
            const int col = j * SW - PW + q;
            if (col < 0 || col >= W) continue;
            acc += xp[row * W + col];
        }
    }
    y[gid] = acc / avg_window_divisor(H, W, i, j);
}

// dx[n,c,r,s] = sum over windows (i, j) holding (r, s) of dy[n,c,i,j] / divisor(i, j).
// One work-item per input element (gather); total = N*C*H*W.
__kernel void avg_pool2d_backward_gather(__global const float* dy, __global float* dx,
                                         const int H, const int W, const int OH, const int OW, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int s = gid % W;
    const int r = (gid / W) % H;
    const int plane = gid / (W * H);
    __global const float* dyp = dy + plane * OH * OW;
    const int i0 = first_window(r, KH, SH, PH), i1 = min((r + PH) / SH, OH - 1);
    const int j0 = first_window(s, KW, SW, PW), j1 = min((s + PW) / SW, OW - 1);
    float acc = 0.0f;
    for (int i = i0; i <= i1; ++i) {
        for (int j = j0; j <= j1; ++j) {
            acc += dyp[i * OW + j] / avg_window_divisor(H, W, i, j);
        }
    }
    dx[gid] = acc;
}

// dx[n,c,h,w] = dy[n,c] / area. One work-item per input element; total = N*C*area.
__kernel void global_avg_pool_backward_broadcast(__global const float* dy, __global float* dx,
                                                 const int area, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    dx[gid] = dy[gid / area] / (float)area;
}
