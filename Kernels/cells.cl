// cells.cl — the data movement and mixing of DARTS-family cells: channel-range copies
// (concatenation and slices along C), the PC-DARTS channel shuffle, the weighted sum of a mixed
// edge, and spatial crops with their zero-padding backward.
//
// Layout: NCHW float arrays, row-major. A channel range [c0, c0 + k) of x: [N, C, S] is N
// contiguous chunks of k·S elements, one per sample, so a channel copy is a strided block copy.
// The copies, the shuffle and the weighted sum give each work-item CELL_VEC contiguous
// elements of one run (a sample's channel range, a plane, the whole array): one vector load and
// store each, the run's last, partial chunk element by element; their global sizes below count
// chunks. The crops are flat: one work-item per output element, over exactly `total` items
// (rounded up to the local size; items past `total` return).
//
// Kernels:
//   copy_channels        dst[n, at + c, s] = src[n, from + c, s], c < count; global (⌈count·S / CELL_VEC⌉, N)
//   channel_shuffle      y[n, j·g + i, s] = x[n, i·(C/g) + j, s]; global (⌈S / CELL_VEC⌉, C, N)
//   weighted_sum4        y = (accumulate ? y : 0) + Σ_{k < count} w[offset + k]·x_k, count ≤ 4 inputs
//                        per launch (unused pointers may alias x0); global ⌈n / CELL_VEC⌉
//   crop_spatial         y[p, i, j] = x[p, top + i, left + j] over planes p = n·C + c; global P·h·w
//   crop_spatial_backward dx[p, i, j] = dy[p, i − top, j − left] inside the window, else 0; global P·H·W
//
// Tunables (-D):
//   CELL_VEC  elements per work-item of the chunked kernels: 1, 2, 4, 8 or 16 (default 16; the
//             host passes LaunchPlan.cellVectorWidth: 16 on CPUs, whose work-items run one after
//             another and want whole vector registers, 1 on GPUs, whose neighbouring items coalesce)
//
// Launched by: OpenCLBackend.copyChannels, channelShuffle, weightedSum, weightedSumBackward (its
// ∂L/∂w[i] are dot products of elementwise.cl), cropSpatial, cropSpatialBackward
// (Sources/OpenCLBackend/OpenCLBackend+Cells.swift).

#ifndef CELL_VEC
#define CELL_VEC 16
#endif

#define CELL_CONCAT_(a, b) a##b
#define CELL_CONCAT(a, b) CELL_CONCAT_(a, b)
#if CELL_VEC == 1
#define CELL_VECTOR float
#define CELL_LOAD(p) (*(p))
#define CELL_STORE(v, p) (*(p) = (v))
#else
#define CELL_VECTOR CELL_CONCAT(float, CELL_VEC)
#define CELL_LOAD(p) CELL_CONCAT(vload, CELL_VEC)(0, p)
#define CELL_STORE(v, p) CELL_CONCAT(vstore, CELL_VEC)(v, 0, p)
#endif

// dst[k] = src[k] for k in chunk `chunk` of a run of `length` elements: [chunk·CELL_VEC, …).
inline void copy_chunk(__global const float* src, __global float* dst, const int chunk, const int length) {
    const int first = chunk * CELL_VEC;
    if (first + CELL_VEC <= length) {
        CELL_STORE(CELL_LOAD(src + first), dst + first);
    } else {
        for (int k = first; k < length; ++k) dst[k] = src[k];
    }
}

__kernel void copy_channels(__global const float* src, const int src_channels, const int from,
                            __global float* dst, const int dst_channels, const int at,
                            const int count, const int spatial) {
    const int chunk = get_global_id(0), n = get_global_id(1);
    const int length = count * spatial;  // elements of the range within one sample
    if (chunk * CELL_VEC >= length) return;
    copy_chunk(src + (n * src_channels + from) * spatial, dst + (n * dst_channels + at) * spatial, chunk, length);
}

__kernel void channel_shuffle(__global const float* x, __global float* y, const int channels, const int groups,
                              const int spatial) {
    const int chunk = get_global_id(0), c_out = get_global_id(1), n = get_global_id(2);
    if (chunk * CELL_VEC >= spatial) return;
    const int i = c_out % groups;  // c_out = j·g + i
    const int j = c_out / groups;
    const int c_in = i * (channels / groups) + j;
    copy_chunk(x + (n * channels + c_in) * spatial, y + (n * channels + c_out) * spatial, chunk, spatial);
}

// The weighted sum of chunk elements e ∈ [first, first + CELL_VEC) (or of one element), shared
// by the vector body and the scalar tail of weighted_sum4.
#define WEIGHTED_SUM4(T, LOAD, STORE)                      \
    {                                                      \
        T acc = accumulate ? LOAD(y) : (T)(0.0f);          \
        acc += (T)(w[offset]) * LOAD(x0);                  \
        if (count > 1) acc += (T)(w[offset + 1]) * LOAD(x1); \
        if (count > 2) acc += (T)(w[offset + 2]) * LOAD(x2); \
        if (count > 3) acc += (T)(w[offset + 3]) * LOAD(x3); \
        STORE(acc, y);                                     \
    }
#define SCALAR_LOAD(p) (p)[e]
#define SCALAR_STORE(v, p) ((p)[e] = (v))

__kernel void weighted_sum4(__global const float* x0, __global const float* x1, __global const float* x2,
                            __global const float* x3, __global const float* w, const int offset, const int count,
                            const int accumulate, __global float* y, const int n) {
    const int first = get_global_id(0) * CELL_VEC;
    if (first >= n) return;
    if (first + CELL_VEC <= n) {
        x0 += first; x1 += first; x2 += first; x3 += first; y += first;
        WEIGHTED_SUM4(CELL_VECTOR, CELL_LOAD, CELL_STORE)
    } else {
        for (int e = first; e < n; ++e) WEIGHTED_SUM4(float, SCALAR_LOAD, SCALAR_STORE)
    }
}

__kernel void crop_spatial(__global const float* x, __global float* y, const int in_h, const int in_w,
                           const int top, const int left, const int h, const int w, const int total) {
    const int e = get_global_id(0);
    if (e >= total) return;
    const int j = e % w;
    const int i = (e / w) % h;
    const int p = e / (w * h);
    y[e] = x[(p * in_h + top + i) * in_w + left + j];
}

__kernel void crop_spatial_backward(__global const float* dy, __global float* dx, const int in_h, const int in_w,
                                    const int top, const int left, const int h, const int w, const int total) {
    const int e = get_global_id(0);
    if (e >= total) return;
    const int col = e % in_w;
    const int row = (e / in_w) % in_h;
    const int p = e / (in_w * in_h);
    const int i = row - top, j = col - left;
    dx[e] = (i >= 0 && i < h && j >= 0 && j < w) ? dy[(p * h + i) * w + j] : 0.0f;
}
