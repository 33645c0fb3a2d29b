// topk.cl — the differentiable top-k of DMS after the rank sort (radix_sort.cl, which writes
// the normalized ranks): the soft mask, the gradient of the pruning ratio (a tree reduction)
// and the moving-average Taylor importance update (a flag reduction, then a conditional update).
//
// Layout: flat vectors of N floats (importance c, normalized ranks c', mask m, gradMask g);
// the ratio a is a [1] buffer; the Taylor flag is one int.
// Reductions: work-group g handles the span [g*REDUCE_SPAN, (g+1)*REDUCE_SPAN); item l adds
// its REDUCE_ITEMS elements g*REDUCE_SPAN + k*REDUCE_WG + l (coalesced), then a pairwise tree
// in __local memory combines the items; the host repeats tree_sum_partials over the per-group
// partials until one value is left, so no sum is a long serial float chain (depth ≈
// REDUCE_ITEMS + log2 N).
// FP_CONTRACT is OFF so every a·b + c rounds twice, exactly like the reference backend.
//
// Tunables:
//   REDUCE_WG     work-group size of the *_partial / flag kernels (a power of two; launched exactly)
//   REDUCE_ITEMS  elements each work-item adds before the tree (≥ 1)
//   GRAD_VECTORS  float16 vectors each work-item of soft_mask_grad_ratio_partial sums in a
//                 pairwise tree when REDUCE_ITEMS is 16 (a power of two, default 1), so its
//                 groups span REDUCE_SPAN·GRAD_VECTORS elements
//   MASK_VEC      elements per work-item of soft_mask_sigmoid: 1, 2, 4, 8 or 16 (a vector width)
//
// Launched by: OpenCLBackend.softMask, softMaskGradRatio, taylorImportanceUpdate
// (OpenCLBackend+TopK.swift).

#pragma OPENCL FP_CONTRACT OFF

#ifndef REDUCE_WG
#define REDUCE_WG 64
#endif
#ifndef REDUCE_ITEMS
#define REDUCE_ITEMS 4
#endif
#define REDUCE_SPAN (REDUCE_WG * REDUCE_ITEMS)
#ifndef GRAD_VECTORS
#define GRAD_VECTORS 1
#endif
#define GRAD_SPAN (REDUCE_SPAN * GRAD_VECTORS)
#ifndef MASK_VEC
#define MASK_VEC 16
#endif

#define CONCAT_(a, b) a##b
#define CONCAT(a, b) CONCAT_(a, b)
#if MASK_VEC == 1
#define VECTOR float
#define VLOAD(j, p) ((p)[j])
#define VSTORE(v, j, p) ((p)[j] = (v))
#else
#define VECTOR CONCAT(float, MASK_VEC)
#define VLOAD(j, p) CONCAT(vload, MASK_VEC)(j, p)
#define VSTORE(v, j, p) CONCAT(vstore, MASK_VEC)(v, j, p)
#endif

#if MASK_VEC == 1
#define IVECTOR int
#define AS_VECTOR as_float
#define AS_IVECTOR as_int
#else
#define IVECTOR CONCAT(int, MASK_VEC)
#define AS_VECTOR CONCAT(as_float, MASK_VEC)
#define AS_IVECTOR CONCAT(as_int, MASK_VEC)
#endif

// e^x for x ≤ 0 on MASK_VEC lanes, in plain vector arithmetic. x = k·ln 2 + r with k the
// nearest integer to x·log2 e and |r| ≤ ln 2 / 2: adding 1.5·2^23 to x·log2 e rounds it to an
// integer in the low mantissa bits, which give k as an int with no conversion (PoCL lowers rint
// and convert_int16 to per-lane code: the soft mask at N = 10⁶ ran 1.1× the built-in exp's time
// with them, 0.78× without; the built-in exp itself was two thirds of the kernel). k·ln 2 is
// taken in two parts (0.693359375 has 9 significant bits, so k·0.693359375 is exact for
// |k| ≤ 150); e^r ≈ 1 + r + r²·P(r) with P of degree 5 (the Cephes expf coefficients: ≤ 1 ulp on
// that interval; measured against the built-in exp: ≤ 1.6e-7 relative). 2^k is applied as
// 2^(k+64) (exponent bits, exact) then 2^−64, so results below FLT_MIN round once into the
// subnormals, as a correctly rounded exp's would. Below −104 (e^x rounds to 0) the lane
// computes e^0 instead and a select returns 0: no lane makes a subnormal it does not return
// (each costs a microcode assist: with λ = N nearly every lane is far below, and computing them
// ran the kernel 1.8× slower), and the shift trick needs |x·log2 e| < 2^22. A NaN x stays NaN.
inline VECTOR exp_nonpositive(const VECTOR x) {
    const IVECTOR underflows = x < (VECTOR)(-104.0f);
    const VECTOR xc = select(x, (VECTOR)(0.0f), underflows);
    const VECTOR shifted = xc * (VECTOR)(1.44269504088896341f) + (VECTOR)(12582912.0f);
    const VECTOR k = shifted - (VECTOR)(12582912.0f);
    VECTOR r = fma(k, (VECTOR)(-0.693359375f), xc);
    r = fma(k, (VECTOR)(2.12194440e-4f), r);
    VECTOR p = (VECTOR)(1.9875691500e-4f);
    p = fma(p, r, (VECTOR)(1.3981999507e-3f));
    p = fma(p, r, (VECTOR)(8.3334519073e-3f));
    p = fma(p, r, (VECTOR)(4.1665795894e-2f));
    p = fma(p, r, (VECTOR)(1.6666665459e-1f));
    p = fma(p, r, (VECTOR)(5.0000001201e-1f));
    const VECTOR er = fma(p, r * r, r + (VECTOR)(1.0f));
    // 2^(k+64): the bits of `shifted` are 0x4B400000 + k.
    const VECTOR scale = AS_VECTOR((AS_IVECTOR(shifted) - (IVECTOR)(0x4B400000 - 127 - 64)) << 23);
    return select(er * scale * (VECTOR)(0x1p-64f), (VECTOR)(0.0f), underflows);
}

// Lane-wise 1/(1 + e^−t) for t ≥ 0, e^t/(1 + e^t) for t < 0, so the exponential never
// overflows: both share e = e^−|t|, r = 1/(1 + e), and a select picks r or e·r (≤ 1 ulp from
// e/(1 + e)). Every element goes through this vector form, the last partial chunk and N = 1
// included, so an element's mask does not depend on where it sits.
inline VECTOR stable_sigmoid_vec(VECTOR t) {
    const VECTOR e = exp_nonpositive(-fabs(t));
    const VECTOR r = (VECTOR)(1.0f) / ((VECTOR)(1.0f) + e);
    return select(e * r, r, t >= (VECTOR)(0.0f));
}

// mask[i] = sigmoid(λ(c'_i − a)); for n == 1 the element sits at c' = 0.5: sigmoid(λ(0.5 − a))
// (a = 0 keeps it, a = 1 removes it).
// Work-item j handles elements [j·MASK_VEC, (j+1)·MASK_VEC): one vector load, the vector
// sigmoid, one vector store; the last, partial chunk is staged through a private vector
// (zeros past n). global = ceil(n / MASK_VEC).
__kernel void soft_mask_sigmoid(__global const float* normalized, __global const float* ratio,
                                __global float* mask, const float lambda, const int n) {
    const int j = get_global_id(0);
    const int first = j * MASK_VEC;
    if (first >= n) return;
    const float a = ratio[0];
    if (first + MASK_VEC <= n && n > 1) {
        const VECTOR t = (VECTOR)(lambda) * (VLOAD(j, normalized) - (VECTOR)(a));
        VSTORE(stable_sigmoid_vec(t), j, mask);
        return;
    }
    float lanes[MASK_VEC];
    for (int l = 0; l < MASK_VEC; l++) lanes[l] = first + l < n ? (n == 1 ? 0.5f : normalized[first + l]) : 0.0f;
    const VECTOR t = (VECTOR)(lambda) * (VLOAD(0, lanes) - (VECTOR)(a));
    VSTORE(stable_sigmoid_vec(t), 0, lanes);
    for (int l = 0; first + l < n; l++) mask[first + l] = lanes[l];
}

// Pairwise tree over the REDUCE_WG values `v` of a work-group; item 0 gets the total.
inline float workgroup_tree_sum(float v, __local float* scratch, const int lid) {
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = REDUCE_WG / 2; width > 0; width >>= 1) {
        if (lid < width) scratch[lid] += scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return scratch[0];
}

// partial[g] = Σ over group g's span of gradMask_i · (−λ m_i (1 − m_i)).
// global = groups*REDUCE_WG, local = REDUCE_WG.
// REDUCE_ITEMS == 16 (CPUs): item l reads GRAD_VECTORS float16s of contiguous elements from
// g*GRAD_SPAN + 16·GRAD_VECTORS·l (the last, partial ones through a private vector, zeros past
// n), adds them in a pairwise tree in registers and then its lanes pairwise (PoCL runs it on
// whole vector registers: measured 2× the strided loop; GRAD_VECTORS 8 gives each group 8× the
// elements, so the per-group cost of the __local tree and its barriers is shared by 2048);
// otherwise item l adds elements g*REDUCE_SPAN + k*REDUCE_WG + l (coalesced across neighbouring
// work-items, as GPUs want).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void soft_mask_grad_ratio_partial(__global const float* mask, __global const float* gradMask,
                                  __global float* partial, const float lambda, const int n) {
    __local float scratch[REDUCE_WG];
    const int lid = get_local_id(0);
    float v = 0.0f;
#if REDUCE_ITEMS == 16
    const int first = get_group_id(0) * GRAD_SPAN + lid * 16 * GRAD_VECTORS;
    float16 t[GRAD_VECTORS];
    _Pragma("unroll") for (int k = 0; k < GRAD_VECTORS; ++k) {
        const int at = first + 16 * k;
        float16 m, g;
        if (at + 16 <= n) {
            m = vload16(0, mask + at);
            g = vload16(0, gradMask + at);
        } else {
            float ml[16], gl[16];
            for (int l = 0; l < 16; ++l) {
                ml[l] = at + l < n ? mask[at + l] : 0.0f;
                gl[l] = at + l < n ? gradMask[at + l] : 0.0f;
            }
            m = vload16(0, ml);
            g = vload16(0, gl);
        }
        t[k] = g * (-lambda * m * (1.0f - m));
    }
    _Pragma("unroll") for (int width = GRAD_VECTORS / 2; width > 0; width >>= 1) {
        _Pragma("unroll") for (int k = 0; k < width; ++k) t[k] += t[k + width];
    }
    const float8 h = t[0].lo + t[0].hi;
    const float4 q = h.lo + h.hi;
    const float2 p = q.lo + q.hi;
    v = p.lo + p.hi;
#else
    const int base = get_group_id(0) * REDUCE_SPAN + lid;
    for (int k = 0; k < REDUCE_ITEMS; k++) {
        const int i = base + k * REDUCE_WG;
        if (i < n) {
            const float m = mask[i];
            v += gradMask[i] * (-lambda * m * (1.0f - m));
        }
    }
#endif
    const float total = workgroup_tree_sum(v, scratch, lid);
    if (lid == 0) partial[get_group_id(0)] = total;
}

// partial[g] = Σ over group g's span of x. global = groups*REDUCE_WG, local = REDUCE_WG.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void tree_sum_partials(__global const float* x, __global float* partial, const int n) {
    __local float scratch[REDUCE_WG];
    const int lid = get_local_id(0);
    const int base = get_group_id(0) * REDUCE_SPAN + lid;
    float v = 0.0f;
    for (int k = 0; k < REDUCE_ITEMS; k++) {
        const int i = base + k * REDUCE_WG;
        if (i < n) v += x[i];
    }
    const float total = workgroup_tree_sum(v, scratch, lid);
    if (lid == 0) partial[get_group_id(0)] = total;
}

// Whether a float is ±inf or NaN, by its bits (immune to fast-math assumptions).
inline int is_nonfinite(float x) { return (as_uint(x) & 0x7F800000u) == 0x7F800000u; }

// *flag |= 1 when any new Taylor score (m_i·g_i)² over the group's span is non-finite: an OR
// tree per work-group, then one atomic_or per group (the host zeroes *flag first).
// global = groups*REDUCE_WG, local = REDUCE_WG.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void taylor_nonfinite_flag(__global const float* mask, __global const float* gradMask,
                           __global int* flag, const int n) {
    __local int scratch[REDUCE_WG];
    const int lid = get_local_id(0);
    const int base = get_group_id(0) * REDUCE_SPAN + lid;
    int bad = 0;
    for (int k = 0; k < REDUCE_ITEMS; k++) {
        const int i = base + k * REDUCE_WG;
        if (i < n) {
            const float s = mask[i] * gradMask[i];
            bad |= is_nonfinite(s * s);
        }
    }
    scratch[lid] = bad;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = REDUCE_WG / 2; width > 0; width >>= 1) {
        if (lid < width) scratch[lid] |= scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && scratch[0] != 0) atomic_or(flag, 1);
}

// Unless *flag is set: c_i = decay·c_i + (1 − decay)·(m_i·g_i)². One work-item per element.
__kernel void taylor_apply_if_finite(__global float* importance, __global const float* mask,
                                     __global const float* gradMask, __global const int* flag,
                                     const float decay, const int n) {
    const int i = get_global_id(0);
    if (i >= n || flag[0] != 0) return;
    const float s = mask[i] * gradMask[i];
    const float score = s * s;
    importance[i] = decay * importance[i] + (1.0f - decay) * score;
}
