import OpenCLRuntime
import TensorCore

// Optimizer steps on the device (Kernels/optimizers.cl): one elementwise kernel per step.
extension OpenCLBackend {
    public func sgdStep(_ parameter: Tensor, gradient: Tensor, velocity: Tensor, _ hyper: SGDParameters) throws {
        let n = try OptimizerShapes.sgdStep(
            parameter: parameter.shape, gradient: gradient.shape,
            velocity: velocity.shape, hyper)
        try launch(
            "optimizers.cl", hyper.nesterov ? "sgd_step_nesterov" : "sgd_step_momentum", global: [n],
            [
                .buffer(buffer(parameter)), .buffer(buffer(gradient)), .buffer(buffer(velocity)),
                .float(hyper.learningRate), .float(hyper.momentum), .float(hyper.weightDecay), .index(n),
            ])
    }

    public func adamStep(
        _ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
        step: Int, _ hyper: AdamParameters
    ) throws {
        let n = try OptimizerShapes.adamStep(
            parameter: parameter.shape, gradient: gradient.shape,
            firstMoment: firstMoment.shape, secondMoment: secondMoment.shape,
            step: step, hyper)
        let (bc1, bc2) = OptimizerShapes.adamBiasCorrections(step: step, hyper)
        try launch(
            "optimizers.cl", hyper.decoupledWeightDecay ? "adamw_step_decoupled" : "adam_step_l2", global: [n],
            [
                .buffer(buffer(parameter)), .buffer(buffer(gradient)), .buffer(buffer(firstMoment)),
                .buffer(buffer(secondMoment)), .float(hyper.learningRate), .float(hyper.beta1),
                .float(hyper.beta2), .float(hyper.epsilon), .float(hyper.weightDecay),
                .float(bc1), .float(bc2), .index(n),
            ])
    }
}
