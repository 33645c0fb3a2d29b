import TensorCore

// The cell operations of the DARTS family: channel copies (concatenation and slices), the
// PC-DARTS channel shuffle, the weighted sum of a mixed edge, and spatial crops (FactorizedReduce
// reads x[:, :, 1:, 1:]).
extension ReferenceBackend {
    /// `dst[n, at + c, s] = src[n, from + c, s]` for `c < count`.
    public func copyChannels(_ source: Tensor, from: Int, into destination: Tensor, at: Int, count: Int) throws {
        let (src, dst) = try CellShapes.copyChannels(source: source.shape, from: from, destination: destination.shape, at: at, count: count)
        let xs = values(source)  // source: [N, C_s, S]
        var ys = values(destination)  // destination: [N, C_d, S]
        for n in 0..<src.batch {
            for c in 0..<count {
                for s in 0..<src.spatial {
                    ys[(n * dst.channels + at + c) * dst.spatial + s] = xs[(n * src.channels + from + c) * src.spatial + s]
                }
            }
        }
        storage(destination).values = ys
    }

    /// `y[n, j·g + i, s] = x[n, i·(C/g) + j, s]`.
    public func channelShuffle(_ x: Tensor, groups: Int) throws -> Tensor {
        let layout = try CellShapes.channelShuffle(x.shape, groups: groups)
        let xs = values(x)  // x: [N, C, S]
        var y = [Float](repeating: 0, count: x.count)  // y: [N, C, S]
        let perGroup = layout.channels / groups
        for n in 0..<layout.batch {
            for i in 0..<groups {
                for j in 0..<perGroup {
                    for s in 0..<layout.spatial {
                        y[(n * layout.channels + j * groups + i) * layout.spatial + s] =
                            xs[(n * layout.channels + i * perGroup + j) * layout.spatial + s]
                    }
                }
            }
        }
        return make(x.shape, y)
    }

    /// `y = Σ_i w[i]·x_i`, summed in input order.
    public func weightedSum(_ inputs: [Tensor], weights: Tensor) throws -> Tensor {
        try CellShapes.weightedSum("weightedSum", inputs: inputs.map(\.shape), weights: weights.shape)
        let w = values(weights)  // weights: [n]
        var y = [Float](repeating: 0, count: inputs[0].count)  // y: the inputs' shape
        for (i, input) in inputs.enumerated() {
            let xs = values(input)
            for e in 0..<y.count { y[e] += w[i] * xs[e] }
        }
        return make(inputs[0].shape, y)
    }

    /// `∂L/∂x_i = w[i]·dy`, `∂L/∂w[i] = Σ_e dy[e]·x_i[e]` (accumulated in Double).
    public func weightedSumBackward(_ dy: Tensor, inputs: [Tensor], weights: Tensor) throws -> (inputs: [Tensor], weights: Tensor) {
        try CellShapes.weightedSumBackward(dy: dy.shape, inputs: inputs.map(\.shape), weights: weights.shape)
        let w = values(weights)  // weights: [n]
        let g = values(dy)  // dy: the inputs' shape
        var dInputs: [Tensor] = []
        var dWeights = [Float](repeating: 0, count: inputs.count)  // dWeights: [n]
        for (i, input) in inputs.enumerated() {
            let xs = values(input)
            var dx = [Float](repeating: 0, count: g.count)
            var dot = 0.0
            for e in 0..<g.count {
                dx[e] = w[i] * g[e]
                dot += Double(g[e]) * Double(xs[e])
            }
            dInputs.append(make(dy.shape, dx))
            dWeights[i] = Float(dot)
        }
        return (dInputs, make(weights.shape, dWeights))
    }

    /// `y[n, c, i, j] = x[n, c, top + i, left + j]`.
    public func cropSpatial(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
        let shape = try CellShapes.cropSpatial(x.shape, top: top, left: left, height: height, width: width)
        let xs = values(x)  // x: [N, C, H, W]
        let (planes, inH, inW) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var y = [Float](repeating: 0, count: planes * height * width)  // y: [N, C, height, width]
        for p in 0..<planes {
            for i in 0..<height {
                for j in 0..<width { y[(p * height + i) * width + j] = xs[(p * inH + top + i) * inW + left + j] }
            }
        }
        return make(shape, y)
    }

    /// `dx[n, c, top + i, left + j] = dy[n, c, i, j]`, zero elsewhere.
    public func cropSpatialBackward(_ dy: Tensor, inputShape: [Int], top: Int, left: Int) throws -> Tensor {
        try CellShapes.cropSpatialBackward(dy: dy.shape, inputShape: inputShape, top: top, left: left)
        let g = values(dy)  // dy: [N, C, h, w]
        let (planes, height, width, inH, inW) = (dy.shape[0] * dy.shape[1], dy.shape[2], dy.shape[3], inputShape[2], inputShape[3])
        var dx = [Float](repeating: 0, count: planes * inH * inW)  // dx: [N, C, H, W]
        for p in 0..<planes {
            for i in 0..<height {
                for j in 0..<width { dx[(p * inH + top + i) * inW + left + j] = g[(p * height + i) * width + j] }
            }
        }
        return make(inputShape, dx)
    }
}
