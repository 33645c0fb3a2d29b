import TensorCore

// Batch normalization. A channel c of `x: [N, C, H, W]` (or `[N, C]`) is the n = N·H·W values
// x[b, c, i, j]. Channel sums are accumulated in Double so the oracle's statistics are
// accurate to Float rounding whatever the order a device sums in.
extension ReferenceBackend {
    /// Training-mode batch norm, per channel c over its n = N·H·W elements:
    ///
    ///     μ = Σx / n
    ///     σ² = Σ(x − μ)² / n                      (biased; two passes, never E[x²] − μ²)
    ///     invstd = 1 / sqrt(σ² + ε)
    ///     y = γ·(x − μ)·invstd + β
    ///     runningMean ← (1 − momentum)·runningMean + momentum·μ
    ///     runningVar  ← (1 − momentum)·runningVar  + momentum·σ²·n/(n − 1)   (σ² when n = 1)
    ///
    /// The running statistics are updated in place (PyTorch semantics).
    public func batchNormTraining(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        momentum: Float, epsilon: Float
    ) throws -> BatchNormForward {
        let layout = try NormalizationShapes.batchNormTraining(
            x: x.shape, gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape,
            momentum: momentum, epsilon: epsilon)
        let xs = values(x)  // x: [N, C, H·W]
        let g = values(gamma), b = values(beta)  // γ, β: [C]
        var rMean = values(runningMean)  // [C]
        var rVar = values(runningVar)  // [C]
        let (batch, channels, spatial, n) = (layout.batch, layout.channels, layout.spatial, layout.perChannel)
        var y = [Float](repeating: 0, count: x.count)  // y: [N, C, H·W]
        var mean = [Float](repeating: 0, count: channels)  // μ: [C]
        var invStd = [Float](repeating: 0, count: channels)  // invstd: [C]
        for c in 0..<channels {
            var sum = 0.0
            for bi in 0..<batch {
                for s in 0..<spatial { sum += Double(xs[layout.index(batch: bi, channel: c, spatial: s)]) }
            }
            let mu = Float(sum / Double(n))
            var squares = 0.0
            for bi in 0..<batch {
                for s in 0..<spatial {
                    let d = Double(xs[layout.index(batch: bi, channel: c, spatial: s)] - mu)
                    squares += d * d
                }
            }
            let variance = Float(squares / Double(n))
            let istd = 1 / (variance + epsilon).squareRoot()
            for bi in 0..<batch {
                for s in 0..<spatial {
                    let i = layout.index(batch: bi, channel: c, spatial: s)
                    y[i] = g[c] * (xs[i] - mu) * istd + b[c]
                }
            }
            let unbiased = n > 1 ? variance * Float(n) / Float(n - 1) : variance
            rMean[c] = (1 - momentum) * rMean[c] + momentum * mu
            rVar[c] = (1 - momentum) * rVar[c] + momentum * unbiased
            mean[c] = mu
            invStd[c] = istd
        }
        storage(runningMean).values = rMean
        storage(runningVar).values = rVar
        return BatchNormForward(output: make(x.shape, y), savedMean: make([channels], mean), savedInvStd: make([channels], invStd))
    }

    /// Inference-mode batch norm with the running statistics:
    /// `y = γ·(x − runningMean)·invstd + β` with `invstd = 1 / sqrt(runningVar + ε)`.
    public func batchNormInference(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        epsilon: Float
    ) throws -> Tensor {
        let layout = try NormalizationShapes.batchNormInference(
            x: x.shape, gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape,
            epsilon: epsilon)
        let xs = values(x)  // x: [N, C, H·W]
        let g = values(gamma), b = values(beta)  // [C]
        let rMean = values(runningMean), rVar = values(runningVar)  // [C]
        var y = [Float](repeating: 0, count: x.count)  // y: [N, C, H·W]
        for bi in 0..<layout.batch {
            for c in 0..<layout.channels {
                let istd = 1 / (rVar[c] + epsilon).squareRoot()
                for s in 0..<layout.spatial {
                    let i = layout.index(batch: bi, channel: c, spatial: s)
                    y[i] = g[c] * (xs[i] - rMean[c]) * istd + b[c]
                }
            }
        }
        return make(x.shape, y)
    }

    /// Gradients of `batchNormTraining`, per channel with `x̂ = (x − μ)·invstd` (μ, invstd as saved):
    ///
    ///     dβ = Σ dy
    ///     dγ = Σ dy·x̂
    ///     dx = γ·invstd/n · (n·dy − Σdy − x̂·Σ(dy·x̂))
    public func batchNormBackward(
        _ dy: Tensor, input x: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor
    ) throws -> BatchNormGradients {
        let layout = try NormalizationShapes.batchNormBackward(
            dy: dy.shape, x: x.shape, gamma: gamma.shape, savedMean: savedMean.shape, savedInvStd: savedInvStd.shape)
        let dys = values(dy), xs = values(x)  // dy, x: [N, C, H·W]
        let g = values(gamma), mean = values(savedMean), invStd = values(savedInvStd)  // [C]
        let (batch, channels, spatial, n) = (layout.batch, layout.channels, layout.spatial, layout.perChannel)
        var dx = [Float](repeating: 0, count: x.count)  // dx: [N, C, H·W]
        var dGamma = [Float](repeating: 0, count: channels)  // dγ: [C]
        var dBeta = [Float](repeating: 0, count: channels)  // dβ: [C]
        for c in 0..<channels {
            var sumDy = 0.0, sumDyXhat = 0.0
            for bi in 0..<batch {
                for s in 0..<spatial {
                    let i = layout.index(batch: bi, channel: c, spatial: s)
                    let xhat = (xs[i] - mean[c]) * invStd[c]
                    sumDy += Double(dys[i])
                    sumDyXhat += Double(dys[i]) * Double(xhat)
                }
            }
            dBeta[c] = Float(sumDy)
            dGamma[c] = Float(sumDyXhat)
            let k = g[c] * invStd[c] / Float(n)
            for bi in 0..<batch {
                for s in 0..<spatial {
                    let i = layout.index(batch: bi, channel: c, spatial: s)
                    let xhat = (xs[i] - mean[c]) * invStd[c]
                    dx[i] = k * (Float(n) * dys[i] - dBeta[c] - xhat * dGamma[c])
                }
            }
        }
        return BatchNormGradients(input: make(x.shape, dx), gamma: make([channels], dGamma), beta: make([channels], dBeta))
    }
}
