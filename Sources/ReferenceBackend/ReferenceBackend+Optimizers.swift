// Optimizer steps, in place on the parameter and its state buffers (PyTorch semantics).
import TensorCore

extension ReferenceBackend {
    /// One SGD step with momentum, in place on `parameter`, `velocity` (all the same shape):
    /// `g = grad + wd·p;  v = μ·v + g;  p −= lr·(nesterov ? g + μ·v : v)`.
    /// The velocity starts at zero, so the first step's velocity is `g` (PyTorch's buffer init).
    public func sgdStep(_ parameter: Tensor, gradient: Tensor, velocity: Tensor, _ hyper: SGDParameters) throws {
        let n = try OptimizerShapes.sgdStep(
            parameter: parameter.shape, gradient: gradient.shape,
            velocity: velocity.shape, hyper)
        var p = values(parameter)  // p: [n]
        let grad = values(gradient)  // ∂L/∂p: [n]
        var v = values(velocity)  // v: [n]
        let (lr, mu, wd) = (hyper.learningRate, hyper.momentum, hyper.weightDecay)
        for i in 0..<n {
            let g = grad[i] + wd * p[i]  // L2 weight decay
            v[i] = mu * v[i] + g  // momentum buffer
            let update = hyper.nesterov ? g + mu * v[i] : v[i]
            p[i] = p[i] - lr * update
        }
        storage(parameter).values = p
        storage(velocity).values = v
    }

    /// One Adam/AdamW step, in place on `parameter`, `firstMoment` m and `secondMoment` v:
    /// AdamW: `p −= lr·wd·p` first; Adam (L2): `g += wd·p`. Then
    /// `m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  m̂ = m/(1−β1^t);  v̂ = v/(1−β2^t);
    ///  p −= lr·m̂/(sqrt(v̂) + ε)`, with t = `step` ≥ 1 and the bias corrections computed in
    /// Double (`OptimizerShapes.adamBiasCorrections`).
    public func adamStep(
        _ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
        step: Int, _ hyper: AdamParameters
    ) throws {
        let n = try OptimizerShapes.adamStep(
            parameter: parameter.shape, gradient: gradient.shape,
            firstMoment: firstMoment.shape, secondMoment: secondMoment.shape,
            step: step, hyper)
        let (bc1, bc2) = OptimizerShapes.adamBiasCorrections(step: step, hyper)
        var p = values(parameter)  // p: [n]
        let grad = values(gradient)  // ∂L/∂p: [n]
        var m = values(firstMoment)  // m: [n]
        var v = values(secondMoment)  // v: [n]
        let (lr, b1, b2, eps, wd) = (hyper.learningRate, hyper.beta1, hyper.beta2, hyper.epsilon, hyper.weightDecay)
        for i in 0..<n {
            var g = grad[i]
            if hyper.decoupledWeightDecay {
                p[i] = p[i] - lr * wd * p[i]  // AdamW: decay the weight itself
            } else {
                g = g + wd * p[i]  // Adam: L2 term in the gradient
            }
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * (g * g)
            let mHat = m[i] / bc1
            let vHat = v[i] / bc2
            p[i] = p[i] - lr * mHat / (vHat.squareRoot() + eps)
        }
        storage(parameter).values = p
        storage(firstMoment).values = m
        storage(secondMoment).values = v
    }
}
