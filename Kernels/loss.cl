// loss.cl — softmax cross-entropy (forward per row, backward per element) and per-row argmax.
//
// Layout: logits, probabilities, dlogits and x are [N, K] row-major; labels are [N] floats
// holding class ids, already validated on the host (integers in [0, K)); row_loss and the
// argmax result are [N].
// The mean over N of row_loss is taken by reduce.cl (OpenCLBackend.reduceSum).
//
// Tunables: none.
//
// Launched by: OpenCLBackend.softmaxCrossEntropy, softmaxCrossEntropyBackward, argmax
// (OpenCLBackend+Loss.swift).

// One work-item per row n (total = N). With m = max_k z[n,k] (a NaN never replaces a number):
//   p[n,k] = exp(z[n,k] - m) / s,  s = sum_k exp(z[n,k] - m)   (Kahan-compensated sum)
//   row_loss[n] = log(s) - (z[n, label[n]] - m)
__kernel void softmax_xent_rowwise(__global const float* logits, __global const float* labels,
                                   __global float* probabilities, __global float* row_loss,
                                   const int K, const int N) {
    const int n = get_global_id(0);
    if (n >= N) return;
    __global const float* z = logits + n * K;
    __global float* p = probabilities + n * K;
    float m = z[0];
    for (int k = 1; k < K; ++k) {
        if (z[k] > m) m = z[k];
    }
    float s = 0.0f, comp = 0.0f;
    for (int k = 0; k < K; ++k) {
        const float y = exp(z[k] - m) - comp;
        const float t = s + y;
        comp = (t - s) - y;
        s = t;
    }
    s -= comp;
    for (int k = 0; k < K; ++k) p[k] = exp(z[k] - m) / s;
    const int label = (int)labels[n];
    row_loss[n] = log(s) - (z[label] - m);
}

// dz[n,k] = (p[n,k] - [k == label[n]]) * upstream / N. One work-item per element; total = N*K.
__kernel void softmax_xent_backward_elementwise(__global const float* probabilities, __global const float* labels,
                                                __global float* dlogits, const float upstream,
                                                const int K, const int total) {
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int n = gid / K;
    const int k = gid - n * K;
    const float onehot = (k == (int)labels[n]) ? 1.0f : 0.0f;
    dlogits[gid] = (probabilities[gid] - onehot) * upstream / (float)(total / K);
}

// a[n] = the first k with x[n,k] maximal: scan from column 0, moving only to a strictly larger
// entry (ties keep the first; a NaN never replaces a number). One work-item per row; total = N.
__kernel void argmax_rowwise(__global const float* x, __global float* result, const int K, const int N) {
    const int n = get_global_id(0);
    if (n >= N) return;
    __global const float* row = x + n * K;
    int best = 0;
    for (int k = 1; k < K; ++k) {
        if (row[k] > row[best]) best = k;
    }
    result[n] = (float)best;
}
