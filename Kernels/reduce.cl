// reduce.cl — sums (and means) over one contiguous group of axes, the building block of
// sum/mean over any axis set, of global average pooling and of the mean loss.
//
// Layout: the host coalesces adjacent axes and reduces one group of reduced axes per pass,
// viewing the tensor as x[outer, R, inner] (row-major) and producing y[outer, inner].
// Large reductions run in two stages: stage 1 splits R into `chunks` spans and writes
// partial sums [outer, chunks, inner]; stage 2 reduces those partials with chunks = 1.
// Each work-item accumulates with Kahan compensation; work-groups combine their items with a
// pairwise tree in __local memory. No long serial float sums anywhere.
// `divisor` divides the final result (1 for a sum, the reduced count for a mean).
//
// Tunables:
//   WG   work-group size of reduce_sum_rows_tree (a power of two; the host launches exactly
//        this local size)
//
// Launched by: OpenCLBackend.sum, mean, globalAvgPool, softmaxCrossEntropy (through
// OpenCLBackend.reduceSum, OpenCLBackend+Reduction.swift).

#ifndef WG
#define WG 64
#endif

// Compensated (Kahan) accumulation: `sum` holds the running total, `comp` the negated
// rounding error still to be added. Once the total is ±inf or NaN the compensation is dropped
// (inf − inf would turn a +inf sum into NaN); finite sums are unaffected.
#define KAHAN_ADD(sum, comp, value) \
    do { const float y_ = (value) - (comp); const float t_ = (sum) + y_; \
         (comp) = isfinite(t_) ? (t_ - (sum)) - y_ : 0.0f; (sum) = t_; } while (0)

// Reduction of contiguous rows (inner == 1): x is [rows, R]; out is [rows, chunks].
// One work-group of WG items per (row, chunk): global = rows*chunks*WG, local = WG.
// Group g handles row g / chunks, elements [c*span, min((c+1)*span, R)) with c = g % chunks;
// item l reads elements start + l, start + l + WG, ... (coalesced), then a __local tree
// adds the WG per-item sums. out[g] = group sum / divisor.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void reduce_sum_rows_tree(__global const float* x, __global float* out,
                          const int R, const int chunks, const int span, const float divisor) {
    __local float scratch[WG];
    const int lid = get_local_id(0);
    const int g = get_group_id(0);
    const int row = g / chunks;
    const int c = g - row * chunks;
    const int start = c * span;
    const int end = min(start + span, R);
    __global const float* xr = x + row * R;
    float sum = 0.0f, comp = 0.0f;
    for (int k = start + lid; k < end; k += WG) KAHAN_ADD(sum, comp, xr[k]);
    scratch[lid] = sum - comp;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int offset = WG / 2; offset > 0; offset >>= 1) {
        if (lid < offset) scratch[lid] += scratch[lid + offset];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[g] = scratch[0] / divisor;
}

// Reduction of a middle axis (any inner, also short rows): x is [outer, R, inner]; out is
// [outer, chunks, inner]. One work-item per output element (o, c, i), total = outer*chunks*inner;
// item reads x[o, r, i] for r in [c*span, min((c+1)*span, R)) (adjacent items read adjacent
// addresses when inner > 1) with Kahan compensation. out = sum / divisor.
__kernel void reduce_sum_columns_kahan(__global const float* x, __global float* out,
                                       const int R, const int inner, const int chunks, const int span,
                                       const float divisor, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int i = gid % inner;
    const int c = (gid / inner) % chunks;
    const int o = gid / (inner * chunks);
    const int start = c * span;
    const int end = min(start + span, R);
    __global const float* xo = x + o * R * inner + i;
    float sum = 0.0f, comp = 0.0f;
    for (int r = start; r < end; ++r) KAHAN_ADD(sum, comp, xo[r * inner]);
    out[gid] = (sum - comp) / divisor;
}
