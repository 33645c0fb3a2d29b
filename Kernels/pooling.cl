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
// Row-tile kernels (*_rows; CPU devices): a work-item takes 16 consecutive outputs of one row
// as the lanes of a float16. Each window row it needs is staged once, zero outside the image, in
// a private span; each tap then takes one shifted vector of the span, so a lane visits its
// window's elements in the same row-major order as the one-element kernels (average: adding
// zeros for padding, x + 0 = x; max: skipping padding by a lane mask): the same results, with
// one vector operation per tap in place of a serial chain of scalar operations and bounds checks
// per output.
//
// Tunables (compile-time window geometry, so the window loops unroll):
//   KH, KW                window height and width
//   SH, SW                strides
//   PH, PW                paddings
//   COUNT_INCLUDE_PAD     1: average divisor KH*KW; 0: number of real elements in the window
//
// Launched by: OpenCLBackend.maxPool2d, maxPool2dBackward (max_pool2d_winners, then
// max_pool2d_backward_winners), avgPool2d, avgPool2dBackward, globalAvgPoolBackward
// (OpenCLBackend+Pooling.swift); where LaunchPlan.poolingRowTiles, the row-tile kernels instead:
// max_pool2d_rows, max_pool2d_winners_rows and avg_pool2d_rows when SW ≤ 2,
// max_pool2d_backward_rows and avg_pool2d_backward_rows when SW = 1, and their _s2 variants
// when SW = 2.

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

// Stores the lanes of `v` to row[0 … min(16, count) − 1].
inline void store_row_tile(__global float* row, const float16 v, const int count) {
    if (count >= 16) {
        vstore16(v, 0, row);
    } else {
        float lanes[16];
        vstore16(v, 0, lanes);
        for (int l = 0; l < count; ++l) row[l] = lanes[l];
    }
}

// Input columns the 16 windows of a row tile span (SW·15 + KW), plus one so the stride-2 lanes
// can be read as the even elements of two float16s.
#define ROW_SPAN (SW * 15 + KW)

// span[l] = row[first + l] for l < ROW_SPAN, 0 outside the row's W columns; span[ROW_SPAN] = 0
// (read only by the odd lanes of the stride-2 taps).
inline void stage_row_span(__global const float* row, const int first, const int W, float* span) {
    for (int l = 0; l < ROW_SPAN; ++l) {
        const int col = first + l;
        span[l] = col >= 0 && col < W ? row[col] : 0.0f;
    }
    span[ROW_SPAN] = 0.0f;
}

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
    float16 acc = (float16)(0.0f);
    for (int p = 0; p < KH; ++p) {
        const int r = i * SH - PH + p;
        if (r < 0 || r >= H) continue;
        stage_row_span(xp + r * W, c0, W, span);
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
    store_row_tile(y + row * OW + j0, acc / divisor, OW - j0);
}

// dx[n,c,r,s0 + v] for v < 16 as avg_pool2d_backward_gather, for SW = 1 (any SH): the windows
// holding (r, s) are the rows i of avg_pool2d_backward_gather and the columns
// j ∈ [s + PW − KW + 1, s + PW] of the output. Per window row i, the quotients
// dy[i, j] / divisor(i, j) of the tile's column span are staged once (zero outside the output),
// then tap dj adds lane v's window column s0 + v + PW − KW + 1 + dj.
// Global (⌈W/16⌉, rows = N·C·H), as avg_pool2d_rows over dx.
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
    for (int i = first_window(r, KH, SH, PH); i <= min((r + PH) / SH, OH - 1); ++i) {
        __global const float* dyr = dyp + i * OW;
        for (int l = 0; l < 16 + KW - 1; ++l) {
            const int j = firstColumn + l;
            span[l] = j >= 0 && j < OW ? dyr[j] / avg_window_divisor(H, W, i, j) : 0.0f;
        }
        for (int dj = 0; dj < KW; ++dj) acc += vload16(0, span + dj);
    }
    store_row_tile(dx + row * W + s0, acc, W - s0);
}

// Lanes v < 16: the first maximal real element of windows (i, j0 + v) of `plane` (an H × W
// image), as max_window_winner: its value in *best, its flat in-plane index in *winner (−1 where
// a window has no real element, which the host's padding rule excludes). A lane takes a tap when
// the tap is real and it has none yet or the tap is strictly larger (ties keep the first, a NaN
// never replaces a number).
inline void max_window_winners_rows(__global const float* plane, const int H, const int W, const int i, const int j0,
                                    float16* best, int16* winner) {
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const int c0 = j0 * SW - PW;
    float span[ROW_SPAN + 1];
    float16 top = (float16)(0.0f);
    int16 first = (int16)(-1);
    for (int p = 0; p < KH; ++p) {
        const int r = i * SH - PH + p;
        if (r < 0 || r >= H) continue;
        stage_row_span(plane + r * W, c0, W, span);
        for (int q = 0; q < KW; ++q) {
            const int16 col = (int16)(c0 + q) + lane * SW;
            const float16 v = window_taps(span, q);
            const int16 take = (col >= 0) & (col < W) & ((first < 0) | (v > top));
            top = select(top, v, take);
            first = select(first, (int16)(r * W) + col, take);
        }
    }
    *best = top;
    *winner = first;
}

// y[n,c,i,j0 + v] for v < 16 as max_pool2d_direct, SW 1 or 2; global as avg_pool2d_rows.
__kernel void max_pool2d_rows(__global const float* x, __global float* y,
                              const int H, const int W, const int OH, const int OW, const int rows) {
    const int jt = get_global_id(0), row = get_global_id(1);
    if (jt * 16 >= OW || row >= rows) return;
    float16 best;
    int16 winner;
    max_window_winners_rows(x + (row / OH) * H * W, H, W, row % OH, jt * 16, &best, &winner);
    store_row_tile(y + row * OW + jt * 16, best, OW - jt * 16);
}

// winners[n,c,i,j0 + v] for v < 16 as max_pool2d_winners (int bits in floats), SW 1 or 2.
__kernel void max_pool2d_winners_rows(__global const float* x, __global float* winners,
                                      const int H, const int W, const int OH, const int OW, const int rows) {
    const int jt = get_global_id(0), row = get_global_id(1);
    if (jt * 16 >= OW || row >= rows) return;
    float16 best;
    int16 winner;
    max_window_winners_rows(x + (row / OH) * H * W, H, W, row % OH, jt * 16, &best, &winner);
    store_row_tile(winners + row * OW + jt * 16, as_float16(winner), OW - jt * 16);
}

// dx[n,c,r,s0 + v] for v < 16 as max_pool2d_backward_winners, for SW = 1 (any SH): per window row i
// (as avg_pool2d_backward_rows) the winners and dy of the tile's column span are staged once
// (winner −1 outside the output), and tap dj adds lane v's dy where the window's winner is
// (r, s0 + v), 0 elsewhere. Global (⌈W/16⌉, rows = N·C·H).
__kernel void max_pool2d_backward_rows(__global const float* winners, __global const float* dy, __global float* dx,
                                       const int H, const int W, const int OH, const int OW, const int rows) {
    const int st = get_global_id(0), row = get_global_id(1);
    const int s0 = st * 16;
    if (s0 >= W || row >= rows) return;
    const int r = row % H;
    __global const float* wp = winners + (row / H) * OH * OW;
    __global const float* dyp = dy + (row / H) * OH * OW;
    const int firstColumn = s0 + PW - KW + 1;  // lane 0's first window column
    const int16 me = (int16)(r * W + s0) + (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    float winnerSpan[16 + KW - 1], dySpan[16 + KW - 1];
    float16 acc = (float16)(0.0f);
    for (int i = first_window(r, KH, SH, PH); i <= min((r + PH) / SH, OH - 1); ++i) {
        for (int l = 0; l < 16 + KW - 1; ++l) {
            const int j = firstColumn + l;
            const bool inside = j >= 0 && j < OW;
            winnerSpan[l] = inside ? wp[i * OW + j] : as_float(-1);
            dySpan[l] = inside ? dyp[i * OW + j] : 0.0f;
        }
        for (int dj = 0; dj < KW; ++dj) {
            const int16 won = as_int16(vload16(0, winnerSpan + dj)) == me;
            acc += select((float16)(0.0f), vload16(0, dySpan + dj), won);
        }
    }
    store_row_tile(dx + row * W + s0, acc, W - s0);
}

// Column-stride-2 gathers (any SH): a work-item takes 32 consecutive dx columns of one row,
// s = 2(u0 + v) + par for lanes v < 16 and parities par ∈ {0, 1}, u0 = 16·st. The windows holding
// column s are j = u0 + v + k for k ∈ [S2_FIRST(par), S2_LAST(par)] (constants of the window
// geometry), so each parity is a stride-1 gather over one staged span of window columns, in the
// one-output kernels' order (rows i ascending, then k ascending), and the two are interleaved
// into the 32 columns on store. Global (⌈W/32⌉, rows = N·C·H).
#define FLOOR_HALF(a) ((a) >= 0 ? (a) / 2 : -((1 - (a)) / 2))
#define S2_FIRST(par) (-FLOOR_HALF(KW - 1 - (par) - PW))  // ⌈(par + PW − KW + 1)/2⌉
#define S2_LAST(par) FLOOR_HALF((par) + PW)                // ⌊(par + PW)/2⌋
#define S2_SPAN_FIRST (S2_FIRST(0) < S2_FIRST(1) ? S2_FIRST(0) : S2_FIRST(1))
#define S2_SPAN (16 + (S2_LAST(0) > S2_LAST(1) ? S2_LAST(0) : S2_LAST(1)) - S2_SPAN_FIRST)

// Stores even/odd column lanes interleaved to row[0 … min(32, count) − 1].
inline void store_column_pairs(__global float* row, const float16 even, const float16 odd, const int count) {
    const uint16 mask = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    store_row_tile(row, shuffle2(even, odd, mask), count);
    if (count > 16) store_row_tile(row + 16, shuffle2(even, odd, mask + (uint16)(8)), count - 16);
}

// dx as avg_pool2d_backward_gather, for SW = 2.
__kernel void avg_pool2d_backward_rows_s2(__global const float* dy, __global float* dx,
                                          const int H, const int W, const int OH, const int OW, const int rows) {
    const int st = get_global_id(0), row = get_global_id(1);
    if (st * 32 >= W || row >= rows) return;
    const int r = row % H, u0 = st * 16;
    __global const float* dyp = dy + (row / H) * OH * OW;
    float span[S2_SPAN];
    float16 acc[2] = {(float16)(0.0f), (float16)(0.0f)};
    for (int i = first_window(r, KH, SH, PH); i <= min((r + PH) / SH, OH - 1); ++i) {
        for (int l = 0; l < S2_SPAN; ++l) {
            const int j = u0 + S2_SPAN_FIRST + l;
            span[l] = j >= 0 && j < OW ? dyp[i * OW + j] / avg_window_divisor(H, W, i, j) : 0.0f;
        }
        _Pragma("unroll") for (int par = 0; par < 2; ++par) {
            for (int k = S2_FIRST(par); k <= S2_LAST(par); ++k) acc[par] += vload16(0, span + k - S2_SPAN_FIRST);
        }
    }
    store_column_pairs(dx + row * W + st * 32, acc[0], acc[1], W - st * 32);
}

// dx as max_pool2d_backward_winners, for SW = 2 (winners from max_pool2d_winners_rows).
__kernel void max_pool2d_backward_rows_s2(__global const float* winners, __global const float* dy, __global float* dx,
                                          const int H, const int W, const int OH, const int OW, const int rows) {
    const int st = get_global_id(0), row = get_global_id(1);
    if (st * 32 >= W || row >= rows) return;
    const int r = row % H, u0 = st * 16;
    __global const float* wp = winners + (row / H) * OH * OW;
    __global const float* dyp = dy + (row / H) * OH * OW;
    const int16 even = (int16)(r * W + 2 * u0) + 2 * (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const int16 me[2] = {even, even + 1};
    float winnerSpan[S2_SPAN], dySpan[S2_SPAN];
    float16 acc[2] = {(float16)(0.0f), (float16)(0.0f)};
    for (int i = first_window(r, KH, SH, PH); i <= min((r + PH) / SH, OH - 1); ++i) {
        for (int l = 0; l < S2_SPAN; ++l) {
            const int j = u0 + S2_SPAN_FIRST + l;
            const bool inside = j >= 0 && j < OW;
            winnerSpan[l] = inside ? wp[i * OW + j] : as_float(-1);
            dySpan[l] = inside ? dyp[i * OW + j] : 0.0f;
        }
        _Pragma("unroll") for (int par = 0; par < 2; ++par) {
            for (int k = S2_FIRST(par); k <= S2_LAST(par); ++k) {
                const int16 won = as_int16(vload16(0, winnerSpan + k - S2_SPAN_FIRST)) == me[par];
                acc[par] += select((float16)(0.0f), vload16(0, dySpan + k - S2_SPAN_FIRST), won);
            }
        }
    }
    store_column_pairs(dx + row * W + st * 32, acc[0], acc[1], W - st * 32);
}

// dx[n,c,h,w] = dy[n,c] / area. One work-item per input element; total = N*C*area.
__kernel void global_avg_pool_backward_broadcast(__global const float* dy, __global float* dx,
                                                 const int area, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    dx[gid] = dy[gid / area] / (float)area;
}
