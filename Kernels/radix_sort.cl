// radix_sort.cl — the ranks of rankNormalize by a stable LSD radix sort of (uint key, int
// index) pairs: 8-bit digits, 4 passes (shift 0, 8, 16, 24), each pass O(N).
//
// Keys: an order-preserving map from float to uint in which NaN (any payload, either sign) is
// 0, below every number (−inf included), and −0 equals +0 (float_order_key).
// Layout: keys[N] (uint) and index[N] (int), ping-ponged between two buffer pairs by the host;
// the input x[N] (float) and the output ranks[N] (float) are flat vectors.
// The N elements are cut into B blocks; block b owns the contiguous chunk
// [b*chunk, min((b+1)*chunk, N)). counts[RADIX*B] (int) is digit-major:
// counts[d*B + b] = number of keys of block b whose current digit is d. One pass:
//   1. radix_histogram_*   fills counts for the current digit;
//   2. radix_scan_counts   turns counts into an exclusive prefix sum in digit-major order, so
//                          counts[d*B + b] becomes the first output position of block b's
//                          keys with digit d (all smaller digits, then earlier blocks first);
//   3. radix_scatter_*     moves every pair to its position, each block walking its chunk in
//                          order, so equal digits keep their input order (stable).
// Stability of every pass makes the 4-pass order the order by (key, original index).
// `flags` of a pass: PASS_FROM_FLOATS — the keys buffer holds the input floats, mapped to keys
// on the fly, and indices are implicit (i); PASS_TO_RANKS — the last pass writes
// ranks[index] = (position + 1)/N (exactly rounded) instead of the sorted pairs.
//
// Variants (the host picks one pair from DeviceTuning):
//   *_serial     one work-item per block walks its chunk with a private digit table
//                (CPU devices: few large blocks, launched with local size 1);
//   *_workgroup  one work-group of RADIX_WG work-items per block: a __local histogram with
//                local atomics, and a scatter that processes the chunk in tiles of RADIX_WG
//                keys, ranks each key among equal digits of its tile by a stable __local split
//                sort (8 one-bit passes), and writes each digit's run contiguously (GPUs).
//
// Tunables:
//   RADIX_WG  work-group size of the *_workgroup kernels (a power of two; launched exactly)
//   SCAN_WG   work-group size of radix_scan_counts, which runs as ONE work-group (power of two)
//
// Launched by: OpenCLBackend.radixRanks (OpenCLBackend+Sort.swift), for rankNormalize
// (OpenCLBackend+TopK.swift).

#ifndef RADIX_WG
#define RADIX_WG 256
#endif
#ifndef SCAN_WG
#define SCAN_WG 256
#endif

#define RADIX 256
#define DIGIT(key, shift) ((int)(((key) >> (shift)) & (uint)(RADIX - 1)))

#define PASS_FROM_FLOATS 1
#define PASS_TO_RANKS 2

// First element of block b: min(b*chunk, n), computed without int overflow.
inline int block_begin(int b, int chunk, int n) {
    const long begin = (long)b * (long)chunk;
    return begin < (long)n ? (int)begin : n;
}

// Order-preserving key of a float: NaN → 0; −0 → key of +0; negatives → ~bits; others → bits | sign.
inline uint float_order_key(float x) {
    uint u = as_uint(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0u;      // NaN: below −inf (whose key is 0x007FFFFF)
    if (u == 0x80000000u) u = 0u;                        // −0 == +0
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// The sort key of element i of `keys`: the raw float mapped on the first pass, else the key.
inline uint load_key(__global const uint* keys, const int i, const int flags) {
    const uint raw = keys[i];
    return (flags & PASS_FROM_FLOATS) ? float_order_key(as_float(raw)) : raw;
}

// p / n correctly rounded to float (nearest, ties to even) for 1 ≤ p ≤ n ≤ 2^30, by integer
// arithmetic — OpenCL lets float division be off by 2.5 ulp, and ranks must match exactly.
// ⌊x / n⌋ for x < 2^56 is mul_hi(x, magic) >> (magicShift − 64), with magic = ⌈2^magicShift / n⌉
// computed by the host (exact because (magic·n − 2^magicShift)·x < n·2^56 ≤ 2^magicShift).
inline float exact_ratio(const int p, const int n, const ulong magic, const int magicShift) {
    if (p >= n) return 1.0f;
    const ulong num = (ulong)p, den = (ulong)n;
    // Smallest s with num·2^s ≥ den·2^23, so that m = ⌊num·2^s / den⌋ lies in [2^23, 2^24).
    int s = 23 + (int)clz((uint)p) - (int)clz((uint)n);
    if ((num << s) < (den << 23)) s++;
    const ulong scaled = num << s;                        // < den·2^24 ≤ 2^54
    ulong m = mul_hi(scaled, magic) >> (magicShift - 64);
    const ulong twiceRemainder = 2 * (scaled - m * den);
    if (twiceRemainder > den || (twiceRemainder == den && (m & 1))) m++;
    return (float)m * as_float((uint)(127 - s) << 23);    // m · 2^−s, exact (m ≤ 2^24)
}

// counts[d*blocks + b] = #{i in block b : digit(keys[i]) == d}. One work-item per block
// (global = blocks, local = 1); work-items past `blocks` return.
__kernel void radix_histogram_serial(__global const uint* keys, __global int* counts,
                                     const int n, const int chunk, const int blocks, const int shift, const int flags) {
    const int b = get_global_id(0);
    if (b >= blocks) return;
    int histogram[RADIX];
    for (int d = 0; d < RADIX; d++) histogram[d] = 0;
    const int begin = block_begin(b, chunk, n), end = block_begin(b + 1, chunk, n);
    for (int i = begin; i < end; i++) histogram[DIGIT(load_key(keys, i, flags), shift)]++;
    for (int d = 0; d < RADIX; d++) counts[d * blocks + b] = histogram[d];
}

// The same counts with one work-group of RADIX_WG items per block (global = blocks*RADIX_WG):
// items stride through the chunk and count into a __local histogram with atomic_inc.
__kernel __attribute__((reqd_work_group_size(RADIX_WG, 1, 1)))
void radix_histogram_workgroup(__global const uint* keys, __global int* counts,
                               const int n, const int chunk, const int blocks, const int shift, const int flags) {
    __local int histogram[RADIX];
    const int lid = get_local_id(0);
    const int b = get_group_id(0);
    for (int d = lid; d < RADIX; d += RADIX_WG) histogram[d] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    const int begin = block_begin(b, chunk, n), end = block_begin(b + 1, chunk, n);
    for (int i = begin + lid; i < end; i += RADIX_WG) atomic_inc(&histogram[DIGIT(load_key(keys, i, flags), shift)]);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int d = lid; d < RADIX; d += RADIX_WG) counts[d * blocks + b] = histogram[d];
}

// Exclusive prefix sum of the SCAN_WG values `value` of a work-group (Hillis–Steele in
// `scratch[SCAN_WG]`); `*total` receives the sum of all of them. Called by every item.
inline int workgroup_exclusive_scan(int value, __local int* scratch, const int lid, const int size, int* total) {
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int offset = 1; offset < size; offset <<= 1) {
        const int add = lid >= offset ? scratch[lid - offset] : 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        scratch[lid] += add;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int inclusive = scratch[lid];
    *total = scratch[size - 1];
    barrier(CLK_LOCAL_MEM_FENCE);
    return inclusive - value;
}

// In place: counts[k] = Σ_{j<k} counts[j] for k < total. ONE work-group of SCAN_WG items
// (global = local = SCAN_WG): item t scans the contiguous segment [t*seg, (t+1)*seg) serially,
// the segment sums are scanned across the group, then each item rewrites its segment.
__kernel __attribute__((reqd_work_group_size(SCAN_WG, 1, 1)))
void radix_scan_counts(__global int* counts, const int total) {
    __local int scratch[SCAN_WG];
    const int lid = get_local_id(0);
    const int seg = (total + SCAN_WG - 1) / SCAN_WG;
    const int begin = min(lid * seg, total), end = min(begin + seg, total);
    int sum = 0;
    for (int k = begin; k < end; k++) sum += counts[k];
    int all;
    int running = workgroup_exclusive_scan(sum, scratch, lid, SCAN_WG, &all);
    for (int k = begin; k < end; k++) {
        const int c = counts[k];
        counts[k] = running;
        running += c;
    }
}

// Writes element (key, index) to sorted position `position`: the pair, or on the last pass
// its normalized rank.
inline void radix_store(const uint key, const int index, const int position, __global uint* keysOut,
                        __global int* indexOut, __global float* ranks, const int n, const int flags,
                        const ulong magic, const int magicShift) {
    if (flags & PASS_TO_RANKS) {
        ranks[index] = exact_ratio(position + 1, n, magic, magicShift);
    } else {
        keysOut[position] = key;
        indexOut[position] = index;
    }
}

// Stable scatter, one work-item per block (global = blocks, local = 1): offsets start at the
// scanned counts of this block and advance as the block's chunk is walked in order.
// magic = magicHi·2^32 + magicLo (see exact_ratio); used on the last pass only.
__kernel void radix_scatter_serial(__global const uint* keysIn, __global const int* indexIn,
                                   __global uint* keysOut, __global int* indexOut, __global float* ranks,
                                   __global const int* counts, const int n, const int chunk, const int blocks,
                                   const int shift, const int flags,
                                   const uint magicLo, const uint magicHi, const int magicShift) {
    const int b = get_global_id(0);
    if (b >= blocks) return;
    const ulong magic = upsample(magicHi, magicLo);
    int offset[RADIX];
    for (int d = 0; d < RADIX; d++) offset[d] = counts[d * blocks + b];
    const int begin = block_begin(b, chunk, n), end = block_begin(b + 1, chunk, n);
    for (int i = begin; i < end; i++) {
        const uint key = load_key(keysIn, i, flags);
        const int index = (flags & PASS_FROM_FLOATS) ? i : indexIn[i];
        const int position = offset[DIGIT(key, shift)]++;
        radix_store(key, index, position, keysOut, indexOut, ranks, n, flags, magic, magicShift);
    }
}

// Stable scatter, one work-group of RADIX_WG items per block (global = blocks*RADIX_WG).
// For each tile of RADIX_WG consecutive keys of the chunk:
//   - the tile is sorted by digit in __local memory by 8 stable one-bit split passes (slots
//     past the chunk's end hold key 0xFFFFFFFF, digit 255, and stay behind every real key);
//   - the item at sorted slot p with digit d writes to offset[d] + (p − first slot of d);
//   - the last slot of each digit's run advances offset[d] by the run's length.
__kernel __attribute__((reqd_work_group_size(RADIX_WG, 1, 1)))
void radix_scatter_workgroup(__global const uint* keysIn, __global const int* indexIn,
                             __global uint* keysOut, __global int* indexOut, __global float* ranks,
                             __global const int* counts, const int n, const int chunk, const int blocks,
                             const int shift, const int flags,
                             const uint magicLo, const uint magicHi, const int magicShift) {
    __local int offset[RADIX];
    __local int runStart[RADIX];
    __local uint tileKey[RADIX_WG];
    __local int tileIndex[RADIX_WG];
    __local int scratch[RADIX_WG];
    const int lid = get_local_id(0);
    const int b = get_group_id(0);
    const ulong magic = upsample(magicHi, magicLo);
    for (int d = lid; d < RADIX; d += RADIX_WG) offset[d] = counts[d * blocks + b];
    const int begin = block_begin(b, chunk, n), end = block_begin(b + 1, chunk, n);
    for (int tile = begin; tile < end; tile += RADIX_WG) {
        const int valid = min(RADIX_WG, end - tile);     // slots [0, valid) hold real keys
        const int i = tile + lid;
        uint key = lid < valid ? load_key(keysIn, i, flags) : 0xFFFFFFFFu;
        int index = lid >= valid ? -1 : (flags & PASS_FROM_FLOATS) ? i : indexIn[i];
        // Stable local sort of the tile by digit, least significant bit first.
        for (int bit = 0; bit < 8; bit++) {
            const int one = (DIGIT(key, shift) >> bit) & 1;
            int ones;
            const int onesBefore = workgroup_exclusive_scan(one, scratch, lid, RADIX_WG, &ones);
            const int slot = one ? (RADIX_WG - ones) + onesBefore : lid - onesBefore;
            tileKey[slot] = key;
            tileIndex[slot] = index;
            barrier(CLK_LOCAL_MEM_FENCE);
            key = tileKey[lid];
            index = tileIndex[lid];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        // Now slot lid holds (key, index); tileKey[] holds the sorted keys.
        const int digit = DIGIT(key, shift);
        if (lid == 0 || DIGIT(tileKey[lid - 1], shift) != digit) runStart[digit] = lid;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int rank = lid - runStart[digit];
        if (lid < valid) {
            radix_store(key, index, offset[digit] + rank, keysOut, indexOut, ranks, n, flags, magic, magicShift);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < valid && (lid == valid - 1 || DIGIT(tileKey[lid + 1], shift) != digit)) offset[digit] += rank + 1;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
