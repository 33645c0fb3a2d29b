import TensorCore

/// Differentiable operations. Each runs the forward pass on the backend and records the
/// backward pass built from the backend's gradient operations.
extension Tape {
    /// `y = conv2d(x, w) + b`.
    public func conv2d(_ x: Variable, weight: Variable, bias: Variable?, params: Conv2dParams) throws -> Variable {
        let y = try backend.conv2d(x.value, weight: weight.value, bias: bias?.value, params: params)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return record(y, inputs: inputs) { [backend] dy, needs in
            let dx = needs[0] ? try backend.conv2dBackwardInput(dy, weight: weight.value, inputShape: x.shape, params: params) : nil
            let dw = needs[1] ? try backend.conv2dBackwardWeight(dy, input: x.value, weightShape: weight.shape, params: params) : nil
            let db = bias != nil && needs[2] ? try backend.conv2dBackwardBias(dy) : nil
            return [dx, dw] + (bias != nil ? [db] : [])
        }
    }

    /// `y = x·Wᵀ + b` for `x: [N, in]`, `W: [out, in]`, `b: [out]`.
    public func linear(_ x: Variable, weight: Variable, bias: Variable?) throws -> Variable {
        try require(
            x.value.rank == 2 && weight.value.rank == 2 && x.shape[1] == weight.shape[1],
            "linear: input \(x.shape) does not match weight \(weight.shape) ([out, in])")
        let product = try backend.zeros([x.shape[0], weight.shape[0]])
        try backend.gemm(x.value, weight.value, into: product, transposeA: false, transposeB: true, alpha: 1, beta: 0)
        let y = try bias.map { try backend.addBias(product, bias: $0.value) } ?? product
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return record(y, inputs: inputs) { [backend] dy, needs in
            var dx: Tensor?, dw: Tensor?, db: Tensor?
            if needs[0] {  // dx [N, in] = dy [N, out] · W [out, in]
                dx = try backend.zeros(x.shape)
                try backend.gemm(dy, weight.value, into: dx!, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            }
            if needs[1] {  // dW [out, in] = dyᵀ · x
                dw = try backend.zeros(weight.shape)
                try backend.gemm(dy, x.value, into: dw!, transposeA: true, transposeB: false, alpha: 1, beta: 0)
            }
            if bias != nil && needs[2] { db = try backend.sum(dy, axes: [0]) }
            return [dx, dw] + (bias != nil ? [db] : [])
        }
    }

    /// Batch normalization; in training mode with batch statistics (updating the running
    /// statistics in place), otherwise with the running statistics.
    public func batchNorm(
        _ x: Variable, gamma: Variable, beta: Variable, runningMean: Tensor, runningVar: Tensor,
        momentum: Float, epsilon: Float
    ) throws -> Variable {
        guard training else {
            let y = try backend.batchNormInference(
                x.value, gamma: gamma.value, beta: beta.value, runningMean: runningMean,
                runningVar: runningVar, epsilon: epsilon)
            return record(y, inputs: [x, gamma, beta]) { _, _ in
                throw TensorError.argument("batchNorm: backward through inference-mode batch norm is not supported; use a training tape")
            }
        }
        let forward = try backend.batchNormTraining(
            x.value, gamma: gamma.value, beta: beta.value, runningMean: runningMean,
            runningVar: runningVar, momentum: momentum, epsilon: epsilon)
        return record(forward.output, inputs: [x, gamma, beta]) { [backend] dy, _ in
            let g = try backend.batchNormBackward(
                dy, input: x.value, gamma: gamma.value, savedMean: forward.savedMean,
                savedInvStd: forward.savedInvStd)
            return [g.input, g.gamma, g.beta]
        }
    }

    public func relu(_ x: Variable) throws -> Variable {
        let y = try backend.relu(x.value)
        return record(y, inputs: [x]) { [backend] dy, _ in [try backend.reluBackward(dy, input: x.value)] }
    }

    /// `a + b` (residual connections).
    public func add(_ a: Variable, _ b: Variable) throws -> Variable {
        let y = try backend.add(a.value, b.value)
        return record(y, inputs: [a, b]) { dy, _ in [dy, dy] }
    }

    /// `x·mask[c]` per channel: a soft width mask acting on activations.
    public func channelMask(_ x: Variable, mask: Variable) throws -> Variable {
        let y = try backend.channelMask(x.value, mask: mask.value)
        return record(y, inputs: [x, mask]) { [backend] dy, _ in
            let g = try backend.channelMaskBackward(dy, input: x.value, mask: mask.value)
            return [g.input, g.mask]
        }
    }

    /// `x·s[index]`: one element of `s` scales the whole tensor (depth masks, operation weights).
    public func scaleByElement(_ x: Variable, _ s: Variable, index: Int) throws -> Variable {
        let y = try backend.scaleByElement(x.value, s.value, index: index)
        return record(y, inputs: [x, s]) { [backend] dy, needs in
            let g = try backend.scaleByElementBackward(dy, input: x.value, s.value, index: index)
            guard needs[1] else { return [g.input, nil] }
            // Scatter the scalar gradient into position `index` of a gradient shaped like s.
            var ds = [Float](repeating: 0, count: s.value.count)
            ds[index] = try backend.download(g.scale)[0]
            return [g.input, try backend.upload(ds, shape: s.shape)]
        }
    }

    public func maxPool2d(_ x: Variable, params: Pool2dParams) throws -> Variable {
        let y = try backend.maxPool2d(x.value, params: params)
        return record(y, inputs: [x]) { [backend] dy, _ in [try backend.maxPool2dBackward(dy, input: x.value, params: params)] }
    }

    public func avgPool2d(_ x: Variable, params: Pool2dParams, countIncludePad: Bool = true) throws -> Variable {
        let y = try backend.avgPool2d(x.value, params: params, countIncludePad: countIncludePad)
        return record(y, inputs: [x]) { [backend] dy, _ in
            [try backend.avgPool2dBackward(dy, inputShape: x.shape, params: params, countIncludePad: countIncludePad)]
        }
    }

    public func globalAvgPool(_ x: Variable) throws -> Variable {
        let y = try backend.globalAvgPool(x.value)
        return record(y, inputs: [x]) { [backend] dy, _ in [try backend.globalAvgPoolBackward(dy, inputShape: x.shape)] }
    }

    /// The same values with another shape (e.g. flatten `[N, C, H, W]` to `[N, C·H·W]`).
    public func reshape(_ x: Variable, _ shape: [Int]) throws -> Variable {
        let y = try x.value.reshaped(shape)
        return record(y, inputs: [x]) { dy, _ in [try dy.reshaped(x.shape)] }
    }

    /// Mean softmax cross-entropy of `logits: [N, K]` against class ids; returns the `[1]` loss.
    public func softmaxCrossEntropy(_ logits: Variable, labels: Tensor) throws -> (loss: Variable, probabilities: Tensor) {
        let (loss, probabilities) = try backend.softmaxCrossEntropy(logits: logits.value, labels: labels)
        let output = record(loss, inputs: [logits]) { [backend] dLoss, _ in
            let upstream = try backend.download(dLoss)[0]
            return [try backend.softmaxCrossEntropyBackward(probabilities: probabilities, labels: labels, upstream: upstream)]
        }
        return (output, probabilities)
    }

    /// `s·x`.
    public func scale(_ x: Variable, by s: Float) throws -> Variable {
        let y = try backend.scale(x.value, by: s)
        return record(y, inputs: [x]) { [backend] dy, _ in [try backend.scale(dy, by: s)] }
    }
}
