// bench_copy.cl — the yardsticks of `diffnas bench`, not used in training:
//   bench_copy                         a plain copy, dst[i] = src[i]: the device's achievable
//                                      copy bandwidth (8 bytes moved per element), which the
//                                      soft-mask kernels are compared against;
//   comparison_matrix_build +          the official DMS importance normalization,
//   rank_normalize_comparison_matrix   c'_i = mean_j [c_j ≤ c_i], through the N×N comparison
//                                      matrix it materializes (O(N²) time and memory): the
//                                      comparator of our O(N log N) radix-sort ranks.
//
// Layout: flat vectors of n floats; the comparison matrix is n×n row-major (row i holds
// [c_j ≤ c_i] for j = 0…n−1) and is indexed in 64 bits (n² exceeds 2³¹ from n = 46 341).
// Ties differ from rankNormalize: equal importances share the largest count (no index
// tie-break), and a NaN compares false both ways (its row sums to 0; it counts in no row).
// Tunables: none.
// Launched by: OpenCLBackend.benchCopy, OpenCLBackend.comparisonMatrixRankNormalize
// (OpenCLBackend+Bench.swift).

// dst[i] = src[i] for i < n. One work-item per element, like soft_mask_sigmoid.
__kernel void bench_copy(__global const float* src, __global float* dst, const int n) {
    const int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

// matrix[i·n + j] = (c[j] <= c[i]) ? 1 : 0 over a [n (j), n (i)] range.
__kernel void comparison_matrix_build(__global const float* c, __global float* matrix, const int n) {
    const int j = get_global_id(0);
    const int i = get_global_id(1);
    if (i < n && j < n) matrix[(ulong)i * (ulong)n + (ulong)j] = (c[j] <= c[i]) ? 1.0f : 0.0f;
}

// normalized[i] = (Σ_j matrix[i·n + j]) / n: the row mean. The sum of 0/1 values is exact
// while n ≤ 2²⁴; the one division rounds within OpenCL's 2.5 ulp. One work-item per row.
__kernel void rank_normalize_comparison_matrix(__global const float* matrix, __global float* normalized, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    __global const float* row = matrix + (ulong)i * (ulong)n;
    float count = 0.0f;
    for (int j = 0; j < n; ++j) count += row[j];
    normalized[i] = count / (float)n;
}
