import CellSearch
import Foundation
import TensorCore
import Testing

/// The host-side pieces of the architecture gradient, against central differences in Double.
@Suite struct ArchitectureMathTests {
    /// ∂(⟨c, f(z)⟩)/∂z by central differences.
    func numeric(_ f: ([Double]) -> [Double], at z: [Double], weights c: [Double], h: Double = 1e-6) -> [Double] {
        z.indices.map { i in
            var plus = z, minus = z
            plus[i] += h; minus[i] -= h
            let fp = zip(c, f(plus)).reduce(0) { $0 + $1.0 * $1.1 }, fm = zip(c, f(minus)).reduce(0) { $0 + $1.0 * $1.1 }
            return (fp - fm) / (2 * h)
        }
    }

    let z: [Double] = [0.3, -1.2, 2.0, 0.0, 0.7]
    let c: [Double] = [1.5, -0.5, 0.25, 2.0, -1.0]

    @Test func softmaxBackward() {
        let analytic = Softmax.backward(probabilities: Softmax.forward(z), gradient: c)
        for (a, n) in zip(analytic, numeric(Softmax.forward, at: z, weights: c)) { #expect(abs(a - n) < 1e-8) }
        #expect(abs(Softmax.forward(z).reduce(0, +) - 1) < 1e-15)
    }

    @Test func logSoftmaxBackward() {
        let analytic = LogSoftmax.backward(logits: z, gradient: c)
        for (a, n) in zip(analytic, numeric(LogSoftmax.forward, at: z, weights: c)) { #expect(abs(a - n) < 1e-8) }
    }

    /// GDAS: the forward is one-hot at argmax h; the backward is the gradient of h(α) for the same
    /// Gumbel noise (straight-through), which reaches every α.
    @Test func gumbelSampleIsOneHotWithSoftGradient() {
        var rng = SeededRandom(seed: 9)
        for tau in [10.0, 1.0, 0.1] {
            let state = rng
            let sample = GumbelSample.draw(logits: z, temperature: tau, rng: &rng)
            #expect(sample.hard.reduce(0, +) == 1 && sample.hard[sample.index] == 1)
            #expect(sample.soft.indices.allSatisfy { sample.soft[$0] <= sample.soft[sample.index] })
            // h(α) with the noise of this sample: redraw from the same generator state.
            func h(_ alpha: [Double]) -> [Double] {
                var r = state
                return GumbelSample.draw(logits: alpha, temperature: tau, rng: &r).soft
            }
            let analytic = sample.backward(c, logits: z)
            let numerical = numeric(h, at: z, weights: c, h: 1e-7 * max(1, tau))
            for (a, n) in zip(analytic, numerical) { #expect(abs(a - n) < 1e-5 * max(1, abs(n)), "τ = \(tau)") }
            if tau >= 1 { #expect(analytic.allSatisfy { $0 != 0 }, "τ = \(tau): the gradient must reach every α") }
        }
    }

    /// Adam with L2 decay in the gradient: the first step moves every weight by lr·sign(g + wd·θ).
    @Test func adamFirstStepAndDecay() {
        var weights = ArchitectureWeights(types: 1, edges: 2, operations: 3, edgeNormalization: true, seed: 5)
        let before = weights.flattened
        #expect(before.count == 2 * 3 + 2)
        #expect(before.allSatisfy { abs($0) < 5e-3 })  // 1e-3·N(0, 1)
        let g: [Double] = [1, -2, 0.5, 0, 3, -1, 2, -0.5]
        weights.adamStep(gradient: g, learningRate: 0.01, beta1: 0.5, beta2: 0.999, weightDecay: 1e-3)
        for (i, (a, b)) in zip(weights.flattened, before).enumerated() {
            let effective = g[i] + 1e-3 * b
            // m̂ = g, v̂ = g²: Δ = −lr·g/(|g| + ε).
            #expect(abs((a - b) - (-0.01 * effective / (abs(effective) + 1e-8))) < 1e-12)
        }
    }
}
