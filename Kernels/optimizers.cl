// optimizers.cl — one in-place optimizer step per launch: SGD with momentum (plain or
// Nesterov) and Adam with bias correction (L2 weight decay or decoupled AdamW).
//
// Layout: flat vectors of n floats: parameter p, gradient, and the state buffers (velocity v
// for SGD; first moment m and second moment v for Adam), all updated in place.
// Adam's bias corrections 1 − β1^t and 1 − β2^t are computed by the host in Double and passed
// as arguments. FP_CONTRACT is OFF so every a·b + c rounds twice, exactly like the reference.
//
// Tunables: none (one work-item per element, any work-group size).
//
// Launched by: OpenCLBackend.sgdStep, adamStep (OpenCLBackend+Optimizers.swift).

#pragma OPENCL FP_CONTRACT OFF

// g = grad + wd·p; v = μ·v + g; returns g (for Nesterov). Updates v[i].
inline float sgd_velocity(__global const float* p, __global const float* grad, __global float* v,
                          const float momentum, const float weightDecay, const int i) {
    const float g = grad[i] + weightDecay * p[i];
    v[i] = momentum * v[i] + g;
    return g;
}

// p −= lr·v (PyTorch SGD with momentum). One work-item per element.
__kernel void sgd_step_momentum(__global float* p, __global const float* grad, __global float* v,
                                const float lr, const float momentum, const float weightDecay, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    sgd_velocity(p, grad, v, momentum, weightDecay, i);
    p[i] = p[i] - lr * v[i];
}

// p −= lr·(g + μ·v) (Nesterov momentum). One work-item per element.
__kernel void sgd_step_nesterov(__global float* p, __global const float* grad, __global float* v,
                                const float lr, const float momentum, const float weightDecay, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float g = sgd_velocity(p, grad, v, momentum, weightDecay, i);
    p[i] = p[i] - lr * (g + momentum * v[i]);
}

// The shared Adam moment update and step, given the (possibly L2-augmented) gradient g.
inline void adam_update(__global float* p, __global float* m, __global float* v, const float g,
                        const float lr, const float beta1, const float beta2, const float epsilon,
                        const float biasCorrection1, const float biasCorrection2, const int i) {
    m[i] = beta1 * m[i] + (1.0f - beta1) * g;
    v[i] = beta2 * v[i] + (1.0f - beta2) * (g * g);
    const float mHat = m[i] / biasCorrection1;
    const float vHat = v[i] / biasCorrection2;
    p[i] = p[i] - lr * mHat / (sqrt(vHat) + epsilon);
}

// Adam with L2 weight decay: g = grad + wd·p, then the Adam update. One work-item per element.
__kernel void adam_step_l2(__global float* p, __global const float* grad, __global float* m, __global float* v,
                           const float lr, const float beta1, const float beta2, const float epsilon,
                           const float weightDecay, const float biasCorrection1, const float biasCorrection2,
                           const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float g = grad[i] + weightDecay * p[i];
    adam_update(p, m, v, g, lr, beta1, beta2, epsilon, biasCorrection1, biasCorrection2, i);
}

// AdamW: p −= lr·wd·p first, then the Adam update with the plain gradient. One work-item per element.
__kernel void adamw_step_decoupled(__global float* p, __global const float* grad, __global float* m, __global float* v,
                                   const float lr, const float beta1, const float beta2, const float epsilon,
                                   const float weightDecay, const float biasCorrection1, const float biasCorrection2,
                                   const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    p[i] = p[i] - lr * weightDecay * p[i];
    adam_update(p, m, v, grad[i], lr, beta1, beta2, epsilon, biasCorrection1, biasCorrection2, i);
}
