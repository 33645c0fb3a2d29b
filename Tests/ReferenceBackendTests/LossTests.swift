import Foundation
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference softmax cross-entropy and argmax: known values, stability, the gradient
/// against central differences of a Double loss, and label/shape errors.
@Suite("Reference loss")
struct LossTests {
    let backend = SharedBackends.reference

    @Test(arguments: [1, 2, 10, 31]) func zeroLogitsGiveLogK(_ k: Int) throws {
        let logits = try backend.zeros([3, k])
        let labels = try backend.upload([0, Float(k - 1), Float(k / 2)], shape: [3])
        let (loss, p) = try backend.softmaxCrossEntropy(logits: logits, labels: labels)
        #expect(loss.shape == [1])
        assertClose(try backend.download(loss), [Float(log(Double(k)))], rtol: 1e-7, "loss for K = \(k)")
        assertClose(try backend.download(p), [Float](repeating: 1 / Float(k), count: 3 * k), rtol: 1e-7, "uniform probabilities")
    }

    @Test func handComputedTwoClassLoss() throws {
        // Row 0: logits (0, log 3) → p = (1/4, 3/4); label 0 → −log(1/4) = log 4.
        // Row 1: logits (2, 2 + log 3) → same p (shift invariance); label 1 → −log(3/4).
        let log3 = Float(log(3.0))
        let logits = try backend.upload([0, log3, 2, 2 + log3], shape: [2, 2])
        let labels = try backend.upload([0, 1], shape: [2])
        let (loss, p) = try backend.softmaxCrossEntropy(logits: logits, labels: labels)
        assertClose(try backend.download(p), [0.25, 0.75, 0.25, 0.75], rtol: 1e-6, "probabilities")
        assertClose(try backend.download(loss), [Float((log(4.0) + log(4.0 / 3.0)) / 2)], rtol: 1e-6, "loss")
        // ∂L/∂z = (p − onehot)·upstream/N with upstream 2, N = 2.
        let dz = try backend.softmaxCrossEntropyBackward(probabilities: p, labels: labels, upstream: 2)
        assertClose(try backend.download(dz), [-0.75, 0.75, 0.25, -0.25], rtol: 1e-6, "gradient")
    }

    @Test func hugeLogitsStayFinite() throws {
        // Without subtracting the row max, exp(1000) overflows to inf and the loss is NaN.
        let logits = try backend.upload([1000, 0, -1000, 1000, 1000, -1000], shape: [2, 3])
        let labels = try backend.upload([1, 0], shape: [2])
        let (loss, p) = try backend.softmaxCrossEntropy(logits: logits, labels: labels)
        // Row 0: −log p₁ = 1000; row 1: two tied maxima → −log(1/2).
        assertClose(try backend.download(loss), [Float((1000 + log(2.0)) / 2)], rtol: 1e-6, "loss")
        #expect(try backend.download(p) == [1, 0, 0, 0.5, 0.5, 0])
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let (n, k) = (5, 7)
        var rng = SeededRandom(seed: 77)
        let z = rng.uniform(n * k, in: -3...3)
        let labelValues = rng.integers(n, in: 0...(k - 1))
        let upstream: Float = 0.7
        // L(z) = upstream · (1/N) Σ_n [log Σ_j exp z[n,j] − z[n, label n]], in Double.
        func objective(_ z: [Double]) -> Double {
            var total = 0.0
            for row in 0..<n {
                let slice = z[(row * k)..<(row * k + k)]
                let m = slice.max()!
                total += log(slice.map { exp($0 - m) }.reduce(0, +)) + m - z[row * k + Int(labelValues[row])]
            }
            return Double(upstream) * total / Double(n)
        }
        let labels = try backend.upload(labelValues, shape: [n])
        let (loss, p) = try backend.softmaxCrossEntropy(logits: backend.upload(z, shape: [n, k]), labels: labels)
        assertClose(
            [Double(try backend.download(loss)[0])], [objective(z.map(Double.init)) / Double(upstream)],
            atol: 0, rtol: 1e-6, "loss")
        let dz = try backend.download(backend.softmaxCrossEntropyBackward(probabilities: p, labels: labels, upstream: upstream))
        let step = 1e-5
        let numeric = z.indices.map { i -> Double in
            var plus = z.map(Double.init), minus = plus
            plus[i] += step
            minus[i] -= step
            return (objective(plus) - objective(minus)) / (2 * step)
        }
        assertClose(dz.map(Double.init), numeric, atol: 1e-7, rtol: 1e-5, "∂L/∂logits")
    }

    @Test func argmaxTakesFirstMaximum() throws {
        let x = try backend.upload(
            [
                1, 3, 3, 2,
                -1, -1, -1, -1,
                0, 0, 0, 5,
                .nan, 1, 2, 1,
            ], shape: [4, 4])
        // Ties keep the first index; a row whose first entry is NaN never moves (NaN compares false).
        #expect(try backend.download(backend.argmax(x)) == [1, 0, 3, 0])
        let single = try backend.upload([4, -2], shape: [2, 1])
        #expect(try backend.download(backend.argmax(single)) == [0, 0])
        let none = try backend.argmax(backend.zeros([0, 3]))
        #expect(none.shape == [0])
    }

    @Test func badLabelsThrow() throws {
        let logits = try backend.zeros([2, 3])
        for bad: Float in [3, -1, 0.5, .nan, .infinity, 1e9] {
            let labels = try backend.upload([0, bad], shape: [2])
            #expect(throws: TensorError.self, "label \(bad)") { try backend.softmaxCrossEntropy(logits: logits, labels: labels) }
            #expect(throws: TensorError.self, "label \(bad)") {
                try backend.softmaxCrossEntropyBackward(probabilities: logits, labels: labels, upstream: 1)
            }
        }
        let labels = try backend.upload([0, 2.5], shape: [2])
        #expect(throws: TensorError.argument("softmaxCrossEntropy: label 2.5 of row 1 is not a class id in [0, 3)")) {
            try backend.softmaxCrossEntropy(logits: logits, labels: labels)
        }
    }

    @Test func badShapesThrow() throws {
        let labels = try backend.upload([0, 1], shape: [2])
        #expect(throws: TensorError.self) { try backend.softmaxCrossEntropy(logits: backend.zeros([6]), labels: labels) }
        #expect(throws: TensorError.self) { try backend.softmaxCrossEntropy(logits: backend.zeros([3, 4]), labels: labels) }
        #expect(throws: TensorError.self) { try backend.softmaxCrossEntropy(logits: backend.zeros([2, 0]), labels: labels) }
        #expect(throws: TensorError.self) {
            try backend.softmaxCrossEntropy(logits: backend.zeros([0, 3]), labels: backend.zeros([0]))
        }
        #expect(throws: TensorError.self) {
            try backend.softmaxCrossEntropyBackward(probabilities: backend.zeros([2, 3, 1]), labels: labels, upstream: 1)
        }
        #expect(throws: TensorError.self) { try backend.argmax(backend.zeros([5])) }
        #expect(throws: TensorError.self) { try backend.argmax(backend.zeros([5, 0])) }
    }
}

/// Cross-entropy with infinite logits: the reference's defined behaviour, which the device case
/// "logits[4,3] with ±inf" must reproduce.
@Suite struct InfiniteLogitsTests {
    @Test func infiniteLogitsGiveDefinedValues() throws {
        let backend = ReferenceBackend()
        let inf = Float.infinity
        let logits = try backend.upload([1, -inf, 2, -inf, 0.5, 3, inf, 0, 1, 0.25, -1, 2], shape: [4, 3])
        let (loss, probabilities) = try backend.softmaxCrossEntropy(logits: logits, labels: backend.upload([0, 0, 1, 2], shape: [4]))
        let p = try backend.download(probabilities)
        #expect(p[1] == 0 && p[3] == 0, "exp(−inf) is an exact zero: \(p)")
        let finite = p[0...2].allSatisfy { $0.isFinite } && p[9...11].allSatisfy { $0.isFinite }
        let nanRow = p[6...8].allSatisfy { $0.isNaN }
        #expect(finite)
        #expect(nanRow, "a +inf logit makes the row NaN (inf − inf): \(p)")
        #expect(abs(Double(p[0]) - 1 / (1 + exp(1.0))) < 1e-6)
        let total = try backend.download(loss)[0]
        #expect(total.isNaN, "the NaN row propagates into the mean loss: \(total)")
    }
}
