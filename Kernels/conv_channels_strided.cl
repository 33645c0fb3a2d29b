// conv_channels_strided.cl — the input gradient of a dense stride-2 convolution (dilation 1,
// groups 1) with input channels in the vector lanes, for CPU devices with 16-lane vectors
// (AVX-512):
//
//   dx[n, c, h, w] = Σ_{o < CO, p < KH, q < KW} dy[n, o, i, j] · w[o, c, p, q]
//   over the taps with h + PH − p = 2i and w + PW − q = 2j (dy is zero outside OH × OW).
//
// Layout: dy [N, CO, OH, OW] as it is (no padded copy), weights wt[(o·KH·KW + p·KW + q)·CIPAD + c]
// (conv_direct.cl's conv_direct_weights in mode 2: channel roles swapped, taps not flipped,
// CIPAD a multiple of 16, zero past CI), dx [N, CI, H, W].
//
// A work-item owns one dx row h and 16 dx channels c0 … c0 + 15. Row h meets only the taps
// p ≡ h + PH (mod 2), each at one dy row i = (h + PH − p) / 2. The row is covered in tiles of
// CS_CT columns, one after another, each with CS_CT float16 accumulators (acc[k] lane l sums
// dx[n, c0 + l, h, t·CT + k]): per output channel and tap row it loads one weight vector per
// tap q and meets it with the dy values of the tile's columns of parity w ≡ q + PW (mod 2),
// broadcast. W, OW and the tile are compile-time, so the column loops unroll and every parity
// and bounds test on a column folds away; each dy value is loaded once per tap row. Whole tiles
// of 16 columns are stored by a 16 × 16 transpose in registers (four rounds of shuffle2), one
// vector store per channel; other tiles store lane by lane.
// Global (H, CIPAD / 16, N).
//
// Tunables (-D, defaults so the file compiles alone): CS_KH, CS_KW (the window, default 3×3),
// CS_PH, CS_PW (padding, default 1), CS_W (dx width, default 16), CS_OW (dy width, default 8),
// CS_CT (columns per tile, default 16).
//
// Launched by: OpenCLBackend.conv2dBackwardInputChannelsStrided
// (Sources/OpenCLBackend/OpenCLBackend+ConvolutionStrided.swift), where
// LaunchPlan.channelStridedInputGradient takes the convolution.

#ifndef CS_KH
#define CS_KH 3
#endif
#ifndef CS_KW
#define CS_KW 3
#endif
#ifndef CS_PH
#define CS_PH 1
#endif
#ifndef CS_PW
#define CS_PW 1
#endif
#ifndef CS_W
#define CS_W 16
#endif
#ifndef CS_OW
#define CS_OW 8
#endif
#ifndef CS_CT
#define CS_CT 16
#endif

#define CS_TILES ((CS_W + CS_CT - 1) / CS_CT)

// One round of the 16 × 16 transpose: in each pair of rows r, r + b (r & b == 0), swap the
// b-lane block right of the diagonal of each 2b-lane chunk with the one left of it in row r + b.
#define CS_SWAP(b, lo, hi)                                                    \
    _Pragma("unroll") for (int r = 0; r < 16; ++r) {                          \
        if (r & (b)) continue;                                                \
        const float16 top = m[r], bottom = m[r + (b)];                        \
        m[r] = shuffle2(top, bottom, lo);                                     \
        m[r + (b)] = shuffle2(top, bottom, hi);                               \
    }

// m[k] lane l becomes m[l] lane k. Always inlined: a call would keep the accumulators in memory
// through the whole loop before it (the array's address escapes).
__attribute__((always_inline)) inline void cs_transpose16(float16 m[16]) {
    CS_SWAP(8, (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
            (uint16)(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
    CS_SWAP(4, (uint16)(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
            (uint16)(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))
    CS_SWAP(2, (uint16)(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
            (uint16)(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))
    CS_SWAP(1, (uint16)(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
            (uint16)(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))
}

// conv2d_channels_input_grad_s2: work-item (dx row h, channel block b, image n).
__kernel void conv2d_channels_input_grad_s2(__global const float* restrict dy, __global const float* restrict wt,
                                            __global float* restrict dx, const int CI, const int CO, const int CIPAD,
                                            const int H, const int OH) {
    const int h = get_global_id(0), b = get_global_id(1), n = get_global_id(2);
    const int c0 = b * 16;
    if (h >= H || c0 >= CIPAD) return;
    const int firstTap = (h + CS_PH) & 1;

#pragma unroll
    for (int t = 0; t < CS_TILES; ++t) {
        float16 acc[CS_CT];
#pragma unroll
        for (int k = 0; k < CS_CT; ++k) acc[k] = (float16)(0.0f);

        for (int o = 0; o < CO; ++o) {
            __global const float* plane = dy + (size_t)(n * CO + o) * OH * CS_OW;
            __global const float* taps = wt + (size_t)o * CS_KH * CS_KW * CIPAD + c0;
            for (int p = firstTap; p < CS_KH; p += 2) {
                const int i = (h + CS_PH - p) / 2;  // exact: h + PH − p is even
                if (i < 0 || i >= OH) continue;
                __global const float* row = plane + i * CS_OW;
#pragma unroll
                for (int q = 0; q < CS_KW; ++q) {
                    const float16 wv = vload16(0, taps + (p * CS_KW + q) * CIPAD);
#pragma unroll
                    for (int k = 0; k < CS_CT; ++k) {
                        const int e = t * CS_CT + k + CS_PW - q;  // 2j: dy column j meets dx column t·CT + k
                        if (t * CS_CT + k >= CS_W || (e & 1) || e < 0 || e / 2 >= CS_OW) continue;
                        acc[k] = fma(wv, (float16)(row[e / 2]), acc[k]);
                    }
                }
            }
        }

        const int w0 = t * CS_CT;
        const int columns = min(CS_CT, CS_W - w0);
        const int channels = min(16, CI - c0);
        __global float* out = dx + ((size_t)(n * CI + c0) * H + h) * CS_W + w0;
#if CS_CT == 16
        if (columns == 16) {
            cs_transpose16(acc);
            // Constant indices only (a runtime acc[l] would keep acc in memory through the loop above).
#pragma unroll
            for (int l = 0; l < 16; ++l) {
                if (l < channels) vstore16(acc[l], 0, out + (size_t)l * H * CS_W);
            }
            continue;
        }
#endif
        float lanes[CS_CT][16];
#pragma unroll
        for (int k = 0; k < CS_CT; ++k) vstore16(acc[k], 0, lanes[k]);
        for (int l = 0; l < channels; ++l)
            for (int k = 0; k < columns; ++k) out[(size_t)l * H * CS_W + k] = lanes[k][l];
    }
}
