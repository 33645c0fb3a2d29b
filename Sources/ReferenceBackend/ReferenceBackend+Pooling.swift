import TensorCore

// Pooling: windowed max and average over NCHW images, global average, and their gradients.
//
// Window (i, j) of an output covers input rows `i·sH − pH + p` for p in 0..<kH and columns
// `j·sW − pW + q` for q in 0..<kW; positions outside the image are padding. Every window holds
// at least one real element (Pool2dParams requires pad ≤ window/2).
extension ReferenceBackend {
    /// `y[n,c,i,j] = max_{p,q} x[n,c, i·sH−pH+p, j·sW−pW+q]` over real (non-padding) positions.
    public func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.output("maxPool2d", input: x.shape, params: params)
        let xs = values(x)  // x: [N, C, H, W]
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (outShape[2], outShape[3])
        var y = [Float](repeating: 0, count: outShape.reduce(1, *))  // y: [N, C, OH, OW]
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    let winner = maxWindowWinner(xs, plane: plane, h: h, w: w, i: i, j: j, params: params)
                    y[(plane * oh + i) * ow + j] = xs[winner]
                }
            }
        }
        return make(outShape, y)
    }

    /// `dx[winner(n,c,i,j)] += dy[n,c,i,j]`: each window's gradient goes to its first maximal
    /// element in row-major window order; the other elements of the window get nothing.
    public func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.backward("maxPool2dBackward", dy: dy.shape, inputShape: x.shape, params: params)
        let xs = values(x), dys = values(dy)  // x: [N, C, H, W], dy: [N, C, OH, OW]
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (outShape[2], outShape[3])
        var dx = [Float](repeating: 0, count: x.count)  // dx: [N, C, H, W]
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    let winner = maxWindowWinner(xs, plane: plane, h: h, w: w, i: i, j: j, params: params)
                    dx[winner] += dys[(plane * oh + i) * ow + j]
                }
            }
        }
        return make(x.shape, dx)
    }

    /// The flat index into `x` of the first maximal real element of window (i, j) of image
    /// plane `plane` (= n·C + c): the first real element, replaced only by a strictly larger one.
    func maxWindowWinner(_ xs: [Float], plane: Int, h: Int, w: Int, i: Int, j: Int, params: Pool2dParams) -> Int {
        var winner = -1
        for p in 0..<params.kernelH {
            for q in 0..<params.kernelW {
                let row = i * params.strideH - params.padH + p
                let col = j * params.strideW - params.padW + q
                if row < 0 || row >= h || col < 0 || col >= w { continue }  // padding never wins
                let index = (plane * h + row) * w + col
                if winner < 0 || xs[index] > xs[winner] { winner = index }
            }
        }
        return winner
    }

    /// `y[n,c,i,j] = (Σ_{real p,q} x[n,c, i·sH−pH+p, j·sW−pW+q]) / d` with `d = kH·kW` when
    /// `countIncludePad`, else the number of real elements in the window.
    public func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.output("avgPool2d", input: x.shape, params: params)
        let xs = values(x)  // x: [N, C, H, W]
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (outShape[2], outShape[3])
        var y = [Float](repeating: 0, count: outShape.reduce(1, *))  // y: [N, C, OH, OW]
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    var total: Float = 0
                    for p in 0..<params.kernelH {
                        for q in 0..<params.kernelW {
                            let row = i * params.strideH - params.padH + p
                            let col = j * params.strideW - params.padW + q
                            if row < 0 || row >= h || col < 0 || col >= w { continue }
                            total += xs[(plane * h + row) * w + col]
                        }
                    }
                    let divisor = avgWindowDivisor(h: h, w: w, i: i, j: j, params: params, countIncludePad: countIncludePad)
                    y[(plane * oh + i) * ow + j] = total / divisor
                }
            }
        }
        return make(outShape, y)
    }

    /// `dx[n,c,r,s] = Σ_{windows (i,j) holding (r,s)} dy[n,c,i,j] / d(i,j)`, windows visited
    /// in row-major order.
    public func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.backward("avgPool2dBackward", dy: dy.shape, inputShape: inputShape, params: params)
        let dys = values(dy)  // dy: [N, C, OH, OW]
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (oh, ow) = (outShape[2], outShape[3])
        var dx = [Float](repeating: 0, count: inputShape.reduce(1, *))  // dx: [N, C, H, W]
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    let divisor = avgWindowDivisor(h: h, w: w, i: i, j: j, params: params, countIncludePad: countIncludePad)
                    let share = dys[(plane * oh + i) * ow + j] / divisor
                    for p in 0..<params.kernelH {
                        for q in 0..<params.kernelW {
                            let row = i * params.strideH - params.padH + p
                            let col = j * params.strideW - params.padW + q
                            if row < 0 || row >= h || col < 0 || col >= w { continue }
                            dx[(plane * h + row) * w + col] += share
                        }
                    }
                }
            }
        }
        return make(inputShape, dx)
    }

    /// The divisor of window (i, j): `kH·kW`, or the count of its real (non-padding) elements.
    func avgWindowDivisor(h: Int, w: Int, i: Int, j: Int, params: Pool2dParams, countIncludePad: Bool) -> Float {
        if countIncludePad { return Float(params.kernelH * params.kernelW) }
        let rowStart = i * params.strideH - params.padH, colStart = j * params.strideW - params.padW
        let rows = min(rowStart + params.kernelH, h) - max(rowStart, 0)
        let cols = min(colStart + params.kernelW, w) - max(colStart, 0)
        return Float(rows * cols)
    }

    /// `y[n,c] = (Σ_{h,w} x[n,c,h,w]) / (H·W)`: the sum accumulated in Double, rounded to Float, then divided.
    public func globalAvgPool(_ x: Tensor) throws -> Tensor {
        let outShape = try PoolShapes.globalAverage("globalAvgPool", input: x.shape)
        let xs = values(x)  // x: [N, C, H, W]
        let planes = x.shape[0] * x.shape[1], area = x.shape[2] * x.shape[3]
        var y = [Float](repeating: 0, count: planes)  // y: [N, C]
        for plane in 0..<planes {
            var total: Double = 0
            for k in 0..<area { total += Double(xs[plane * area + k]) }
            y[plane] = Float(total) / Float(area)
        }
        return make(outShape, y)
    }

    /// `dx[n,c,h,w] = dy[n,c] / (H·W)`.
    public func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor {
        try PoolShapes.globalAverageBackward("globalAvgPoolBackward", dy: dy.shape, inputShape: inputShape)
        let dys = values(dy)  // dy: [N, C]
        let planes = inputShape[0] * inputShape[1], area = inputShape[2] * inputShape[3]
        var dx = [Float](repeating: 0, count: planes * area)  // dx: [N, C, H, W]
        for plane in 0..<planes {
            for k in 0..<area { dx[plane * area + k] = dys[plane] / Float(area) }
        }
        return make(inputShape, dx)
    }
}
