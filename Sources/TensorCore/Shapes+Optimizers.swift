// Shape and argument validation for the optimizer steps (sgdStep, adamStep), shared by every
// backend so they all reject the same inputs with the same `TensorError` message.

public enum OptimizerShapes {
    /// `sgdStep`: `gradient` and `velocity` have the parameter's shape; the hyper-parameters
    /// are finite with `lr ≥ 0`, `momentum ≥ 0`, `weightDecay ≥ 0`, and nesterov needs
    /// `momentum > 0` (as in PyTorch). Returns the element count.
    public static func sgdStep(parameter: [Int], gradient: [Int], velocity: [Int], _ hyper: SGDParameters) throws -> Int {
        let op = "sgdStep"
        try require(gradient == parameter, "\(op): gradient \(gradient) must have the parameter's shape \(parameter)")
        try require(velocity == parameter, "\(op): velocity \(velocity) must have the parameter's shape \(parameter)")
        try argument(
            hyper.learningRate.isFinite && hyper.learningRate >= 0,
            "\(op): learning rate must be finite and >= 0, got \(hyper.learningRate)")
        try argument(
            hyper.momentum.isFinite && hyper.momentum >= 0,
            "\(op): momentum must be finite and >= 0, got \(hyper.momentum)")
        try argument(
            hyper.weightDecay.isFinite && hyper.weightDecay >= 0,
            "\(op): weight decay must be finite and >= 0, got \(hyper.weightDecay)")
        try argument(!hyper.nesterov || hyper.momentum > 0, "\(op): nesterov momentum requires momentum > 0")
        return try count(op, parameter)
    }

    /// `adamStep`: both moments and the gradient have the parameter's shape; `step ≥ 1`;
    /// `lr ≥ 0`, `0 ≤ β1, β2 < 1`, `ε ≥ 0`, `weightDecay ≥ 0`, all finite. Returns the element count.
    public static func adamStep(
        parameter: [Int], gradient: [Int], firstMoment: [Int], secondMoment: [Int],
        step: Int, _ hyper: AdamParameters
    ) throws -> Int {
        let op = "adamStep"
        try require(gradient == parameter, "\(op): gradient \(gradient) must have the parameter's shape \(parameter)")
        try require(firstMoment == parameter, "\(op): firstMoment \(firstMoment) must have the parameter's shape \(parameter)")
        try require(secondMoment == parameter, "\(op): secondMoment \(secondMoment) must have the parameter's shape \(parameter)")
        try argument(step >= 1, "\(op): step counts from 1, got \(step)")
        try argument(
            hyper.learningRate.isFinite && hyper.learningRate >= 0,
            "\(op): learning rate must be finite and >= 0, got \(hyper.learningRate)")
        try argument(hyper.beta1 >= 0 && hyper.beta1 < 1, "\(op): beta1 must be in [0, 1), got \(hyper.beta1)")
        try argument(hyper.beta2 >= 0 && hyper.beta2 < 1, "\(op): beta2 must be in [0, 1), got \(hyper.beta2)")
        try argument(hyper.epsilon.isFinite && hyper.epsilon >= 0, "\(op): epsilon must be finite and >= 0, got \(hyper.epsilon)")
        try argument(
            hyper.weightDecay.isFinite && hyper.weightDecay >= 0,
            "\(op): weight decay must be finite and >= 0, got \(hyper.weightDecay)")
        return try count(op, parameter)
    }

    /// Adam's bias corrections `(1 − β1^t, 1 − β2^t)`, computed in Double and rounded once
    /// to Float. Both backends divide the moments by exactly these values.
    public static func adamBiasCorrections(step: Int, _ hyper: AdamParameters) -> (first: Float, second: Float) {
        (Float(1 - power(Double(hyper.beta1), step)), Float(1 - power(Double(hyper.beta2), step)))
    }

    /// `base^exponent` for `exponent ≥ 0` by repeated squaring (no libm needed in TensorCore).
    static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0, factor = base, e = exponent
        while e > 0 {
            if e & 1 == 1 { result *= factor }
            factor *= factor
            e >>= 1
        }
        return result
    }

    private static func count(_ op: String, _ shape: [Int]) throws -> Int {
        let n = shape.reduce(1, *)
        try require(n <= Int(Int32.max), "\(op): \(n) elements are more than the supported \(Int32.max)")
        return n
    }

    private static func argument(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw TensorError.argument(message()) }
    }
}
