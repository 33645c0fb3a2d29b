import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Central differences of `f` at `point`, one coordinate at a time, in Double.
private func centralDifferences(_ point: [Double], step h: Double = 1e-4, _ f: ([Double]) -> Double) -> [Double] {
    point.indices.map { i in
        var plus = point, minus = point
        plus[i] += h
        minus[i] -= h
        return (f(plus) - f(minus)) / (2 * h)
    }
}

/// Training-mode batch norm of `x: [N, C, S]` (flat, row-major) in Double, straight from the formula.
private func batchNormDouble(
    _ x: [Double], gamma: [Double], beta: [Double], batch: Int, channels: Int, spatial: Int,
    epsilon: Double
) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    let n = Double(batch * spatial)
    for c in 0..<channels {
        let indices = (0..<batch).flatMap { b in (0..<spatial).map { s in (b * channels + c) * spatial + s } }
        let mean = indices.reduce(0) { $0 + x[$1] } / n
        let variance = indices.reduce(0) { $0 + (x[$1] - mean) * (x[$1] - mean) } / n
        for i in indices { y[i] = gamma[c] * (x[i] - mean) / (variance + epsilon).squareRoot() + beta[c] }
    }
    return y
}

@Suite("Reference batch normalization")
struct NormalizationTests {
    let backend = ReferenceBackend()

    /// Channel 0 holds 1, 2, 3, 4 and channel 1 holds 10, 20, 30, 40 (x: [2, 2, 1, 2]):
    /// μ = 2.5 / 25, σ² = 1.25 / 125, so both normalize to (−1.5, −0.5, 0.5, 1.5)/sqrt(1.25).
    @Test func trainingForwardHandValues() throws {
        let x = try backend.upload([1, 2, 10, 20, 3, 4, 30, 40], shape: [2, 2, 1, 2])
        let gamma = try backend.upload([2, 1], shape: [2]), beta = try backend.upload([1, -1], shape: [2])
        let rMean = try backend.upload([0, 1], shape: [2]), rVar = try backend.upload([1, 2], shape: [2])
        let out = try backend.batchNormTraining(
            x, gamma: gamma, beta: beta, runningMean: rMean, runningVar: rVar,
            momentum: 0.1, epsilon: 0)
        let z: [Float] = [-1.3416408, -0.4472136, 0.4472136, 1.3416408]  // (x − μ)/σ
        // y = γ·z + β in storage order: b0 c0 (z0, z1), b0 c1 (z0, z1), b1 c0 (z2, z3), b1 c1 (z2, z3)
        let expected: [Float] = [2 * z[0] + 1, 2 * z[1] + 1, z[0] - 1, z[1] - 1, 2 * z[2] + 1, 2 * z[3] + 1, z[2] - 1, z[3] - 1]
        assertClose(try backend.download(out.output), expected, atol: 1e-6, rtol: 1e-6, "y")
        assertClose(try backend.download(out.savedMean), [2.5, 25], atol: 0, rtol: 1e-7, "mean")
        assertClose(
            try backend.download(out.savedInvStd), [1 / Float(1.25).squareRoot(), 1 / Float(125).squareRoot()],
            atol: 0, rtol: 1e-6, "invstd")
        // PyTorch: r ← 0.9·r + 0.1·batch, with the unbiased variance σ²·4/3.
        assertClose(try backend.download(rMean), [0.9 * 0 + 0.1 * 2.5, 0.9 * 1 + 0.1 * 25], atol: 1e-6, rtol: 1e-6, "running mean")
        assertClose(
            try backend.download(rVar), [0.9 * 1 + 0.1 * (1.25 * 4 / 3), 0.9 * 2 + 0.1 * (125 * 4 / 3)],
            atol: 1e-6, rtol: 1e-6, "running var")
        // A second step folds in the same batch again.
        _ = try backend.batchNormTraining(x, gamma: gamma, beta: beta, runningMean: rMean, runningVar: rVar, momentum: 0.1, epsilon: 0)
        assertClose(try backend.download(rMean), [0.9 * 0.25 + 0.25, 0.9 * 3.4 + 2.5], atol: 1e-6, rtol: 1e-6, "running mean, step 2")
        assertClose(
            try backend.download(rVar), [0.9 * (0.9 + 1.25 / 7.5) + 1.25 / 7.5, 0.9 * (1.8 + 125 / 7.5) + 125 / 7.5],
            atol: 1e-5, rtol: 1e-6, "running var, step 2")
    }

    /// With a single element per channel the variance is 0: y = β, invstd = 1/sqrt(ε), and the
    /// running variance takes the biased 0 (PyTorch's n = 1 rule), not 0/0.
    @Test func singleElementPerChannelUsesBiasedVariance() throws {
        let x = try backend.upload([5, -7], shape: [1, 2])
        let rMean = try backend.upload([1, 1], shape: [2]), rVar = try backend.upload([2, 4], shape: [2])
        let out = try backend.batchNormTraining(
            x, gamma: try backend.upload([3, 3], shape: [2]), beta: try backend.upload([0.5, -0.5], shape: [2]),
            runningMean: rMean, runningVar: rVar, momentum: 0.5, epsilon: 0.25)
        #expect(try backend.download(out.output) == [0.5, -0.5])
        #expect(try backend.download(out.savedInvStd) == [2, 2])
        #expect(try backend.download(rMean) == [3, -3])
        #expect(try backend.download(rVar) == [1, 2])
    }

    @Test func inferenceHandValues() throws {
        let x = try backend.upload([1, 2, 3, 4], shape: [4, 1])
        let y = try backend.batchNormInference(
            x, gamma: try backend.upload([2], shape: [1]), beta: try backend.upload([1], shape: [1]),
            runningMean: try backend.upload([2.5], shape: [1]),
            runningVar: try backend.upload([1], shape: [1]), epsilon: 0.25)
        // invstd = 1/sqrt(1.25)
        let z: [Float] = [-1.3416408, -0.4472136, 0.4472136, 1.3416408]
        assertClose(try backend.download(y), z.map { 2 * $0 + 1 }, atol: 1e-6, rtol: 1e-6)
    }

    /// dx, dγ, dβ against central differences of L = Σ w·BN(x; γ, β) evaluated in Double.
    @Test func backwardMatchesFiniteDifferences() throws {
        let (batch, channels, spatial) = (2, 3, 4)
        let shape = [2, 3, 2, 2]
        var rng = SeededRandom(seed: 11)
        let x = rng.normal(24, mean: 0.5, std: 1.5), w = rng.uniform(24)
        let gamma = rng.uniform(channels, in: 0.5...1.5), beta = rng.uniform(channels)
        let epsilon: Float = 1e-3
        let xt = try backend.upload(x, shape: shape), gt = try backend.upload(gamma, shape: [3])
        let forward = try backend.batchNormTraining(
            xt, gamma: gt, beta: try backend.upload(beta, shape: [3]),
            runningMean: try backend.zeros([3]), runningVar: try backend.zeros([3]),
            momentum: 0.1, epsilon: epsilon)
        let grads = try backend.batchNormBackward(
            try backend.upload(w, shape: shape), input: xt, gamma: gt,
            savedMean: forward.savedMean, savedInvStd: forward.savedInvStd)
        let (xd, gd, bd, wd) = (x.map(Double.init), gamma.map(Double.init), beta.map(Double.init), w.map(Double.init))
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            let y = batchNormDouble(x, gamma: g, beta: b, batch: batch, channels: channels, spatial: spatial, epsilon: Double(epsilon))
            return zip(y, wd).reduce(0) { $0 + $1.0 * $1.1 }
        }
        // Float gradients of O(1) against exact ones: a wrong term is off by ≥ 1e-2.
        assertClose(
            try backend.download(grads.input).map(Double.init), centralDifferences(xd) { loss($0, gd, bd) },
            atol: 2e-5, rtol: 1e-4, "dx")
        assertClose(
            try backend.download(grads.gamma).map(Double.init), centralDifferences(gd) { loss(xd, $0, bd) },
            atol: 2e-5, rtol: 1e-4, "dgamma")
        assertClose(
            try backend.download(grads.beta).map(Double.init), centralDifferences(bd) { loss(xd, gd, $0) },
            atol: 2e-5, rtol: 1e-4, "dbeta")
        // The forward output itself matches the Double formula.
        assertClose(
            try backend.download(forward.output).map(Double.init),
            batchNormDouble(xd, gamma: gd, beta: bd, batch: batch, channels: channels, spatial: spatial, epsilon: Double(epsilon)),
            atol: 1e-5, rtol: 1e-5, "y")
    }

    /// The [N, C] layout reduces over N only.
    @Test func rankTwoInputReducesOverBatch() throws {
        let x = try backend.upload([1, 100, 3, 300], shape: [2, 2])
        let out = try backend.batchNormTraining(
            x, gamma: try backend.upload([1, 1], shape: [2]), beta: try backend.zeros([2]),
            runningMean: try backend.zeros([2]), runningVar: try backend.zeros([2]),
            momentum: 1, epsilon: 0)
        #expect(try backend.download(out.savedMean) == [2, 200])
        assertClose(try backend.download(out.output), [-1, -1, 1, 1], atol: 1e-6, rtol: 0)
    }

    @Test func badShapesAndArgumentsThrow() throws {
        let x = try backend.zeros([2, 3, 4, 4])
        let c3 = try backend.zeros([3]), c2 = try backend.zeros([2])
        #expect(throws: TensorError.self) {
            try backend.batchNormTraining(
                try backend.zeros([2, 3, 4]), gamma: c3, beta: c3, runningMean: c3, runningVar: c3, momentum: 0.1, epsilon: 1e-5)
        }
        #expect(throws: TensorError.shape("batchNormTraining: gamma must be [3] (one per channel), got [2]")) {
            try backend.batchNormTraining(x, gamma: c2, beta: c3, runningMean: c3, runningVar: c3, momentum: 0.1, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormTraining(x, gamma: c3, beta: c3, runningMean: c3, runningVar: c2, momentum: 0.1, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormTraining(x, gamma: c3, beta: c3, runningMean: c3, runningVar: c3, momentum: 1.5, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormTraining(x, gamma: c3, beta: c3, runningMean: c3, runningVar: c3, momentum: 0.1, epsilon: -1)
        }
        #expect(throws: TensorError.self) {  // no elements to take a batch mean over
            try backend.batchNormTraining(
                try backend.zeros([0, 3, 4, 4]), gamma: c3, beta: c3, runningMean: c3, runningVar: c3,
                momentum: 0.1, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormInference(x, gamma: c3, beta: c2, runningMean: c3, runningVar: c3, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormInference(try backend.zeros([6]), gamma: c3, beta: c3, runningMean: c3, runningVar: c3, epsilon: 1e-5)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormBackward(try backend.zeros([2, 3, 4, 5]), input: x, gamma: c3, savedMean: c3, savedInvStd: c3)
        }
        #expect(throws: TensorError.self) {
            try backend.batchNormBackward(x, input: x, gamma: c3, savedMean: c2, savedInvStd: c3)
        }
    }

    /// A rejected call leaves the running statistics untouched.
    @Test func rejectedTrainingCallDoesNotUpdateRunningStats() throws {
        let rMean = try backend.upload([1, 2, 3], shape: [3]), rVar = try backend.upload([4, 5, 6], shape: [3])
        #expect(throws: TensorError.self) {
            try backend.batchNormTraining(
                try backend.zeros([2, 3, 2, 2]), gamma: try backend.zeros([3]), beta: try backend.zeros([4]),
                runningMean: rMean, runningVar: rVar, momentum: 0.1, epsilon: 1e-5)
        }
        #expect(try backend.download(rMean) == [1, 2, 3])
        #expect(try backend.download(rVar) == [4, 5, 6])
    }
}
