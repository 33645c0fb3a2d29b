// memory.cl — filling raw Float32 buffers.
//
// Layout: flat arrays of `n` floats.
// Tunables (-D):
//   FILL_VEC  elements per work-item: 1, 2, 4, 8 or 16 (default 16; the host passes
//             LaunchPlan.chunkVectorWidth: 16 on CPUs, 1 on GPUs)
// Launched by: OpenCLBackend.fill (OpenCLBackend.swift).

#ifndef FILL_VEC
#define FILL_VEC 16
#endif

#define FILL_CONCAT_(a, b) a##b
#define FILL_CONCAT(a, b) FILL_CONCAT_(a, b)

// x[i] = value for i < n: work-item k sets [k·FILL_VEC, (k + 1)·FILL_VEC), one vector store, or
// element by element for the last, partial chunk. Global ⌈n / FILL_VEC⌉.
__kernel void fill(__global float* x, const float value, const int n) {
    const int first = get_global_id(0) * FILL_VEC;
    if (first >= n) return;
#if FILL_VEC > 1
    if (first + FILL_VEC <= n) {
        FILL_CONCAT(vstore, FILL_VEC)((FILL_CONCAT(float, FILL_VEC))(value), 0, x + first);
        return;
    }
#endif
    for (int i = first; i < min(n, first + FILL_VEC); ++i) x[i] = value;
}
