// elementwise.cl — elementwise arithmetic, channel masks, scalar-element scaling and the
// reductions of their backward passes.
//
// Layout: flat row-major float arrays of n elements. Flat kernels (*_flat): work-item i covers
// elements EW_VEC·i … EW_VEC·i + EW_VEC − 1 with one vector load/store per operand (buffers
// start aligned); the work-item at i = n/EW_VEC covers the n % EW_VEC tail element by element;
// launch ceil(n / EW_VEC) items.
// Channel kernels view x: [N, C, …] as N·C rows of S contiguous elements (S = product of the
// dimensions after C; 1 for [N, F]), row r belonging to channel r % C.
//
// Kernels:
//   relu_flat, relu_backward_flat, add_flat, multiply_flat, scale_flat, axpy_flat,
//   scale_by_element_flat            flat, EW_VEC elements per work-item
//   channel_mask_rows_vec4           global [ceil(S / 4), N·C], 4 elements of one row per item
//   channel_mask_rows_loop           the same on CPU devices (LaunchPlan.rowLoops): global
//                                    [N·C], one row per item in float16 steps
//   channel_dot_group_tree           one work-group per channel: out[c] = Σ_{b, s} p·q
//   channel_mask_columns_vec4,       the same for S = 1 ([N, F]), where channels are the
//   channel_dot_columns              contiguous axis: 4 channels of a row per work-item, and
//                                    one work-item per 4 channels walking the N rows
//   dot_partial_group_tree           stage 1 of a full dot product: work-group g sums its
//                                    contiguous chunk of float4s into partial[g]
//   sum_final_group_tree             stage 2: one work-group sums `count` partials into out[index]
//
// Tunables (-D):
//   EW_VEC         elements per work-item of the flat kernels: 2, 4 (default), 8 or 16; the host
//                  passes LaunchPlan.flatVectorWidth (16 on CPUs, 4 on GPUs)
//   EW_GROUP_SIZE  work-items per group of the *_group_tree kernels; a power of two, and the
//                  kernels must be launched with exactly this local size (default 256, for GPUs;
//                  the CPU device uses one: see OpenCLBackend+Elementwise.swift).
//   EW_SUM_BLOCK   float4 terms (rows, in channel_dot_group_tree with EW_GROUP_SIZE 1) a
//                  work-item adds into a block sum before folding it into its running sum
//                  (default 64): a sequential sum of m terms then errs by ~(64 + m/64)·2⁻²⁴
//                  relative instead of ~m·2⁻²⁴ (matters where one work-item walks a long range).
//
// Launched by: OpenCLBackend.relu, reluBackward, add, multiply, scale, axpy, channelMask,
// channelMaskBackward, scaleByElement, scaleByElementBackward
// (Sources/OpenCLBackend/OpenCLBackend+Elementwise.swift).

#ifndef EW_GROUP_SIZE
#define EW_GROUP_SIZE 256
#endif
#ifndef EW_SUM_BLOCK
#define EW_SUM_BLOCK 64
#endif
#ifndef EW_VEC
#define EW_VEC 4
#endif
#define EW_CONCAT_(a, b) a##b
#define EW_CONCAT(a, b) EW_CONCAT_(a, b)
#define VEC EW_CONCAT(float, EW_VEC)
#define VLOAD(p) EW_CONCAT(vload, EW_VEC)(0, p)

// A flat kernel body: `VEXPR` (VEC operands) on the EW_VEC elements at i = EW_VEC·gid, or `SEXPR`
// (float operands) on each element of the tail. The operand loads are declared by `LOADV` /
// `LOADS` from index i (vector) or j (scalar); the result is stored to out.
#define EW_FLAT_BODY(out, LOADV, VEXPR, LOADS, SEXPR)                   \
    const int i = get_global_id(0) * EW_VEC;                            \
    if (i + EW_VEC <= n) {                                              \
        LOADV;                                                          \
        EW_CONCAT(vstore, EW_VEC)(VEXPR, 0, out + i);                   \
    } else {                                                            \
        for (int j = i; j < n; ++j) {                                   \
            LOADS;                                                      \
            out[j] = SEXPR;                                             \
        }                                                               \
    }

// y = x < 0 ? 0 : x  (max(x, 0) with NaN propagated)
__kernel void relu_flat(__global const float* x, __global float* y, const int n) {
    EW_FLAT_BODY(y, const VEC v = VLOAD(x + i), select(v, (VEC)(0.0f), v < (VEC)(0.0f)),
                 const float v = x[j], v < 0.0f ? 0.0f : v)
}

// dx = x > 0 ? dy : 0
__kernel void relu_backward_flat(__global const float* dy, __global const float* x, __global float* dx, const int n) {
    EW_FLAT_BODY(dx, const VEC g = VLOAD(dy + i); const VEC v = VLOAD(x + i),
                 select((VEC)(0.0f), g, v > (VEC)(0.0f)),
                 const float g = dy[j]; const float v = x[j], v > 0.0f ? g : 0.0f)
}

// y = a + b
__kernel void add_flat(__global const float* a, __global const float* b, __global float* y, const int n) {
    EW_FLAT_BODY(y, const VEC p = VLOAD(a + i); const VEC q = VLOAD(b + i), p + q,
                 const float p = a[j]; const float q = b[j], p + q)
}

// y = a · b
__kernel void multiply_flat(__global const float* a, __global const float* b, __global float* y, const int n) {
    EW_FLAT_BODY(y, const VEC p = VLOAD(a + i); const VEC q = VLOAD(b + i), p * q,
                 const float p = a[j]; const float q = b[j], p * q)
}

// y = s · x
__kernel void scale_flat(__global const float* x, __global float* y, const float s, const int n) {
    EW_FLAT_BODY(y, const VEC v = VLOAD(x + i), s * v, const float v = x[j], s * v)
}

// y = y + alpha · x, in place on y
__kernel void axpy_flat(__global const float* x, __global float* y, const float alpha, const int n) {
    EW_FLAT_BODY(y, const VEC v = VLOAD(x + i); const VEC w = VLOAD(y + i), w + alpha * v,
                 const float v = x[j]; const float w = y[j], w + alpha * v)
}

// y = x · s[index]: one element of a device tensor scales the whole tensor (no host read-back).
__kernel void scale_by_element_flat(__global const float* x, __global const float* s, const int index,
                                    __global float* y, const int n) {
    const float f = s[index];
    EW_FLAT_BODY(y, const VEC v = VLOAD(x + i), v * f, const float v = x[j], v * f)
}

// channel_mask_rows_vec4's y for CPU devices: one work-item per row r, in float16 steps (the
// last 0–15 elements one by one), so the mask load, r % C and the bounds checks are paid once a
// row. Same arguments. Global [rows].
__kernel void channel_mask_rows_loop(__global const float* x, __global const float* mask, __global float* y,
                                     const int C, const int S, const int rows) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const float m = mask[r % C];
    __global const float* xr = x + (size_t)r * S;
    __global float* yr = y + (size_t)r * S;
    int s = 0;
    for (; s + 16 <= S; s += 16) vstore16(vload16(0, xr + s) * m, 0, yr + s);
    for (; s < S; ++s) yr[s] = xr[s] * m;
}

// y[r, s] = x[r, s] · mask[r % C] over rows r of [N·C, S].
// Global [ceil(S / 4), N·C]: work-item (i, r) covers s = 4i … 4i + 3 of row r (rows are not
// 16-byte aligned in general, so vload4/vstore4 at element alignment).
__kernel void channel_mask_rows_vec4(__global const float* x, __global const float* mask, __global float* y,
                                     const int C, const int S, const int rows) {
    const int s = get_global_id(0) * 4;
    const int r = get_global_id(1);
    if (r >= rows || s >= S) return;
    const float m = mask[r % C];
    const int base = r * S + s;
    if (s + 4 <= S) {
        vstore4(vload4(0, x + base) * m, 0, y + base);
    } else {
        for (int k = base; k < r * S + S; ++k) y[k] = x[k] * m;
    }
}

// Sum of `value` over the work-group (a power-of-two EW_GROUP_SIZE), returned to every
// work-item. `scratch` holds EW_GROUP_SIZE floats; every work-item must call this.
inline float ew_group_sum(float value, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int offset = EW_GROUP_SIZE / 2; offset > 0; offset >>= 1) {
        if (lid < offset) scratch[lid] += scratch[lid + offset];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// The chunk of `row` (S elements) starting at column s: a float4 load for a full chunk; for
// the row's last, partial chunk its 1–3 elements, padded with zeros.
inline float4 ew_load_chunk(__global const float* row, const int s, const int S) {
    if (s + 4 <= S) return vload4(0, row + s);
    float4 v = (float4)(0.0f);
    v.x = row[s];
    if (s + 1 < S) v.y = row[s + 1];
    if (s + 2 < S) v.z = row[s + 2];
    return v;
}

// out[c] = Σ_{b < N, s < S} p[i]·q[i] with i = (b·C + c)·S + s, c = group id. The channel's N
// rows split into Q = ceil(S / 4) float4 chunks each (the last may be partial, zero-padded),
// numbered e = b·Q + j; work-item lid takes chunks e = lid, lid + EW_GROUP_SIZE, … With
// EW_GROUP_SIZE 1 (CPU devices) the one work-item walks the rows in float16 loads instead.
// Global C·EW_GROUP_SIZE, local EW_GROUP_SIZE. Requires N, S ≥ 1.
__kernel __attribute__((reqd_work_group_size(EW_GROUP_SIZE, 1, 1)))
void channel_dot_group_tree(__global const float* p, __global const float* q, const int N, const int C, const int S,
                            __global float* out) {
    const int c = get_group_id(0);
#if EW_GROUP_SIZE == 1
    // One work-item walks its channel row by row, a float16 load per 16 elements of a row (the
    // last 0–15 one by one); rows are folded in blocks of EW_SUM_BLOCK.
    float sum = 0.0f, rows = 0.0f;
    for (int b = 0; b < N; ++b) {
        __global const float* pr = p + (b * C + c) * S;
        __global const float* qr = q + (b * C + c) * S;
        float16 lanes = (float16)(0.0f);
        int s = 0;
        for (; s + 16 <= S; s += 16) lanes = fma(vload16(0, pr + s), vload16(0, qr + s), lanes);
        const float8 h = lanes.lo + lanes.hi;
        const float4 f = h.lo + h.hi;
        float row = (f.x + f.y) + (f.z + f.w);
        for (; s < S; ++s) row += pr[s] * qr[s];
        rows += row;
        if ((b + 1) % EW_SUM_BLOCK == 0) { sum += rows; rows = 0.0f; }
    }
    out[c] = sum + rows;
#else
    __local float scratch[EW_GROUP_SIZE];
    const int lid = get_local_id(0);
    const int Q = (S + 3) / 4, chunks = N * Q;
    // Walk e = lid, lid + G, … as (b, j) without a division per chunk.
    const int step_b = EW_GROUP_SIZE / Q, step_j = EW_GROUP_SIZE - step_b * Q;
    float4 acc = (float4)(0.0f), block = (float4)(0.0f);
    int k = 0;
    for (int e = lid, b = lid / Q, j = lid - (lid / Q) * Q; e < chunks; e += EW_GROUP_SIZE) {
        const int row = (b * C + c) * S;
        block += ew_load_chunk(p + row, 4 * j, S) * ew_load_chunk(q + row, 4 * j, S);
        if (++k == EW_SUM_BLOCK) { acc += block; block = (float4)(0.0f); k = 0; }
        j += step_j; b += step_b;
        if (j >= Q) { j -= Q; b += 1; }
    }
    acc += block;
    const float total = ew_group_sum((acc.x + acc.y) + (acc.z + acc.w), scratch);
    if (lid == 0) out[c] = total;
#endif
}

// Stage 1 of Σ p·q over n elements: work-group g owns float4s [g·chunk4, min((g+1)·chunk4, n/4)),
// its work-items taking every EW_GROUP_SIZE-th one (four lane accumulators, blocked); the
// last group also takes the n % 4 tail. partial[g] = the group's sum.
// Global groups·EW_GROUP_SIZE, local EW_GROUP_SIZE.
__kernel __attribute__((reqd_work_group_size(EW_GROUP_SIZE, 1, 1)))
void dot_partial_group_tree(__global const float* p, __global const float* q, const int n, const int chunk4,
                            __global float* partial) {
    __local float scratch[EW_GROUP_SIZE];
    const int g = get_group_id(0);
    const int lid = get_local_id(0);
    const int n4 = n / 4;
    const int begin = g * chunk4;
    const int end = min(begin + chunk4, n4);
    float4 acc = (float4)(0.0f), block = (float4)(0.0f);
    int terms = 0;
    for (int k = begin + lid; k < end; k += EW_GROUP_SIZE) {
        block += vload4(k, p) * vload4(k, q);
        if (++terms == EW_SUM_BLOCK) { acc += block; block = (float4)(0.0f); terms = 0; }
    }
    acc += block;
    float sum = (acc.x + acc.y) + (acc.z + acc.w);
    if (g == get_num_groups(0) - 1) {
        for (int j = n4 * 4 + lid; j < n; j += EW_GROUP_SIZE) sum += p[j] * q[j];
    }
    const float total = ew_group_sum(sum, scratch);
    if (lid == 0) partial[g] = total;
}

// Stage 2: out[index] = Σ partial[0 … count−1], by one work-group of EW_GROUP_SIZE work-items.
__kernel __attribute__((reqd_work_group_size(EW_GROUP_SIZE, 1, 1)))
void sum_final_group_tree(__global const float* partial, const int count, __global float* out, const int index) {
    __local float scratch[EW_GROUP_SIZE];
    const int lid = get_local_id(0);
    float sum = 0.0f;
    for (int k = lid; k < count; k += EW_GROUP_SIZE) sum += partial[k];
    const float total = ew_group_sum(sum, scratch);
    if (lid == 0) out[index] = total;
}

// ---- S = 1: x is [N, C], channels contiguous within a row -------------------------------------

// channel_mask_rows_vec4 for S = 1. Global [ceil(C / 4), N]: work-item (j, b) covers channels
// c = 4j … 4j + 3 of row b, with the mask loaded as a float4.
__kernel void channel_mask_columns_vec4(__global const float* x, __global const float* mask, __global float* y,
                                        const int N, const int C) {
    const int c = get_global_id(0) * 4;
    const int b = get_global_id(1);
    if (b >= N || c >= C) return;
    const int base = b * C + c;
    if (c + 4 <= C) {
        vstore4(vload4(0, x + base) * vload4(0, mask + c), 0, y + base);
    } else {
        for (int k = c; k < C; ++k) y[b * C + k] = x[b * C + k] * mask[k];
    }
}

// channel_dot_group_tree for S = 1: out[c] = Σ_b p[b·C + c]·q[b·C + c]; work-item j takes
// channels c = 4j … 4j + 3 (fewer in the last) as one float4 and walks the N rows (blocked
// sum). Global ceil(C / 4) (rounded up to the local size).
__kernel void channel_dot_columns(__global const float* p, __global const float* q, const int N, const int C,
                                  __global float* out) {
    const int c0 = get_global_id(0) * 4;
    if (c0 >= C) return;
    float4 acc = (float4)(0.0f), block = (float4)(0.0f);
    int k = 0;
    for (int b = 0; b < N; ++b) {
        block += ew_load_chunk(p + b * C, c0, C) * ew_load_chunk(q + b * C, c0, C);
        if (++k == EW_SUM_BLOCK) { acc += block; block = (float4)(0.0f); k = 0; }
    }
    acc += block;
    if (c0 + 4 <= C) { vstore4(acc, 0, out + c0); return; }
    out[c0] = acc.x;
    if (c0 + 1 < C) out[c0 + 1] = acc.y;
    if (c0 + 2 < C) out[c0 + 2] = acc.z;
}
