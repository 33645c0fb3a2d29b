import Foundation
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference optimizer steps against hand-computed steps and a Double transcription of
/// the PyTorch formulas, plus their shape/argument checks.
@Suite("Reference optimizers")
struct OptimizerTests {
    let backend = SharedBackends.reference

    /// Runs `grads.count` SGD steps from `p0` and returns (p, v) after each step.
    func sgd(_ p0: [Float], _ grads: [[Float]], _ hyper: SGDParameters) throws -> [(p: [Float], v: [Float])] {
        let p = try backend.upload(p0, shape: [p0.count]), v = try backend.zeros([p0.count])
        return try grads.map { g in
            try backend.sgdStep(p, gradient: backend.upload(g, shape: [g.count]), velocity: v, hyper)
            return (try backend.download(p), try backend.download(v))
        }
    }

    /// Runs Adam steps 1, 2, … from `p0` and returns (p, m, v) after each step.
    func adam(_ p0: [Float], _ grads: [[Float]], _ hyper: AdamParameters) throws -> [(p: [Float], m: [Float], v: [Float])] {
        let n = p0.count
        let p = try backend.upload(p0, shape: [n]), m = try backend.zeros([n]), v = try backend.zeros([n])
        return try grads.enumerated().map { step, g in
            try backend.adamStep(p, gradient: backend.upload(g, shape: [n]), firstMoment: m, secondMoment: v, step: step + 1, hyper)
            return (try backend.download(p), try backend.download(m), try backend.download(v))
        }
    }

    func close(_ actual: [Float], _ expected: [Double], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        // A handful of Float roundings per step against exact Double arithmetic.
        assertClose(actual.map(Double.init), expected, atol: 1e-6, rtol: 1e-6, label, sourceLocation: sourceLocation)
    }

    // MARK: SGD

    @Test func sgdMomentumHandSteps() throws {
        // v1 = g = [0.5, 1]; p1 = [1 − 0.05, −2 − 0.1]; v2 = 0.9·v1 + g = [0.95, 1.9]; p2 = p1 − 0.1·v2.
        let steps = try sgd([1, -2], [[0.5, 1], [0.5, 1]], SGDParameters(learningRate: 0.1, momentum: 0.9))
        close(steps[0].v, [0.5, 1], "v1"); close(steps[0].p, [0.95, -2.1], "p1")
        close(steps[1].v, [0.95, 1.9], "v2"); close(steps[1].p, [0.855, -2.29], "p2")
    }

    @Test func sgdWithoutMomentumIsPlainGradientDescent() throws {
        let steps = try sgd([1, -2], [[0.5, 1], [-1, 2]], SGDParameters(learningRate: 0.1, momentum: 0))
        close(steps[0].p, [0.95, -2.1], "p1"); close(steps[1].p, [1.05, -2.3], "p2")
        close(steps[1].v, [-1, 2], "v2 = g2")
    }

    @Test func sgdNesterovHandSteps() throws {
        // p1 = p0 − 0.1·(g + 0.9·g) = p0 − 0.19·g; v2 = [0.95, 1.9]; p2 = p1 − 0.1·(g + 0.9·v2).
        let steps = try sgd([1, -2], [[0.5, 1], [0.5, 1]], SGDParameters(learningRate: 0.1, momentum: 0.9, nesterov: true))
        close(steps[0].p, [0.905, -2.19], "p1")
        close(steps[1].v, [0.95, 1.9], "v2")
        close(steps[1].p, [0.905 - 0.1355, -2.19 - 0.271], "p2")
    }

    @Test func sgdWeightDecayIsAddedToTheGradient() throws {
        // g' = 0 + 0.1·2 = 0.2; p = 2 − 0.5·0.2 = 1.9; with momentum the decayed gradient enters v.
        close(try sgd([2], [[0]], SGDParameters(learningRate: 0.5, momentum: 0, weightDecay: 0.1))[0].p, [1.9], "p")
        let steps = try sgd([2], [[1], [1]], SGDParameters(learningRate: 0.5, momentum: 0.5, weightDecay: 0.1))
        close(steps[0].v, [1.2], "v1"); close(steps[0].p, [1.4], "p1")
        close(steps[1].v, [0.6 + 1.14], "v2"); close(steps[1].p, [1.4 - 0.87], "p2")
    }

    /// Five steps of every SGD variant against the formulas evaluated in Double.
    @Test(arguments: [false, true])
    func sgdMatchesDoubleFormulas(nesterov: Bool) throws {
        var rng = SeededRandom(seed: 21)
        let p0 = rng.normal(17), grads = (0..<5).map { _ in rng.normal(17) }
        let hyper = SGDParameters(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-2, nesterov: nesterov)
        let steps = try sgd(p0, grads, hyper)
        var p = p0.map(Double.init), v = [Double](repeating: 0, count: 17)
        for (k, g) in grads.enumerated() {
            for i in 0..<17 {
                let gi = Double(g[i]) + 1e-2 * p[i]
                v[i] = 0.9 * v[i] + gi
                p[i] -= 0.05 * (nesterov ? gi + 0.9 * v[i] : v[i])
            }
            close(steps[k].p, p, "p step \(k + 1)"); close(steps[k].v, v, "v step \(k + 1)")
        }
    }

    // MARK: Adam

    @Test func adamFirstStepMovesByLearningRateTimesSign() throws {
        // Step 1: m̂ = g, v̂ = g², so p −= lr·g/(|g| + ε); a zero gradient leaves p alone.
        let step = try adam([1, -1, 0.5], [[0.5, -2, 0]], AdamParameters(learningRate: 0.1))[0]
        close(step.p, [1 - 0.1 * 0.5 / (0.5 + 1e-8), -1 + 0.1 * 2 / (2 + 1e-8), 0.5], "p1")
        close(step.m, [0.05, -0.2, 0], "m1")
        let oneMinusBeta2 = 1 - Double(Float(0.999))  // exact in Float (Sterbenz)
        assertClose(step.v.map(Double.init), [0.25, 4, 0].map { oneMinusBeta2 * $0 }, atol: 0, rtol: 1e-6, "v1")
    }

    @Test func adamDecoupledAndL2WeightDecayDiffer() throws {
        // Zero gradient, wd 0.1, lr 0.1. AdamW: p = 1 − 0.01 and no Adam move (m = 0).
        // L2: g = 0.1 ⇒ m̂ = 0.1, v̂ = 0.01 ⇒ p = 1 − 0.1·0.1/(0.1 + ε).
        let w = try adam([1], [[0]], AdamParameters(learningRate: 0.1, weightDecay: 0.1, decoupledWeightDecay: true))[0]
        close(w.p, [0.99], "AdamW"); close(w.m, [0], "AdamW m")
        let l2 = try adam([1], [[0]], AdamParameters(learningRate: 0.1, weightDecay: 0.1, decoupledWeightDecay: false))[0]
        close(l2.p, [1 - 0.01 / (0.1 + 1e-8)], "Adam L2"); close(l2.m, [0.01], "Adam L2 m")
    }

    /// Four steps of Adam and AdamW against the formulas in Double (bias correction from step 1).
    @Test(arguments: [false, true])
    func adamMatchesDoubleFormulas(decoupled: Bool) throws {
        var rng = SeededRandom(seed: 31)
        let n = 13
        let p0 = rng.normal(n), grads = (0..<4).map { _ in rng.normal(n, std: 2) }
        let hyper = AdamParameters(
            learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.05,
            decoupledWeightDecay: decoupled)
        let (b1, b2, lr, eps, wd) = (Double(hyper.beta1), Double(hyper.beta2), 0.01, Double(hyper.epsilon), 0.05)
        let steps = try adam(p0, grads, hyper)
        var p = p0.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for (k, g) in grads.enumerated() {
            let t = Double(k + 1)
            for i in 0..<n {
                var gi = Double(g[i])
                if decoupled { p[i] -= lr * wd * p[i] } else { gi += wd * p[i] }
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] -= lr * (m[i] / (1 - pow(b1, t))) / ((v[i] / (1 - pow(b2, t))).squareRoot() + eps)
            }
            close(steps[k].p, p, "p step \(k + 1)"); close(steps[k].m, m, "m step \(k + 1)")
            assertClose(steps[k].v.map(Double.init), v, atol: 0, rtol: 1e-5, "v step \(k + 1)")
        }
    }

    @Test func adamBiasCorrectionsAreComputedInDouble() {
        let (c1, c2) = OptimizerShapes.adamBiasCorrections(step: 3, AdamParameters(learningRate: 1))
        #expect(c1 == Float(1 - pow(Double(Float(0.9)), 3.0)))
        #expect(c2 == Float(1 - pow(Double(Float(0.999)), 3.0)))
    }

    // MARK: Shapes and arguments

    @Test func badShapesAndArgumentsThrow() throws {
        let p = try backend.zeros([2, 3]), flat = try backend.zeros([6])
        let sgd = SGDParameters(learningRate: 0.1)
        #expect(throws: TensorError.shape("sgdStep: gradient [6] must have the parameter's shape [2, 3]")) {
            try backend.sgdStep(p, gradient: flat, velocity: p, sgd)
        }
        #expect(throws: TensorError.self) { try backend.sgdStep(p, gradient: p, velocity: flat, sgd) }
        #expect(throws: TensorError.argument("sgdStep: nesterov momentum requires momentum > 0")) {
            try backend.sgdStep(p, gradient: p, velocity: p, SGDParameters(learningRate: 0.1, momentum: 0, nesterov: true))
        }
        #expect(throws: TensorError.self) { try backend.sgdStep(p, gradient: p, velocity: p, SGDParameters(learningRate: -1)) }
        let adam = AdamParameters(learningRate: 0.1)
        #expect(throws: TensorError.argument("adamStep: step counts from 1, got 0")) {
            try backend.adamStep(p, gradient: p, firstMoment: p, secondMoment: p, step: 0, adam)
        }
        #expect(throws: TensorError.shape("adamStep: secondMoment [6] must have the parameter's shape [2, 3]")) {
            try backend.adamStep(p, gradient: p, firstMoment: p, secondMoment: flat, step: 1, adam)
        }
        #expect(throws: TensorError.self) {
            try backend.adamStep(p, gradient: p, firstMoment: p, secondMoment: p, step: 1, AdamParameters(learningRate: 0.1, beta1: 1))
        }
        #expect(throws: TensorError.self) {
            try backend.adamStep(p, gradient: p, firstMoment: p, secondMoment: p, step: 1, AdamParameters(learningRate: .nan))
        }
        // Empty tensors are a valid no-op.
        let empty = try backend.zeros([0])
        try backend.sgdStep(empty, gradient: empty, velocity: empty, sgd)
        try backend.adamStep(empty, gradient: empty, firstMoment: empty, secondMoment: empty, step: 1, adam)
    }
}
