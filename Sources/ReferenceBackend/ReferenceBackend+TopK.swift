// The differentiable top-k of DMS (Differentiable Model Scaling), written as the spec.
// See /work/shared/dms-method.md: importance c → normalized ranks c' → soft mask
// m = sigmoid(λ(c' − a)) → gradient of the pruning ratio a; importance is a moving average of
// Taylor scores (m·g)².
import Foundation
import TensorCore

extension ReferenceBackend {
    /// Normalized rank `c'_i = (position of i in the ascending stable order + 1) / N`,
    /// i.e. `#{j : c_j ≤ c_i} / N` with ties broken by index.
    ///
    /// Order rule: NaN is below every number (−inf included) and all NaNs are equal; −0 and +0
    /// are equal; equal keys keep index order. One O(N log N) sort of the indices.
    public func rankNormalize(_ importance: Tensor) throws -> Tensor {
        let n = try TopKShapes.rankNormalize(importance: importance.shape)
        let c = values(importance)  // c: [N]
        // order: the indices sorted by (key, index); every pair compares, so the order is unique.
        let order = (0..<n).sorted { i, j in
            if Self.rankPrecedes(c[i], c[j]) { return true }
            if Self.rankPrecedes(c[j], c[i]) { return false }
            return i < j  // equal keys: index order
        }
        var out = [Float](repeating: 0, count: n)  // out: [N]
        for position in 0..<n {
            // (rank + 1) / N rounded once to Float: the Double quotient has ≥ 2·24 + 2 bits, so
            // rounding it again to Float gives the correctly rounded quotient (N ≤ 2²⁴).
            out[order[position]] = Float(Double(position + 1) / Double(n))
        }
        return make([n], out)
    }

    /// Whether `x` comes strictly before `y` in rankNormalize's ascending order: NaN first,
    /// then IEEE order (in which −0 == +0).
    static func rankPrecedes(_ x: Float, _ y: Float) -> Bool {
        if x.isNaN { return !y.isNaN }
        if y.isNaN { return false }
        return x < y
    }

    /// `m_i = sigmoid(λ (c'_i − a))` for `normalized: [N]`, `a: [1]`. For N = 1 (no rank to
    /// normalize) the single element sits at c' = 0.5: `m = sigmoid(λ (0.5 − a))`, so a = 0 keeps
    /// it and a = 1 removes it, and `∂m/∂a = −λ m (1 − m)` as in the general case.
    public func softMask(normalized: Tensor, ratio a: Tensor, lambda: Float) throws -> Tensor {
        let n = try TopKShapes.softMask(normalized: normalized.shape, ratio: a.shape, lambda: lambda)
        let c = values(normalized)  // c': [N]
        let ratio = values(a)[0]  // a: [1]
        var m = [Float](repeating: 0, count: n)  // m: [N]
        for i in 0..<n {
            let t = n == 1 ? lambda * (0.5 - ratio) : lambda * (c[i] - ratio)
            m[i] = Self.stableSigmoid(t)
        }
        return make([n], m)
    }

    /// `1/(1 + e^−t)` for t ≥ 0 and `e^t/(1 + e^t)` for t < 0: exp never overflows.
    static func stableSigmoid(_ t: Float) -> Float {
        if t >= 0 {
            return 1 / (1 + Foundation.exp(-t))
        }
        let e = Foundation.exp(t)
        return e / (1 + e)
    }

    /// `∂L/∂a = Σ_i dm_i · (−λ m_i (1 − m_i))` as a `[1]` tensor, for `mask, gradMask: [N]`.
    /// Each term is computed in Float exactly as written; the sum is accumulated in Double and
    /// rounded once (the most accurate value for the device's tree sum to be compared with).
    public func softMaskGradRatio(mask: Tensor, gradMask: Tensor, lambda: Float) throws -> Tensor {
        let n = try TopKShapes.softMaskGradRatio(mask: mask.shape, gradMask: gradMask.shape, lambda: lambda)
        let m = values(mask)  // m: [N]
        let dm = values(gradMask)  // ∂L/∂m: [N]
        var total: Double = 0
        for i in 0..<n {
            let term = dm[i] * (-lambda * m[i] * (1 - m[i]))  // ∂L/∂m_i · ∂m_i/∂a
            total += Double(term)
        }
        return make([1], [Float(total)])
    }

    /// `c ← decay·c + (1 − decay)·(m·g)²` in place on `importance: [N]`, with `mask, gradMask: [N]`.
    /// Skipped entirely (c unchanged, returns false) when any new score `(m·g)²` is non-finite.
    public func taylorImportanceUpdate(_ importance: Tensor, mask: Tensor, gradMask: Tensor, decay: Float) throws -> Bool {
        let n = try TopKShapes.taylorImportanceUpdate(
            importance: importance.shape, mask: mask.shape,
            gradMask: gradMask.shape, decay: decay)
        let m = values(mask)  // m: [N]
        let g = values(gradMask)  // g = ∂L/∂m: [N]
        var score = [Float](repeating: 0, count: n)  // (m·g)²: [N]
        for i in 0..<n {
            let s = m[i] * g[i]
            score[i] = s * s
            if !score[i].isFinite { return false }  // skip the whole update
        }
        var c = values(importance)  // c: [N]
        for i in 0..<n {
            c[i] = decay * c[i] + (1 - decay) * score[i]
        }
        storage(importance).values = c
        return true
    }
}
