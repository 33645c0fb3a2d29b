// cells.cl — the data movement and mixing of DARTS-family cells: channel-range copies
// (concatenation and slices along C), the PC-DARTS channel shuffle, the weighted sum of a mixed
// edge, and spatial crops with their zero-padding backward.
//
// Layout: NCHW float arrays, row-major. A channel range [c0, c0 + k) of x: [N, C, S] is N
// contiguous chunks of k·S elements, one per sample, so a channel copy is a strided block copy.
// Every kernel is flat: one work-item per output element, launched over exactly `total` items
// (rounded up to the local size; items past `total` return).
//
// Kernels:
//   copy_channels        dst[n, at + c, s] = src[n, from + c, s], c < count; global N·count·S
//   channel_shuffle      y[n, j·g + i, s] = x[n, i·(C/g) + j, s]; global N·C·S
//   weighted_sum4        y = (accumulate ? y : 0) + Σ_{k < count} w[offset + k]·x_k, count ≤ 4 inputs
//                        per launch (unused pointers may alias x0); global n
//   crop_spatial         y[p, i, j] = x[p, top + i, left + j] over planes p = n·C + c; global P·h·w
//   crop_spatial_backward dx[p, i, j] = dy[p, i − top, j − left] inside the window, else 0; global P·H·W
//
// Tunables (-D): none; the local size is the launch plan's elementwise size.
//
// Launched by: OpenCLBackend.copyChannels, channelShuffle, weightedSum, weightedSumBackward (its
// ∂L/∂w[i] are dot products of elementwise.cl), cropSpatial, cropSpatialBackward
// (Sources/OpenCLBackend/OpenCLBackend+Cells.swift).

__kernel void copy_channels(__global const float* src, const int src_channels, const int from,
                            __global float* dst, const int dst_channels, const int at,
                            const int count, const int spatial, const int total) {
    const int e = get_global_id(0);
    if (e >= total) return;
    const int chunk = count * spatial;  // elements of the range within one sample
    const int n = e / chunk;
    const int r = e - n * chunk;
    dst[(n * dst_channels + at) * spatial + r] = src[(n * src_channels + from) * spatial + r];
}

__kernel void channel_shuffle(__global const float* x, __global float* y, const int channels, const int groups,
                              const int spatial, const int total) {
    const int e = get_global_id(0);
    if (e >= total) return;
    const int s = e % spatial;
    const int nc = e / spatial;
    const int c_out = nc % channels;
    const int n = nc / channels;
    const int i = c_out % groups;  // c_out = j·g + i
    const int j = c_out / groups;
    const int c_in = i * (channels / groups) + j;
    y[e] = x[(n * channels + c_in) * spatial + s];
}

__kernel void weighted_sum4(__global const float* x0, __global const float* x1, __global const float* x2,
                            __global const float* x3, __global const float* w, const int offset, const int count,
                            const int accumulate, __global float* y, const int n) {
    const int e = get_global_id(0);
    if (e >= n) return;
    float acc = accumulate ? y[e] : 0.0f;
    acc += w[offset] * x0[e];
    if (count > 1) acc += w[offset + 1] * x1[e];
    if (count > 2) acc += w[offset + 2] * x2[e];
    if (count > 3) acc += w[offset + 3] * x3[e];
    y[e] = acc;
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
