import TensorCore

// 2-D convolution, NCHW. Every operation below walks the same index space as the forward
// formula — (n, o, i, j) over the output and (c, p, q) over one group's input channels and the
// kernel window — so the three passes are visibly transposes of one another:
//   h = i·strideH − padH + p·dilationH,  w = j·strideW − padW + q·dilationW,
//   c = g·(C_in/groups) + cg for output channel o in group g = o / (C_out/groups);
// taps with h or w outside the image read the zero padding.
extension ReferenceBackend {
    /// `y[n,o,i,j] = b[o] + Σ_{cg,p,q} x[n, c, h, w] · w[o, cg, p, q]` (see the index map above;
    /// `b[o] = 0` without bias).
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.forward(input: x.shape, weight: weight.shape, bias: bias?.shape, params: params)
        let xv = values(x)  // x: [N, C_in, H, W]
        let wv = values(weight)  // w: [C_out, C_in/groups, kH, kW]
        let bv = bias.map(values)  // b: [C_out]
        var y = [Float](repeating: 0, count: g.outputShape.reduce(1, *))  // y: [N, C_out, H_out, W_out]
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        var sum: Float = 0
                        forEachTap(g, o: o, i: i, j: j) { c, h, w, wIndex in
                            sum += xv[g.inputIndex(n, c, h, w)] * wv[wIndex]
                        }
                        y[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j] = sum + (bv?[o] ?? 0)
                    }
                }
            }
        }
        return make(g.outputShape, y)
    }

    /// `dx[n, c, h, w] = Σ dy[n,o,i,j] · w[o, cg, p, q]` over every (o, i, j, p, q) whose forward
    /// tap reads x[n, c, h, w].
    public func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.backwardInput(dy: dy.shape, weight: weight.shape, inputShape: inputShape, params: params)
        let dyv = values(dy)  // dy: [N, C_out, H_out, W_out]
        let wv = values(weight)  // w: [C_out, C_in/groups, kH, kW]
        var dx = [Float](repeating: 0, count: g.inputShape.reduce(1, *))  // dx: [N, C_in, H, W]
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        let upstream = dyv[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j]
                        forEachTap(g, o: o, i: i, j: j) { c, h, w, wIndex in
                            dx[g.inputIndex(n, c, h, w)] += upstream * wv[wIndex]
                        }
                    }
                }
            }
        }
        return make(g.inputShape, dx)
    }

    /// `dw[o, cg, p, q] = Σ_{n,i,j} dy[n,o,i,j] · x[n, c, h, w]` (padding taps contribute 0).
    public func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], params: Conv2dParams) throws -> Tensor {
        let g = try ConvGeometry.backwardWeight(dy: dy.shape, input: x.shape, weightShape: weightShape, params: params)
        let dyv = values(dy)  // dy: [N, C_out, H_out, W_out]
        let xv = values(x)  // x: [N, C_in, H, W]
        var dw = [Float](repeating: 0, count: g.weightShape.reduce(1, *))  // dw: [C_out, C_in/groups, kH, kW]
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        let upstream = dyv[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j]
                        forEachTap(g, o: o, i: i, j: j) { c, h, w, wIndex in
                            dw[wIndex] += upstream * xv[g.inputIndex(n, c, h, w)]
                        }
                    }
                }
            }
        }
        return make(g.weightShape, dw)
    }

    /// `db[o] = Σ_{n,i,j} dy[n,o,i,j]`.
    public func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor {
        let outChannels = try ConvGeometry.backwardBias(dy: dy.shape)
        let dyv = values(dy)  // dy: [N, C_out, H_out, W_out]
        let (batch, pixels) = (dy.shape[0], dy.shape[2] * dy.shape[3])
        var db = [Float](repeating: 0, count: outChannels)  // db: [C_out]
        for n in 0..<batch {
            for o in 0..<outChannels {
                for pixel in 0..<pixels {
                    db[o] += dyv[(n * outChannels + o) * pixels + pixel]
                }
            }
        }
        return make([outChannels], db)
    }

    /// Calls `body(c, h, w, wIndex)` for every kernel tap (cg, p, q) of output (·, o, i, j) that
    /// lands inside the image, in order of cg, p, q: the tap reads x[·, c, h, w] and the weight
    /// at flat index `wIndex` = w[o, cg, p, q]. Padding taps are skipped (they read 0).
    private func forEachTap(_ g: ConvGeometry, o: Int, i: Int, j: Int, _ body: (_ c: Int, _ h: Int, _ w: Int, _ wIndex: Int) -> Void) {
        let group = o / g.outChannelsPerGroup
        for cg in 0..<g.inChannelsPerGroup {
            let c = group * g.inChannelsPerGroup + cg
            for p in 0..<g.kernelH {
                let h = i * g.params.strideH - g.params.padH + p * g.params.dilationH
                guard h >= 0 && h < g.inHeight else { continue }
                for q in 0..<g.kernelW {
                    let w = j * g.params.strideW - g.params.padW + q * g.params.dilationW
                    guard w >= 0 && w < g.inWidth else { continue }
                    let wIndex = ((o * g.inChannelsPerGroup + cg) * g.kernelH + p) * g.kernelW + q
                    body(c, h, w, wIndex)
                }
            }
        }
    }
}

extension ConvGeometry {
    /// Flat index of x[n, c, h, w] in `[N, C_in, H, W]`.
    fileprivate func inputIndex(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
        ((n * inChannels + c) * inHeight + h) * inWidth + w
    }
}
