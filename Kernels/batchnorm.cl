// batchnorm.cl — batch normalization: per-channel batch statistics, normalization, backward.
//
// Layout: x, y, dy, dx are [N, C, S] row-major floats (S = H·W; S = 1 for [N, C] inputs), i.e.
// N·C rows of S contiguous elements, row r = b·C + c belonging to channel c = r % C.
// gamma, beta, running and saved statistics: [C].
// The per-channel reductions walk a channel in float4 chunks: each of its N rows splits into
// Q = ceil(S / 4) chunks of 4 consecutive elements (the row's last chunk may hold 1–3), and
// the channel's N·Q chunks are numbered e = b·Q + q; work-item lid of the channel's group takes
// chunks e = lid, lid + BN_GROUP_SIZE, … (consecutive work-items read consecutive chunks).
//
// Kernels:
//   batchnorm_stats_group_tree          one work-group per channel: two-pass mean and biased
//                                       variance (local-memory tree), invstd, running stats;
//                                       with BN_GROUP_SIZE 1 one work-item walks the channel's
//                                       rows in float16 loads.
//   batchnorm_normalize_rows_vec4       one work-item per 4 consecutive elements of a row:
//                                       y = γ·(x − μ)·invstd + β.
//   batchnorm_backward_sums_group_tree  one work-group per channel: Σdy and Σdy·x̂.
//   batchnorm_backward_input_rows_vec4  one work-item per 4 elements of a row: dx.
//   batchnorm_normalize_rows_loop,      the same two on CPU devices (LaunchPlan.rowLoops):     
//   batchnorm_backward_input_rows_loop  one work-item per row, in float16 steps.
// and for S = 1, where the C channels are the contiguous axis of each of the N rows:
//   batchnorm_stats_columns             one work-item per 4 consecutive channels (a float4),
//                                       walking the N rows (neighbouring work-items read
//                                       neighbouring addresses).
//   batchnorm_normalize_columns_vec4    one work-item per 4 consecutive channels of a row.
//   batchnorm_backward_sums_columns     one work-item per 4 channels walking the N rows.
//   batchnorm_backward_input_columns_vec4  one work-item per 4 consecutive channels of a row.
//
// Tunables (-D):
//   BN_GROUP_SIZE  work-items per channel in the *_group_tree kernels; a power of two, and the
//                  kernels must be launched with exactly this local size (default 256, for GPUs;
//                  the CPU device uses one work-item: see OpenCLBackend+Elementwise.swift).
//   BN_SUM_BLOCK   chunks (pairs of rows, with BN_GROUP_SIZE 1) a work-item adds into a block sum
//                  before folding it into its running sum (default 64): a sequential sum of m terms then
//                  errs by ~(64 + m/64)·2⁻²⁴ relative instead of ~m·2⁻²⁴ (matters where one
//                  work-item walks a channel).
//
// Launched by: OpenCLBackend.batchNormTraining, batchNormInference, batchNormBackward
// (Sources/OpenCLBackend/OpenCLBackend+Normalization.swift).

#ifndef BN_GROUP_SIZE
#define BN_GROUP_SIZE 256
#endif
#ifndef BN_SUM_BLOCK
#define BN_SUM_BLOCK 64
#endif

// Sum of `value` over the work-group (a power-of-two BN_GROUP_SIZE), returned to every
// work-item. `scratch` holds BN_GROUP_SIZE floats; every work-item must call this.
inline float bn_group_sum(float value, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int offset = BN_GROUP_SIZE / 2; offset > 0; offset >>= 1) {
        if (lid < offset) scratch[lid] += scratch[lid + offset];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);  // scratch may be reused by the next call
    return total;
}

// The chunk of `row` (S elements) starting at column s: a float4 load for a full chunk; for
// the row's last, partial chunk its 1–3 elements, padded with `fill`.
inline float4 bn_load_chunk(__global const float* row, const int s, const int S, const float fill) {
    if (s + 4 <= S) return vload4(0, row + s);
    float4 v = (float4)(fill);
    v.x = row[s];
    if (s + 1 < S) v.y = row[s + 1];
    if (s + 2 < S) v.z = row[s + 2];
    return v;
}

inline float bn_horizontal_sum(const float4 v) { return (v.x + v.y) + (v.z + v.w); }

inline float bn_lane_sum(const float16 v) {
    const float8 h = v.lo + v.hi;
    const float4 q = h.lo + h.hi;
    return (q.x + q.y) + (q.z + q.w);
}

// The row sums of the one-work-item-per-channel path (BN_GROUP_SIZE 1, CPU devices): one
// float16 load per 16 elements of the S-element row (the last 0–15 one by one), so the loop is
// a vector add per load (the chunk walk of the group path costs a dozen scalar instructions per
// float4 there). Each lane adds ⌈S/16⌉ terms; the caller folds rows (pairs of rows, below) in
// blocks of BN_SUM_BLOCK.
// Σ (row[s] − shift)
inline float bn_row_sum(__global const float* row, const int S, const float shift) {
    float16 acc = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) acc += vload16(0, row + s) - shift;
    float tail = 0.0f;
    for (; s < S; ++s) tail += row[s] - shift;
    return bn_lane_sum(acc) + tail;
}

// Σ (row[s] − mean)²
inline float bn_row_squares(__global const float* row, const int S, const float mean) {
    float16 acc = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        const float16 d = vload16(0, row + s) - mean;
        acc = fma(d, d, acc);
    }
    float tail = 0.0f;
    for (; s < S; ++s) tail += (row[s] - mean) * (row[s] - mean);
    return bn_lane_sum(acc) + tail;
}

// (Σ dy, Σ dy·x̂) over one row, x̂ = (x − mean)·invstd.
inline float2 bn_row_gradient_sums(__global const float* dy, __global const float* x, const int S, const float mean,
                                   const float istd) {
    float16 g = (float16)(0.0f), gx = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        const float16 d = vload16(0, dy + s);
        g += d;
        gx = fma(d, (vload16(0, x + s) - mean) * istd, gx);
    }
    float tg = 0.0f, tgx = 0.0f;
    for (; s < S; ++s) {
        tg += dy[s];
        tgx += dy[s] * ((x[s] - mean) * istd);
    }
    return (float2)(bn_lane_sum(g) + tg, bn_lane_sum(gx) + tgx);
}

// The same three on two rows at once (ra and rb: rows b and b + N/2 of a channel), so a
// work-item keeps two memory streams in flight: one channel's rows lie C·S floats apart, and
// with one stream per core the walk ran at 14–27 GB/s, latency-bound (two rows interleaved:
// 0.77–0.90 of the statistics kernel's time in-process on a Zen 4 EPYC, PoCL).
// Σ (ra[s] − shift) + Σ (rb[s] − shift)
inline float bn_rows_sum(__global const float* ra, __global const float* rb, const int S, const float shift) {
    float16 a = (float16)(0.0f), b = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        a += vload16(0, ra + s) - shift;
        b += vload16(0, rb + s) - shift;
    }
    float tail = 0.0f;
    for (; s < S; ++s) tail += (ra[s] - shift) + (rb[s] - shift);
    return (bn_lane_sum(a) + bn_lane_sum(b)) + tail;
}

// Σ (ra[s] − mean)² + Σ (rb[s] − mean)²
inline float bn_rows_squares(__global const float* ra, __global const float* rb, const int S, const float mean) {
    float16 a = (float16)(0.0f), b = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        const float16 d = vload16(0, ra + s) - mean, e = vload16(0, rb + s) - mean;
        a = fma(d, d, a);
        b = fma(e, e, b);
    }
    float tail = 0.0f;
    for (; s < S; ++s) tail += (ra[s] - mean) * (ra[s] - mean) + (rb[s] - mean) * (rb[s] - mean);
    return (bn_lane_sum(a) + bn_lane_sum(b)) + tail;
}

// bn_row_gradient_sums of rows a and b, added.
inline float2 bn_rows_gradient_sums(__global const float* dya, __global const float* xa, __global const float* dyb,
                                    __global const float* xb, const int S, const float mean, const float istd) {
    float16 ga = (float16)(0.0f), gxa = (float16)(0.0f), gb = (float16)(0.0f), gxb = (float16)(0.0f);
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        const float16 da = vload16(0, dya + s), db = vload16(0, dyb + s);
        ga += da;
        gb += db;
        gxa = fma(da, (vload16(0, xa + s) - mean) * istd, gxa);
        gxb = fma(db, (vload16(0, xb + s) - mean) * istd, gxb);
    }
    float tg = 0.0f, tgx = 0.0f;
    for (; s < S; ++s) {
        tg += dya[s] + dyb[s];
        tgx += dya[s] * ((xa[s] - mean) * istd) + dyb[s] * ((xb[s] - mean) * istd);
    }
    return (float2)((bn_lane_sum(ga) + bn_lane_sum(gb)) + tg, (bn_lane_sum(gxa) + bn_lane_sum(gxb)) + tgx);
}

// Writes channel c's saved statistics and updates its running statistics (PyTorch rule: the
// unbiased variance var·n/(n − 1), or var itself when n = 1).
inline void bn_store_stats(const int c, const int n, const float mean, const float var, const float eps, const float momentum,
                           __global float* mean_out, __global float* invstd_out,
                           __global float* running_mean, __global float* running_var) {
    mean_out[c] = mean;
    invstd_out[c] = 1.0f / sqrt(var + eps);
    const float unbiased = n > 1 ? var * (float)n / (float)(n - 1) : var;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
}

// Per channel c = group id, over its n = N·S elements:
//   mean = x₀ + Σ(x − x₀) / n   (x₀ the channel's first element: the float sum then holds
//                                deviations, not n·mean, so it stays accurate when |mean| ≫ std)
//   var = Σ(x − mean)² / n      (second pass);  invstd = 1 / sqrt(var + eps)
//   running_mean = (1 − momentum)·running_mean + momentum·mean
//   running_var  = (1 − momentum)·running_var  + momentum·var·n/(n − 1)   (var when n = 1)
// Global size C·BN_GROUP_SIZE, local size BN_GROUP_SIZE. Requires N, S ≥ 1.
__kernel __attribute__((reqd_work_group_size(BN_GROUP_SIZE, 1, 1)))
void batchnorm_stats_group_tree(__global const float* x, const int N, const int C, const int S,
                                const float eps, const float momentum,
                                __global float* mean_out, __global float* invstd_out,
                                __global float* running_mean, __global float* running_var) {
    const int c = get_group_id(0);
    const int n = N * S;
#if BN_GROUP_SIZE == 1
    // One work-item walks its channel two rows at a time, b and b + N/2 (see bn_rows_sum), the
    // last row alone when N is odd.
    const float shift = x[c * S];
    const int pairs = N / 2;
    float sum = 0.0f, block = 0.0f;
    for (int b = 0; b < pairs; ++b) {
        block += bn_rows_sum(x + (b * C + c) * S, x + ((b + pairs) * C + c) * S, S, shift);
        if ((b + 1) % BN_SUM_BLOCK == 0) { sum += block; block = 0.0f; }
    }
    if (N % 2) block += bn_row_sum(x + ((N - 1) * C + c) * S, S, shift);
    const float mean = shift + (sum + block) / (float)n;
    float squares = 0.0f;
    block = 0.0f;
    for (int b = 0; b < pairs; ++b) {
        block += bn_rows_squares(x + (b * C + c) * S, x + ((b + pairs) * C + c) * S, S, mean);
        if ((b + 1) % BN_SUM_BLOCK == 0) { squares += block; block = 0.0f; }
    }
    if (N % 2) block += bn_row_squares(x + ((N - 1) * C + c) * S, S, mean);
    const float var = (squares + block) / (float)n;
    bn_store_stats(c, n, mean, var, eps, momentum, mean_out, invstd_out, running_mean, running_var);
#else
    __local float scratch[BN_GROUP_SIZE];
    const int lid = get_local_id(0);
    const int Q = (S + 3) / 4, chunks = N * Q;
    // Walk e = lid, lid + G, … as (b, q) without a division per chunk.
    const int step_b = BN_GROUP_SIZE / Q, step_q = BN_GROUP_SIZE - step_b * Q;
    const int b0 = lid / Q, q0 = lid - b0 * Q;

    const float shift = x[c * S];
    float4 sum = (float4)(0.0f), block = (float4)(0.0f);
    int k = 0;
    for (int e = lid, b = b0, q = q0; e < chunks; e += BN_GROUP_SIZE) {
        block += bn_load_chunk(x + (b * C + c) * S, 4 * q, S, shift) - shift;
        if (++k == BN_SUM_BLOCK) { sum += block; block = (float4)(0.0f); k = 0; }
        q += step_q; b += step_b;
        if (q >= Q) { q -= Q; b += 1; }
    }
    const float mean = shift + bn_group_sum(bn_horizontal_sum(sum + block), scratch) / (float)n;

    float4 squares = (float4)(0.0f);
    block = (float4)(0.0f);
    k = 0;
    for (int e = lid, b = b0, q = q0; e < chunks; e += BN_GROUP_SIZE) {
        const float4 d = bn_load_chunk(x + (b * C + c) * S, 4 * q, S, mean) - mean;
        block += d * d;
        if (++k == BN_SUM_BLOCK) { squares += block; block = (float4)(0.0f); k = 0; }
        q += step_q; b += step_b;
        if (q >= Q) { q -= Q; b += 1; }
    }
    const float var = bn_group_sum(bn_horizontal_sum(squares + block), scratch) / (float)n;

    if (lid == 0) bn_store_stats(c, n, mean, var, eps, momentum, mean_out, invstd_out, running_mean, running_var);
#endif
}

// y[r, s] = γ[c]·(x[r, s] − mean[c])·invstd + β[c] for row r = (b, c) of [N·C, S], where
// invstd = stat[c] when stat_is_variance == 0 (saved invstd of a training pass), and
// invstd = 1 / sqrt(stat[c] + eps) when stat_is_variance != 0 (running variance, inference).
// Global [ceil(S / 4), N·C]: work-item (i, r) covers s = 4i … 4i + 3 of row r (rows are not
// 16-byte aligned in general, so vload4/vstore4 at element alignment).
__kernel void batchnorm_normalize_rows_vec4(__global const float* x, __global float* y, const int C, const int S, const int rows,
                                            __global const float* gamma, __global const float* beta,
                                            __global const float* mean, __global const float* stat,
                                            const int stat_is_variance, const float eps) {
    const int s = get_global_id(0) * 4;
    const int r = get_global_id(1);
    if (r >= rows || s >= S) return;
    const int c = r % C;
    const float g = gamma[c], bt = beta[c], m = mean[c];
    const float istd = stat_is_variance ? 1.0f / sqrt(stat[c] + eps) : stat[c];
    const int base = r * S + s;
    if (s + 4 <= S) {
        const float4 v = vload4(0, x + base);
        vstore4(g * (v - m) * istd + bt, 0, y + base);
    } else {
        for (int k = base; k < r * S + S; ++k) y[k] = g * (x[k] - m) * istd + bt;
    }
}

// batchnorm_normalize_rows_vec4's y for CPU devices: one work-item per row r, walking it in
// float16 steps (its last 0–15 elements one by one), so the channel's parameters, r % C and the
// bounds checks are paid once a row instead of once every 4 elements (PoCL runs a group's
// work-items one after another: the vec4 kernel ran at a fifth of the copy kernel's rate).
// Same arguments. Global [rows].
__kernel void batchnorm_normalize_rows_loop(__global const float* x, __global float* y, const int C, const int S, const int rows,
                                            __global const float* gamma, __global const float* beta,
                                            __global const float* mean, __global const float* stat,
                                            const int stat_is_variance, const float eps) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int c = r % C;
    const float g = gamma[c], bt = beta[c], m = mean[c];
    const float istd = stat_is_variance ? 1.0f / sqrt(stat[c] + eps) : stat[c];
    __global const float* xr = x + (size_t)r * S;
    __global float* yr = y + (size_t)r * S;
    int s = 0;
    for (; s + 16 <= S; s += 16) vstore16(g * (vload16(0, xr + s) - m) * istd + bt, 0, yr + s);
    for (; s < S; ++s) yr[s] = g * (xr[s] - m) * istd + bt;
}

// Per channel c = group id: sum_dy[c] = Σ dy, sum_dy_xhat[c] = Σ dy·x̂ with
// x̂ = (x − mean[c])·invstd[c]. These are dβ and dγ. Walks chunks like the stats kernel
// (dy's partial chunks padded with 0, so padding adds nothing to either sum).
// Global C·BN_GROUP_SIZE, local BN_GROUP_SIZE. Requires N, S ≥ 1.
__kernel __attribute__((reqd_work_group_size(BN_GROUP_SIZE, 1, 1)))
void batchnorm_backward_sums_group_tree(__global const float* dy, __global const float* x,
                                        const int N, const int C, const int S,
                                        __global const float* mean, __global const float* invstd,
                                        __global float* sum_dy, __global float* sum_dy_xhat) {
    const int c = get_group_id(0);
    const float m = mean[c], istd = invstd[c];
#if BN_GROUP_SIZE == 1
    // One work-item walks its channel two rows at a time, b and b + N/2 (see
    // bn_rows_gradient_sums), the last row alone when N is odd.
    const int pairs = N / 2;
    float2 sums = (float2)(0.0f), block = (float2)(0.0f);
    for (int b = 0; b < pairs; ++b) {
        const int ra = (b * C + c) * S, rb = ((b + pairs) * C + c) * S;
        block += bn_rows_gradient_sums(dy + ra, x + ra, dy + rb, x + rb, S, m, istd);
        if ((b + 1) % BN_SUM_BLOCK == 0) { sums += block; block = (float2)(0.0f); }
    }
    if (N % 2) {
        const int row = ((N - 1) * C + c) * S;
        block += bn_row_gradient_sums(dy + row, x + row, S, m, istd);
    }
    sums += block;
    sum_dy[c] = sums.x;
    sum_dy_xhat[c] = sums.y;
#else
    __local float scratch[BN_GROUP_SIZE];
    const int lid = get_local_id(0);
    const int Q = (S + 3) / 4, chunks = N * Q;
    const int step_b = BN_GROUP_SIZE / Q, step_q = BN_GROUP_SIZE - step_b * Q;

    float4 sdy = (float4)(0.0f), sdyx = (float4)(0.0f), block_dy = (float4)(0.0f), block_dyx = (float4)(0.0f);
    int k = 0;
    for (int e = lid, b = lid / Q, q = lid - (lid / Q) * Q; e < chunks; e += BN_GROUP_SIZE) {
        const int row = (b * C + c) * S;
        const float4 g = bn_load_chunk(dy + row, 4 * q, S, 0.0f);
        const float4 xhat = (bn_load_chunk(x + row, 4 * q, S, m) - m) * istd;
        block_dy += g;
        block_dyx += g * xhat;
        if (++k == BN_SUM_BLOCK) {
            sdy += block_dy; sdyx += block_dyx;
            block_dy = (float4)(0.0f); block_dyx = (float4)(0.0f); k = 0;
        }
        q += step_q; b += step_b;
        if (q >= Q) { q -= Q; b += 1; }
    }
    const float total_dy = bn_group_sum(bn_horizontal_sum(sdy + block_dy), scratch);
    const float total_dyx = bn_group_sum(bn_horizontal_sum(sdyx + block_dyx), scratch);
    if (lid == 0) {
        sum_dy[c] = total_dy;
        sum_dy_xhat[c] = total_dyx;
    }
#endif
}

// dx = γ[c]·invstd[c]/n · (n·dy − Σdy − x̂·Σ(dy·x̂)), x̂ = (x − mean[c])·invstd[c], n = N·S.
// Global [ceil(S / 4), N·C]: work-item (i, r) covers s = 4i … 4i + 3 of row r.
__kernel void batchnorm_backward_input_rows_vec4(__global const float* dy, __global const float* x, __global float* dx,
                                                 const int C, const int S, const int rows, const int n,
                                                 __global const float* gamma, __global const float* mean,
                                                 __global const float* invstd,
                                                 __global const float* sum_dy, __global const float* sum_dy_xhat) {
    const int s = get_global_id(0) * 4;
    const int r = get_global_id(1);
    if (r >= rows || s >= S) return;
    const int c = r % C;
    const float m = mean[c], istd = invstd[c];
    const float k = gamma[c] * istd / (float)n;
    const float fn = (float)n, sdy = sum_dy[c], sdyx = sum_dy_xhat[c];
    const int base = r * S + s;
    if (s + 4 <= S) {
        const float4 g = vload4(0, dy + base);
        const float4 xhat = (vload4(0, x + base) - m) * istd;
        vstore4(k * (fn * g - sdy - xhat * sdyx), 0, dx + base);
    } else {
        for (int i = base; i < r * S + S; ++i) {
            const float xhat = (x[i] - m) * istd;
            dx[i] = k * (fn * dy[i] - sdy - xhat * sdyx);
        }
    }
}

// batchnorm_backward_input_rows_vec4's dx for CPU devices: one work-item per row r in float16
// steps (the last 0–15 elements one by one), as batchnorm_normalize_rows_loop. Same arguments.
// Global [rows].
__kernel void batchnorm_backward_input_rows_loop(__global const float* dy, __global const float* x, __global float* dx,
                                                 const int C, const int S, const int rows, const int n,
                                                 __global const float* gamma, __global const float* mean,
                                                 __global const float* invstd,
                                                 __global const float* sum_dy, __global const float* sum_dy_xhat) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int c = r % C;
    const float m = mean[c], istd = invstd[c];
    const float k = gamma[c] * istd / (float)n;
    const float fn = (float)n, sdy = sum_dy[c], sdyx = sum_dy_xhat[c];
    __global const float* dyr = dy + (size_t)r * S;
    __global const float* xr = x + (size_t)r * S;
    __global float* dxr = dx + (size_t)r * S;
    int s = 0;
    for (; s + 16 <= S; s += 16) {
        const float16 xhat = (vload16(0, xr + s) - m) * istd;
        vstore16(k * (fn * vload16(0, dyr + s) - sdy - xhat * sdyx), 0, dxr + s);
    }
    for (; s < S; ++s) {
        const float xhat = (xr[s] - m) * istd;
        dxr[s] = k * (fn * dyr[s] - sdy - xhat * sdyx);
    }
}

// ---- S = 1: x is [N, C], channels contiguous within a row -------------------------------------

// Stores lanes of `v` to p[c0 …] for the lanes whose channel is < C.
inline void bn_store_lanes(__global float* p, const int c0, const int C, const float4 v) {
    if (c0 + 4 <= C) { vstore4(v, 0, p + c0); return; }
    p[c0] = v.x;
    if (c0 + 1 < C) p[c0 + 1] = v.y;
    if (c0 + 2 < C) p[c0 + 2] = v.z;
}

// batchnorm_stats_group_tree for S = 1: work-item j takes channels c = 4j … 4j + 3 (fewer in
// the last) as one float4 and walks the N rows (shifted, blocked sums; two passes).
// Global ceil(C / 4) (rounded up to the local size). Requires N ≥ 1.
__kernel void batchnorm_stats_columns(__global const float* x, const int N, const int C,
                                      const float eps, const float momentum,
                                      __global float* mean_out, __global float* invstd_out,
                                      __global float* running_mean, __global float* running_var) {
    const int c0 = get_global_id(0) * 4;
    if (c0 >= C) return;
    const float4 shift = bn_load_chunk(x, c0, C, 0.0f);
    float4 sum = (float4)(0.0f), block = (float4)(0.0f);
    int k = 0;
    for (int b = 0; b < N; ++b) {
        block += bn_load_chunk(x + b * C, c0, C, 0.0f) - shift;
        if (++k == BN_SUM_BLOCK) { sum += block; block = (float4)(0.0f); k = 0; }
    }
    const float4 mean = shift + (sum + block) / (float)N;
    float4 squares = (float4)(0.0f);
    block = (float4)(0.0f);
    k = 0;
    for (int b = 0; b < N; ++b) {
        const float4 d = bn_load_chunk(x + b * C, c0, C, 0.0f) - mean;
        block += d * d;
        if (++k == BN_SUM_BLOCK) { squares += block; block = (float4)(0.0f); k = 0; }
    }
    const float4 var = (squares + block) / (float)N;
    const float4 unbiased = N > 1 ? var * (float)N / (float)(N - 1) : var;
    bn_store_lanes(mean_out, c0, C, mean);
    bn_store_lanes(invstd_out, c0, C, 1.0f / sqrt(var + eps));
    bn_store_lanes(running_mean, c0, C, (1.0f - momentum) * bn_load_chunk(running_mean, c0, C, 0.0f) + momentum * mean);
    bn_store_lanes(running_var, c0, C, (1.0f - momentum) * bn_load_chunk(running_var, c0, C, 0.0f) + momentum * unbiased);
}

// batchnorm_normalize_rows_vec4 for S = 1. Global [ceil(C / 4), N]: work-item (j, b) covers
// channels c = 4j … 4j + 3 of row b, loading its parameters as float4s too.
__kernel void batchnorm_normalize_columns_vec4(__global const float* x, __global float* y, const int N, const int C,
                                               __global const float* gamma, __global const float* beta,
                                               __global const float* mean, __global const float* stat,
                                               const int stat_is_variance, const float eps) {
    const int c = get_global_id(0) * 4;
    const int b = get_global_id(1);
    if (b >= N || c >= C) return;
    const int base = b * C + c;
    if (c + 4 <= C) {
        const float4 st = vload4(0, stat + c);
        const float4 istd = stat_is_variance ? 1.0f / sqrt(st + eps) : st;
        const float4 v = vload4(0, x + base);
        vstore4(vload4(0, gamma + c) * (v - vload4(0, mean + c)) * istd + vload4(0, beta + c), 0, y + base);
    } else {
        for (int k = c; k < C; ++k) {
            const float istd = stat_is_variance ? 1.0f / sqrt(stat[k] + eps) : stat[k];
            y[b * C + k] = gamma[k] * (x[b * C + k] - mean[k]) * istd + beta[k];
        }
    }
}

// batchnorm_backward_sums_group_tree for S = 1: work-item j takes channels 4j … 4j + 3 as
// one float4 and walks the N rows. Global ceil(C / 4) (rounded up to the local size).
__kernel void batchnorm_backward_sums_columns(__global const float* dy, __global const float* x, const int N, const int C,
                                              __global const float* mean, __global const float* invstd,
                                              __global float* sum_dy, __global float* sum_dy_xhat) {
    const int c0 = get_global_id(0) * 4;
    if (c0 >= C) return;
    const float4 m = bn_load_chunk(mean, c0, C, 0.0f), istd = bn_load_chunk(invstd, c0, C, 0.0f);
    float4 sdy = (float4)(0.0f), sdyx = (float4)(0.0f), block_dy = (float4)(0.0f), block_dyx = (float4)(0.0f);
    int k = 0;
    for (int b = 0; b < N; ++b) {
        const float4 g = bn_load_chunk(dy + b * C, c0, C, 0.0f);
        const float4 xhat = (bn_load_chunk(x + b * C, c0, C, 0.0f) - m) * istd;
        block_dy += g;
        block_dyx += g * xhat;
        if (++k == BN_SUM_BLOCK) {
            sdy += block_dy; sdyx += block_dyx;
            block_dy = (float4)(0.0f); block_dyx = (float4)(0.0f); k = 0;
        }
    }
    bn_store_lanes(sum_dy, c0, C, sdy + block_dy);
    bn_store_lanes(sum_dy_xhat, c0, C, sdyx + block_dyx);
}

// batchnorm_backward_input_rows_vec4 for S = 1 (n = N). Global [ceil(C / 4), N]: work-item
// (j, b) covers channels c = 4j … 4j + 3 of row b.
__kernel void batchnorm_backward_input_columns_vec4(__global const float* dy, __global const float* x, __global float* dx,
                                                    const int N, const int C,
                                                    __global const float* gamma, __global const float* mean,
                                                    __global const float* invstd,
                                                    __global const float* sum_dy, __global const float* sum_dy_xhat) {
    const int c = get_global_id(0) * 4;
    const int b = get_global_id(1);
    if (b >= N || c >= C) return;
    const float fn = (float)N;
    const int base = b * C + c;
    if (c + 4 <= C) {
        const float4 istd = vload4(0, invstd + c);
        const float4 k = vload4(0, gamma + c) * istd / fn;
        const float4 xhat = (vload4(0, x + base) - vload4(0, mean + c)) * istd;
        vstore4(k * (fn * vload4(0, dy + base) - vload4(0, sum_dy + c) - xhat * vload4(0, sum_dy_xhat + c)), 0, dx + base);
    } else {
        for (int j = c; j < C; ++j) {
            const float k = gamma[j] * invstd[j] / fn;
            const float xhat = (x[b * C + j] - mean[j]) * invstd[j];
            dx[b * C + j] = k * (fn * dy[b * C + j] - sum_dy[j] - xhat * sum_dy_xhat[j]);
        }
    }
}
