import TensorCore

// Optimizer steps: three consecutive in-place steps with fresh gradients each step; every
// step's parameter and state buffers are named outputs.
extension VerificationSuite {
    static func optimizerCases() -> [VerifyCase] {
        optimizerSGDCases() + optimizerAdamCases()
    }

    /// Tolerance of the non-dyadic optimizer cases: atol = rtol = 1e-6 (≈ 8 ulp at the O(1)
    /// magnitudes of p, m, v). Both backends perform the same IEEE operations in the same
    /// order (FP_CONTRACT OFF) and PoCL agrees bit for bit; a GPU may still fuse a·b + c under
    /// -cl-mad-enable (≤ 1 ulp per operation) and OpenCL allows sqrt 3 ulp and division 2.5 ulp,
    /// over 3 steps.
    private static let optimizerTolerance = Tolerance(absolute: 1e-6, relative: 1e-6)

    private static func optimizerSGDCases() -> [VerifyCase] {
        let configurations: [(String, SGDParameters)] = [
            ("momentum 0", SGDParameters(learningRate: 0.1, momentum: 0)),
            ("momentum 0.9", SGDParameters(learningRate: 0.1, momentum: 0.9)),
            ("nesterov 0.9", SGDParameters(learningRate: 0.1, momentum: 0.9, nesterov: true)),
            ("momentum 0.9 wd 5e-4", SGDParameters(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)),
            ("nesterov 0.9 wd 1e-2", SGDParameters(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-2, nesterov: true)),
        ]
        var cases: [VerifyCase] = []
        for n in [1, 7, 93, 4099] {
            for (k, (label, hyper)) in configurations.enumerated() {
                cases.append(
                    VerifyCase(
                        family: .optim, operation: "sgdStep", shape: "p[\(n)] \(label) lr \(hyper.learningRate)",
                        tolerance: optimizerTolerance
                    ) { backend in
                        var rng = SeededRandom(seed: 500 + UInt64(n) + UInt64(k))
                        return try optimizerRunSGD(
                            backend, n: n, hyper: hyper,
                            initial: rng.normal(n), gradients: (0..<3).map { _ in rng.normal(n) })
                    })
            }
        }
        // Dyadic: integer parameters and gradients, lr ½, μ ½, wd ¼: every value stays a short
        // binary fraction, so both backends must agree exactly.
        for nesterov in [false, true] {
            let hyper = SGDParameters(learningRate: 0.5, momentum: 0.5, weightDecay: 0.25, nesterov: nesterov)
            cases.append(
                VerifyCase(
                    family: .optim, operation: "sgdStep",
                    shape: "p[31] dyadic \(nesterov ? "nesterov" : "momentum") ½ wd ¼ lr ½", tolerance: .exact
                ) { backend in
                    var rng = SeededRandom(seed: 590 + (nesterov ? 1 : 0))
                    return try optimizerRunSGD(
                        backend, n: 31, hyper: hyper, initial: rng.integers(31, in: -8...8),
                        gradients: (0..<3).map { _ in rng.integers(31, in: -4...4) })
                })
        }
        return cases
    }

    private static func optimizerRunSGD(
        _ backend: any Backend, n: Int, hyper: SGDParameters,
        initial: [Float], gradients: [[Float]]
    ) throws -> [NamedOutput] {
        let p = try backend.upload(initial, shape: [n])
        let velocity = try backend.zeros([n])
        var outputs: [NamedOutput] = []
        for (step, grad) in gradients.enumerated() {
            try backend.sgdStep(p, gradient: try backend.upload(grad, shape: [n]), velocity: velocity, hyper)
            outputs.append(try NamedOutput("parameter after step \(step + 1)", p, on: backend))
            outputs.append(try NamedOutput("velocity after step \(step + 1)", velocity, on: backend))
        }
        return outputs
    }

    private static func optimizerAdamCases() -> [VerifyCase] {
        let configurations: [(String, AdamParameters)] = [
            ("adam", AdamParameters(learningRate: 0.1)),
            ("adam L2 wd 1e-2", AdamParameters(learningRate: 0.1, weightDecay: 1e-2, decoupledWeightDecay: false)),
            ("adamw wd 1e-2", AdamParameters(learningRate: 0.1, weightDecay: 1e-2, decoupledWeightDecay: true)),
            (
                "adamw β (0.8, 0.99) ε 1e-6 wd 0.1",
                AdamParameters(
                    learningRate: 1e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6,
                    weightDecay: 0.1, decoupledWeightDecay: true)
            ),
        ]
        var cases: [VerifyCase] = []
        for n in [1, 7, 93, 4099] {
            for (k, (label, hyper)) in configurations.enumerated() {
                cases.append(
                    VerifyCase(
                        family: .optim, operation: "adamStep", shape: "p[\(n)] \(label) lr \(hyper.learningRate)",
                        tolerance: optimizerTolerance, quick: n == 93 && k == 2
                    ) { backend in
                        var rng = SeededRandom(seed: 600 + UInt64(n) + UInt64(k))
                        let p = try backend.upload(rng.normal(n), shape: [n])
                        let (m, v) = (try backend.zeros([n]), try backend.zeros([n]))
                        var outputs: [NamedOutput] = []
                        for step in 1...3 {
                            let grad = try backend.upload(rng.normal(n, std: 2), shape: [n])
                            try backend.adamStep(p, gradient: grad, firstMoment: m, secondMoment: v, step: step, hyper)
                            outputs.append(try NamedOutput("parameter after step \(step)", p, on: backend))
                            outputs.append(try NamedOutput("first moment after step \(step)", m, on: backend))
                            outputs.append(try NamedOutput("second moment after step \(step)", v, on: backend))
                        }
                        return outputs
                    })
            }
        }
        return cases
    }
}
