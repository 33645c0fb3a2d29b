import TensorCore

/// Differentiable cell operations of the DARTS family: channel concatenation and slices, the
/// channel shuffle, the zero operation, the weighted sum of a mixed edge and spatial crops.
extension Tape {
    /// `concat(x_0, …, x_{k−1})` along channels (`[N, C_i, …]` with equal N and trailing dims).
    public func concatChannels(_ parts: [Variable]) throws -> Variable {
        try require(!parts.isEmpty, "concatChannels: needs at least one input")
        var shape = parts[0].shape
        try require(shape.count >= 2, "concatChannels: inputs must be [N, C, …], got \(shape)")
        shape[1] = parts.reduce(0) { $0 + ($1.shape.count >= 2 ? $1.shape[1] : 0) }
        let y = try backend.zeros(shape)
        var offsets: [Int] = []
        var at = 0
        for part in parts {
            offsets.append(at)
            try backend.copyChannels(part.value, from: 0, into: y, at: at, count: part.shape[1])
            at += part.shape[1]
        }
        return record(y, inputs: parts) { [backend] dy, needs in
            try parts.indices.map { i -> Tensor? in
                guard needs[i] else { return nil }
                let dx = try backend.zeros(parts[i].shape)
                try backend.copyChannels(dy, from: offsets[i], into: dx, at: 0, count: parts[i].shape[1])
                return dx
            }
        }
    }

    /// Channels `[from, from + count)` of `x: [N, C, …]`.
    public func sliceChannels(_ x: Variable, from: Int, count: Int) throws -> Variable {
        try require(x.shape.count >= 2, "sliceChannels: x must be [N, C, …], got \(x.shape)")
        var shape = x.shape
        shape[1] = count
        let y = try backend.zeros(shape)
        try backend.copyChannels(x.value, from: from, into: y, at: 0, count: count)
        return record(y, inputs: [x]) { [backend] dy, _ in
            let dx = try backend.zeros(x.shape)
            try backend.copyChannels(dy, from: 0, into: dx, at: from, count: count)
            return [dx]
        }
    }

    /// `y[n, j·g + i] = x[n, i·(C/g) + j]`; its gradient is the inverse shuffle (`C/g` groups).
    public func channelShuffle(_ x: Variable, groups: Int) throws -> Variable {
        let y = try backend.channelShuffle(x.value, groups: groups)
        return record(y, inputs: [x]) { [backend] dy, _ in [try backend.channelShuffle(dy, groups: x.shape[1] / groups)] }
    }

    /// The zero operation: `x·0`, or with stride 2 `x[:, :, ::2, ::2]·0` (`[N, C, ⌈H/s⌉, ⌈W/s⌉]`).
    /// A constant: no gradient reaches `x`.
    public func zero(like x: Variable, stride: Int) throws -> Variable {
        try require(x.shape.count == 4 && stride >= 1, "zero: x must be [N, C, H, W] and stride ≥ 1, got \(x.shape), stride \(stride)")
        let (h, w) = ((x.shape[2] + stride - 1) / stride, (x.shape[3] + stride - 1) / stride)
        return constant(try backend.zeros([x.shape[0], x.shape[1], h, w]))
    }

    /// `y = Σ_i w[i]·x_i` with `weights: [n]` (softmax(α) of a DARTS edge); gradients reach every
    /// input and every weight.
    public func weightedSum(_ inputs: [Variable], weights: Variable) throws -> Variable {
        let y = try backend.weightedSum(inputs.map(\.value), weights: weights.value)
        return record(y, inputs: inputs + [weights]) { [backend] dy, needs in
            let g = try backend.weightedSumBackward(dy, inputs: inputs.map(\.value), weights: weights.value)
            return g.inputs.enumerated().map { needs[$0.offset] ? $0.element : nil } + [needs[inputs.count] ? g.weights : nil]
        }
    }

    /// `x[:, :, top ..< top + height, left ..< left + width]`.
    public func cropSpatial(_ x: Variable, top: Int, left: Int, height: Int, width: Int) throws -> Variable {
        let y = try backend.cropSpatial(x.value, top: top, left: left, height: height, width: width)
        return record(y, inputs: [x]) { [backend] dy, _ in
            [try backend.cropSpatialBackward(dy, inputShape: x.shape, top: top, left: left)]
        }
    }

    /// GDAS' edge output `y = q[index]·o` for the one sampled operation `o`, plus the values
    /// `q[k] = 0` of the unsampled ones (AutoDL adds them so the gradient reaches every α):
    /// `∂L/∂o = q[index]·dy`, `∂L/∂q[index] = Σ dy·o`, `∂L/∂q[k] = Σ dy` for `k ≠ index`.
    /// `q: [K]` holds the hard one-hot weights (straight-through: their gradient is that of h).
    public func hardSelect(_ o: Variable, weights q: Variable, index: Int) throws -> Variable {
        try require(q.shape.count == 1 && index >= 0 && index < q.shape[0], "hardSelect: index \(index) outside weights \(q.shape)")
        let y = try backend.scaleByElement(o.value, q.value, index: index)
        return record(y, inputs: [o, q]) { [backend] dy, needs in
            let g = try backend.scaleByElementBackward(dy, input: o.value, q.value, index: index)
            guard needs[1] else { return [g.input, nil] }
            let total = try backend.download(backend.sum(dy, axes: Array(0..<dy.shape.count)))[0]
            var dq = [Float](repeating: total, count: q.shape[0])
            dq[index] = try backend.download(g.scale)[0]
            return [g.input, try backend.upload(dq, shape: q.shape)]
        }
    }
}
