import Foundation
import TensorCore

// Classification loss: softmax cross-entropy with its gradient, and argmax predictions.
extension ReferenceBackend {
    /// Per row n, with `m = max_k z[n,k]`:
    /// `p[n,k] = exp(z[n,k] − m) / Σ_j exp(z[n,j] − m)`,
    /// `ℓ[n] = log Σ_j exp(z[n,j] − m) − (z[n, label[n]] − m)`,
    /// `loss = (1/N) Σ_n ℓ[n]`. Each row is computed in Double and rounded once.
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Tensor, probabilities: Tensor) {
        let (n, k) = try LossShapes.classification("softmaxCrossEntropy", scores: logits.shape, labels: labels.shape)
        let z = values(logits)  // logits: [N, K]
        let label = values(labels)  // labels: [N]
        try LossShapes.validateLabels("softmaxCrossEntropy", label, classes: k)
        var p = [Float](repeating: 0, count: n * k)  // p: [N, K]
        var total: Double = 0
        for row in 0..<n {
            var m = Double(z[row * k])
            for j in 0..<k where Double(z[row * k + j]) > m { m = Double(z[row * k + j]) }
            var sumExp: Double = 0
            for j in 0..<k { sumExp += exp(Double(z[row * k + j]) - m) }
            for j in 0..<k { p[row * k + j] = Float(exp(Double(z[row * k + j]) - m) / sumExp) }
            let target = Int(label[row])
            total += log(sumExp) - (Double(z[row * k + target]) - m)
        }
        let loss = Float(total / Double(n))
        return (make([1], [loss]), make([n, k], p))
    }

    /// `∂L/∂z[n,k] = (p[n,k] − [k = label[n]]) · upstream / N`.
    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, upstream: Float) throws -> Tensor {
        let (n, k) = try LossShapes.classification(
            "softmaxCrossEntropyBackward", scores: probabilities.shape,
            labels: labels.shape, scoresName: "probabilities")
        let p = values(probabilities)  // p: [N, K]
        let label = values(labels)  // labels: [N]
        try LossShapes.validateLabels("softmaxCrossEntropyBackward", label, classes: k)
        var dz = [Float](repeating: 0, count: n * k)  // dz: [N, K]
        for row in 0..<n {
            for j in 0..<k {
                let onehot: Float = j == Int(label[row]) ? 1 : 0
                dz[row * k + j] = (p[row * k + j] - onehot) * upstream / Float(n)
            }
        }
        return make([n, k], dz)
    }

    /// `a[n]` = the first k with `x[n,k] = max_j x[n,j]`: scan from column 0 and move only to a
    /// strictly larger entry, so ties keep the first index and a NaN never replaces a number.
    public func argmax(_ x: Tensor) throws -> Tensor {
        let (n, k) = try LossShapes.rows("argmax", x.shape)
        let xs = values(x)  // x: [N, K]
        var a = [Float](repeating: 0, count: n)  // a: [N]
        for row in 0..<n {
            var best = 0
            for j in 1..<k where xs[row * k + j] > xs[row * k + best] { best = j }
            a[row] = Float(best)
        }
        return make([n], a)
    }
}
