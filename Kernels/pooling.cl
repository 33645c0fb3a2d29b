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
// Row-tile kernels (avg_pool2d_rows, avg_pool2d_backward_rows; CPU devices): a work-item takes 16
// consecutive outputs of one row as the lanes of a float16. Each window row it needs is staged
// once, zero outside the image, in a private span; each tap then adds one shifted vector of the
// span, so a lane adds its window's elements in the same row-major order as the one-element
// kernels, with zeros for padding (x + 0 = x): the same sums, with one vector add per tap in
// place of a serial chain of scalar adds and bounds checks per output.
//
// Tunables (compile-time window geometry, so the window loops unroll):
//   KH, KW                window height and width
//   SH, SW                strides
//   PH, PW                paddings
//   COUNT_INCLUDE_PAD     1: average divisor KH*KW; 0: number of real elements in the window
//
// Launched by: OpenCLBackend.maxPool2d, maxPool2dBackward (max_pool2d_winners, then
// max_pool2d_backward_winners), avgPool2d (avg_pool2d_rows where LaunchPlan.poolingRowTiles and
// SW ≤ 2), avgPool2dBackward (avg_pool2d_backward_rows where poolingRowTiles and SH = SW = 1),
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

// Input columns the 16 windows of a row tile span (SW·15 + KW), plus one so the stride-2 lanes
// can be read as the even elements of two float16s.
#define ROW_SPAN (SW * 15 + KW)

// Lanes v < 16 of span[q + SW·v]: tap q of 16 windows SW columns apart (SW 1 or 2: the host
// launches the row kernels only then; other strides compile to the SW 1 reads, unused).
inline float16 window_taps(const float* span, const int q) {
#if SW == 2
    return (float16)(vload16(0, span + q).even, vload16(0, span + q + 16).even);
#else
    return vload16(0, span + q);
#endif
}

// y[n,c,i,j0 + v] for v < 16 as avg_pool2d_direct, SW 1 or 2. Global (⌈OW/16⌉, rows = N·C·OH):
// work-item (jt, row) takes output row `row` (flat over N, C, OH), columns 16·jt … 16·jt + 15.
__kernel void avg_pool2d_rows(__global const float* x, __global float* y,
                              const int H, const int W, const int OH, const int OW, const int rows) {
    const int jt = get_global_id(0), row = get_global_id(1);
    const int j0 = jt * 16;
    if (j0 >= OW || row >= rows) return;
    const int i = row % OH;
    __global const float* xp = x + (row / OH) * H * W;
    const int c0 = j0 * SW - PW;  // first input column of the tile's first window
    float span[ROW_SPAN + 1];
    span[ROW_SPAN] = 0.0f;
    float16 acc = (float16)(0.0f);
    for (int p = 0; p < KH; ++p) {
        const int r = i * SH - PH + p;
        if (r < 0 || r >= H) continue;
        __global const float* xr = xp + r * W;
        for (int l = 0; l < ROW_SPAN; ++l) {
            const int col = c0 + l;
            span[l] = col >= 0 && col < W ? xr[col] : 0.0f;
        }
        for (int q = 0; q < KW; ++q) acc += window_taps(span, q);
    }
#if COUNT_INCLUDE_PAD
    const float16 divisor = (float16)((float)(KH * KW));
#else
    const int r0 = i * SH - PH;
    const int windowRows = min(r0 + KH, H) - max(r0, 0);
    const int16 starts = (int16)(c0) + (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * SW;
    const int16 windowColumns = min(starts + KW, (int16)(W)) - max(starts, (int16)(0));
    const float16 divisor = convert_float16(windowColumns * windowRows);
#endif
    const float16 out = acc / divisor;
    __global float* yrow = y + row * OW + j0;
    if (j0 + 16 <= OW) {
        vstore16(out, 0, yrow);
    } else {
        float lanes[16];
        vstore16(out, 0, lanes);
        for (int l = 0; l < OW - j0; ++l) yrow[l] = lanes[l];
    }
}

// dx[n,c,r,s0 + v] for v < 16 as avg_pool2d_backward_gather, for SH = SW = 1: the windows holding
// (r, s) are rows i ∈ [r + PH − KH + 1, r + PH] and columns j ∈ [s + PW − KW + 1, s + PW] of the
// output. Per window row i, the quotients dy[i, j] / divisor(i, j) of the tile's column span are
// staged once (zero outside the output), then tap dj adds lane v's window column
// s0 + v + PW − KW + 1 + dj. Global (⌈W/16⌉, rows = N·C·H), as avg_pool2d_rows over dx.
__kernel void avg_pool2d_backward_rows(__global const float* dy, __global float* dx,
                                       const int H, const int W, const int OH, const int OW, const int rows) {
    const int st = get_global_id(0), row = get_global_id(1);
    const int s0 = st * 16;
    if (s0 >= W || row >= rows) return;
    const int r = row % H;
    __global const float* dyp = dy + (row / H) * OH * OW;
    const int firstColumn = s0 + PW - KW + 1;  // lane 0's first window column
    float span[16 + KW - 1];
    float16 acc = (float16)(0.0f);
    for (int i = max(r + PH - KH + 1, 0); i <= min(r + PH, OH - 1); ++i) {
        __global const float* dyr = dyp + i * OW;
        for (int l = 0; l < 16 + KW - 1; ++l) {
            const int j = firstColumn + l;
            span[l] = j >= 0 && j < OW ? dyr[j] / avg_window_divisor(H, W, i, j) : 0.0f;
        }
        for (int dj = 0; dj < KW; ++dj) acc += vload16(0, span + dj);
    }
    __global float* dxrow = dx + row * W + s0;
    if (s0 + 16 <= W) {
        vstore16(acc, 0, dxrow);
    } else {
        float lanes[16];
        vstore16(acc, 0, lanes);
        for (int l = 0; l < W - s0; ++l) dxrow[l] = lanes[l];
    }
}

// dx[n,c,h,w] = dy[n,c] / area. One work-item per input element; total = N*C*area.
__kernel void global_avg_pool_backward_broadcast(__global const float* dy, __global float* dx,
                                                 const int area, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    dx[gid] = dy[gid / area] / (float)area;
}
