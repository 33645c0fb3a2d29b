// conv_direct_strided.cl — the input gradient of a stride-2 convolution (dilation 1, any kernel,
// padding and groups) as a direct sum over dy, with no column matrix and no col2im:
//   dx[n, g·CI + c, h, w] = Σ_{o < CO, p < KH, q < KW} dy[n, g·CO + o, i, j] · w[g·CO + o, c, p, q]
//   over the taps with h + PH − p = 2i and w + PW − q = 2j (dy is zero outside OH × OW).
// Row h meets only the taps p ≡ h + PH (mod 2), each at one dy row i = (h + PH − p)/2; column w
// only the taps q ≡ w + PW (mod 2), at dy column (w + PW − q)/2. So the even and the odd columns
// of a dx row are each a stride-1 correlation of one dy row: a work-item keeps OCB channels ×
// two float16 accumulators, `even` (dx columns 2(j0 + v)) and `odd` (2(j0 + v) + 1), each tap q
// feeding the one of parity s = (q − PW) mod 2 with the contiguous dy columns
// j0 + v + (s + PW − q)/2 (one vector load per tap, OCB broadcast weights, OCB fused
// multiply-adds), and interleaves the two into contiguous dx columns at the end.
// ROWS 1: the 16 lanes are 16 column pairs of one dx row h (32 columns); ROWS 2: 8 column pairs
// of rows h and h + 2 (same parity, so the same taps, dy rows i and i + 1), for dx rows narrower
// than 32 columns.
//
// Layout: dyp [images, G·CO, DHP, DWP]: dy zero-padded by DPT rows on top and DPL columns on the
// left, and past its end to cover every read (conv_pad_input of conv_direct.cl), so the loop has
// no bounds checks; weights wt[((g·CO + o)·KH·KW + p·KW + q)·CIPAD + c] (conv_direct_weights of
// conv_direct.cl, mode 2: channel roles swapped, taps not flipped), zero for c ≥ CI, CIPAD a
// multiple of OCB; dx [images, G·CI, H, W] from element dxOff = n0·G·CI·H·W.
// Global (⌈W / (32/ROWS)⌉, ROWS 1: H, ROWS 2: 2·⌈H/4⌉ (work-item it takes rows
// 4⌊it/2⌋ + it mod 2 and the row 2 below), images·G·CIPAD/OCB).
//
// Tunables (-D):
//   OCB   dx channels per work-item (default 8: 2·OCB float16 accumulators)
//   ROWS  1 (default) or 2, as above
//
// Launched by: OpenCLBackend.conv2dBackwardInputStrided (OpenCLBackend+ConvolutionStrided.swift),
// for the stride-2 OpenCLBackend.conv2dBackwardInput where the direct kernels are chosen and
// conv_channels_strided.cl's kernel does not take the convolution (it takes dense ones on
// AVX-512 CPU devices: LaunchPlan.channelStridedInputGradient).

#ifndef OCB
#define OCB 8
#endif
#ifndef ROWS
#define ROWS 1
#endif

// dx column pairs per row of a work-item.
#define PAIRS (16 / ROWS)

// PAIRS consecutive dy values of one row (ROWS 1), or of two rows `rowStep` apart (ROWS 2).
inline float16 load_pairs(__global const float* row, const int rowStep) {
#if ROWS == 2
    return (float16)(vload8(0, row), vload8(0, row + rowStep));
#else
    return vload16(0, row);
#endif
}

__kernel void conv2d_direct_input_grad_s2(__global const float* restrict dyp, __global const float* restrict wt,
                                          __global float* restrict dx, const int dxOff, const int images,
                                          const int G, const int CI, const int CO, const int CIPAD,
                                          const int DHP, const int DWP, const int DPT, const int DPL,
                                          const int KH, const int KW, const int PH, const int PW, const int H, const int W) {
    const int jt = get_global_id(0), it = get_global_id(1), id = get_global_id(2);
    const int blocks = CIPAD / OCB;
    const int h0 = ROWS == 2 ? (it >> 1) * 4 + (it & 1) : it;
    if (jt * 2 * PAIRS >= W || h0 >= H || id >= images * G * blocks) return;
    const int nl = id / (G * blocks), g = (id / blocks) % G, c0 = (id % blocks) * OCB;
    const int j0 = jt * PAIRS, taps = KH * KW;

    float16 even[OCB], odd[OCB];
    _Pragma("unroll") for (int c = 0; c < OCB; ++c) {
        even[c] = (float16)(0.0f);
        odd[c] = (float16)(0.0f);
    }

    for (int o = 0; o < CO; ++o) {
        __global const float* plane = dyp + (nl * G * CO + g * CO + o) * DHP * DWP + DPL + j0;
        __global const float* weights = wt + (g * CO + o) * taps * CIPAD + c0;
        // The taps of row h0's parity: h0 + PH − p is even (and PW − q, PW + 1 − q below), so / 2 is exact.
        for (int p = (h0 + PH) & 1; p < KH; p += 2) {
            __global const float* row = plane + (DPT + (h0 + PH - p) / 2) * DWP;
            __global const float* tapWeights = weights + p * KW * CIPAD;
            for (int q = PW & 1; q < KW; q += 2) {  // even columns: q ≡ PW (mod 2)
                const float16 dv = load_pairs(row + (PW - q) / 2, DWP);
                __global const float* wv = tapWeights + q * CIPAD;
                _Pragma("unroll") for (int c = 0; c < OCB; ++c) even[c] = fma((float16)(wv[c]), dv, even[c]);
            }
            for (int q = (PW + 1) & 1; q < KW; q += 2) {  // odd columns: q ≡ PW + 1 (mod 2)
                const float16 dv = load_pairs(row + (PW + 1 - q) / 2, DWP);
                __global const float* wv = tapWeights + q * CIPAD;
                _Pragma("unroll") for (int c = 0; c < OCB; ++c) odd[c] = fma((float16)(wv[c]), dv, odd[c]);
            }
        }
    }

    // lo: even/odd lanes 0–7 interleaved, hi: lanes 8–15 (ROWS 1: columns 2j0 … 2j0 + 15 and
    // 2j0 + 16 … 2j0 + 31 of row h0; ROWS 2: columns 2j0 … 2j0 + 15 of rows h0 and h0 + 2).
    const uint16 loMask = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const uint16 hiMask = loMask + (uint16)(8);
    const int w0 = 2 * j0, columns = min(2 * PAIRS, W - w0);
    _Pragma("unroll") for (int c = 0; c < OCB; ++c) {
        if (c0 + c >= CI) continue;
        __global float* dxplane = dx + dxOff + (nl * G * CI + g * CI + c0 + c) * H * W;
        const float16 lo = shuffle2(even[c], odd[c], loMask), hi = shuffle2(even[c], odd[c], hiMask);
#if ROWS == 2
        __global float* out = dxplane + h0 * W + w0;
        if (columns == 16) {
            vstore16(lo, 0, out);
            if (h0 + 2 < H) vstore16(hi, 0, out + 2 * W);
        } else {
            float lanes[32];
            vstore16(lo, 0, lanes);
            vstore16(hi, 0, lanes + 16);
            for (int l = 0; l < columns; ++l) out[l] = lanes[l];
            if (h0 + 2 < H) {
                for (int l = 0; l < columns; ++l) out[2 * W + l] = lanes[16 + l];
            }
        }
#else
        __global float* out = dxplane + h0 * W + w0;
        if (columns == 32) {
            vstore16(lo, 0, out);
            vstore16(hi, 0, out + 16);
        } else {
            float lanes[32];
            vstore16(lo, 0, lanes);
            vstore16(hi, 0, lanes + 16);
            for (int l = 0; l < columns; ++l) out[l] = lanes[l];
        }
#endif
    }
}
