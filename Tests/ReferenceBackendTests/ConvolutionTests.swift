import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference convolution: a hand-computed 1-channel case (forward and all gradients),
/// gradients against central differences of a Double forward pass, groups as separate
/// convolutions, and shape errors.
@Suite("Reference convolution")
struct ConvolutionTests {
    let backend = SharedBackends.reference

    // MARK: Hand-computed values

    /// x[h][w] = 4h + w + 1 on a 4×4 image (1…16) with the Sobel kernel [[1, 0, −1], [2, 0, −2], [1, 0, −1]].
    static let ramp: [Float] = (1...16).map(Float.init)
    static let sobel: [Float] = [1, 0, -1, 2, 0, -2, 1, 0, -1]

    @Test func oneChannelThreeByThreeByHand() throws {
        let x = try backend.upload(Self.ramp, shape: [1, 1, 4, 4])
        let w = try backend.upload(Self.sobel, shape: [1, 1, 3, 3])
        // Each kernel row sees (v, v+1, v+2) and gives v − (v+2) = −2 times its weight 1, 2, 1: −8.
        let y = try backend.conv2d(x, weight: w, bias: backend.upload([0.5], shape: [1]), params: Conv2dParams())
        #expect(y.shape == [1, 1, 2, 2])
        #expect(try backend.download(y) == [-7.5, -7.5, -7.5, -7.5])
        // Padding 1: corner (0, 0) sees x[0][1]·(−2) + x[1][1]·(−1) = −4 − 6; corner (0, 3) sees
        // x[0][2]·2 + x[1][2]·1 = 6 + 7.
        let padded = try backend.download(backend.conv2d(x, weight: w, bias: nil, params: Conv2dParams(padding: 1)))
        #expect(padded.count == 16)
        #expect(padded[0] == -10 && padded[3] == 13)
        // Stride 2 with padding 1: outputs (0,0), (0,2), (2,0), (2,2) of the padded result.
        let strided = try backend.download(backend.conv2d(x, weight: w, bias: nil, params: Conv2dParams(stride: 2, padding: 1)))
        #expect(strided == [padded[0], padded[2], padded[8], padded[10]])

        // Gradients of dy = 1 everywhere (no padding): dw[p][q] is the sum of the 2×2 block of x
        // at (p, q) = 16p + 4q + 14; db = 4; dx[h][w] sums the taps w[h−i][w−j] over the outputs
        // (i, j) ∈ {0, 1}² that cover (h, w).
        let dy = try backend.upload([1, 1, 1, 1], shape: [1, 1, 2, 2])
        let dw = try backend.download(backend.conv2dBackwardWeight(dy, input: x, weightShape: [1, 1, 3, 3], params: Conv2dParams()))
        #expect(dw == [14, 18, 22, 30, 34, 38, 46, 50, 54])
        #expect(try backend.download(backend.conv2dBackwardBias(dy)) == [4])
        let dx = try backend.download(backend.conv2dBackwardInput(dy, weight: w, inputShape: [1, 1, 4, 4], params: Conv2dParams()))
        #expect(dx == [1, 1, -1, -1, 3, 3, -3, -3, 3, 3, -3, -3, 1, 1, -1, -1])
    }

    @Test func biasGradientSumsOverBatchAndPixels() throws {
        // dy [2, 3, 1, 2]: channel o of image n holds (n·3 + o)·2 + (0, 1).
        let dy = try backend.upload((0..<12).map(Float.init), shape: [2, 3, 1, 2])
        // o = 0: 0 + 1 + 6 + 7; o = 1: 2 + 3 + 8 + 9; o = 2: 4 + 5 + 10 + 11.
        #expect(try backend.download(backend.conv2dBackwardBias(dy)) == [14, 22, 30])
    }

    // MARK: Gradients against central differences

    /// x[2, 4, 7, 6], w[6, 2, 3, 3]: stride 2, padding 1, dilation 2, groups 2, with bias.
    @Test func gradientsMatchCentralDifferences() throws {
        let params = Conv2dParams(stride: 2, padding: 1, dilation: 2, groups: 2)
        let (xShape, wShape) = ([2, 4, 7, 6], [6, 2, 3, 3])
        var rng = SeededRandom(seed: 42)
        let x = rng.uniform(xShape.reduce(1, *)), w = rng.uniform(wShape.reduce(1, *)), b = rng.uniform(6)
        let g = try ConvGeometry("test", input: xShape, weight: wShape, params: params)
        #expect(g.outputShape == [2, 6, 3, 2])
        // L = Σ y·r for a fixed random r, so ∂L/∂y = r.
        let r = rng.uniform(g.outputShape.reduce(1, *))
        let dy = try backend.upload(r, shape: g.outputShape)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(Self.convDouble(g, x: x, w: w, b: b), r).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
        // L is linear in each argument, so central differences carry only Double rounding
        // (~1e-14 with a step of 1e-2). The reference sums in Float32 at most a few dozen terms
        // of magnitude ≤ 1, a few ulp (~1e-7) of error: atol 1e-5 + rtol 1e-5 leaves margin
        // while a wrong tap (an error of order 0.1–1) cannot pass.
        let h = 1e-2
        func numeric(_ count: Int, _ perturbed: (Int, Double) -> Double) -> [Double] {
            (0..<count).map { i in (perturbed(i, h) - perturbed(i, -h)) / (2 * h) }
        }
        let dxNumeric = numeric(xd.count) { i, step in
            var v = xd; v[i] += step; return loss(v, wd, bd)
        }
        let dwNumeric = numeric(wd.count) { i, step in
            var v = wd; v[i] += step; return loss(xd, v, bd)
        }
        let dbNumeric = numeric(bd.count) { i, step in
            var v = bd; v[i] += step; return loss(xd, wd, v)
        }

        let xt = try backend.upload(x, shape: xShape), wt = try backend.upload(w, shape: wShape)
        let dx = try backend.download(backend.conv2dBackwardInput(dy, weight: wt, inputShape: xShape, params: params))
        let dw = try backend.download(backend.conv2dBackwardWeight(dy, input: xt, weightShape: wShape, params: params))
        let db = try backend.download(backend.conv2dBackwardBias(dy))
        assertClose(dx.map(Double.init), dxNumeric, atol: 1e-5, rtol: 1e-5, "dx")
        assertClose(dw.map(Double.init), dwNumeric, atol: 1e-5, rtol: 1e-5, "dw")
        assertClose(db.map(Double.init), dbNumeric, atol: 1e-5, rtol: 1e-5, "db")
        // Some input pixels are never read (stride 2 with dilation 2): their gradient is exactly 0.
        #expect(dx.contains(0) && dxNumeric.contains(0))
        // And the forward pass itself agrees with the Double formula.
        let y = try backend.download(backend.conv2d(xt, weight: wt, bias: backend.upload(b, shape: [6]), params: params))
        assertClose(y.map(Double.init), Self.convDouble(g, x: xd, w: wd, b: bd), atol: 1e-5, rtol: 1e-5, "y")
    }

    /// The forward formula in Double: y[n,o,i,j] = b[o] + Σ x[n, c, i·s − pad + p·d, j·s − pad + q·d]·w[o, cg, p, q].
    static func convDouble(_ g: ConvGeometry, x: [Double], w: [Double], b: [Double]) -> [Double] {
        let s = g.params
        var y = [Double](repeating: 0, count: g.outputShape.reduce(1, *))
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / g.outChannelsPerGroup
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        var sum = b[o]
                        for cg in 0..<g.inChannelsPerGroup {
                            let c = group * g.inChannelsPerGroup + cg
                            for p in 0..<g.kernelH {
                                for q in 0..<g.kernelW {
                                    let h = i * s.strideH - s.padH + p * s.dilationH, v = j * s.strideW - s.padW + q * s.dilationW
                                    guard h >= 0 && h < g.inHeight && v >= 0 && v < g.inWidth else { continue }
                                    sum +=
                                        x[((n * g.inChannels + c) * g.inHeight + h) * g.inWidth + v]
                                        * w[((o * g.inChannelsPerGroup + cg) * g.kernelH + p) * g.kernelW + q]
                                }
                            }
                        }
                        y[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j] = sum
                    }
                }
            }
        }
        return y
    }

    // MARK: Groups

    /// A 2-group convolution equals two independent convolutions on the channel halves, stacked.
    @Test func groupsEqualSeparateConvolutionsPerGroup() throws {
        let params = Conv2dParams(stride: 1, padding: 1, groups: 2)
        var rng = SeededRandom(seed: 7)
        let (n, cin, cout, hw) = (2, 6, 4, 5)
        let x = rng.uniform(n * cin * hw * hw), w = rng.uniform(cout * 3 * 9), dyValues = rng.uniform(n * cout * hw * hw)
        let grouped = try backend.conv2d(
            backend.upload(x, shape: [n, cin, hw, hw]), weight: backend.upload(w, shape: [cout, 3, 3, 3]),
            bias: nil, params: params)
        let dy = try backend.upload(dyValues, shape: [n, cout, hw, hw])
        let dx = try backend.download(
            backend.conv2dBackwardInput(
                dy, weight: backend.upload(w, shape: [cout, 3, 3, 3]),
                inputShape: [n, cin, hw, hw], params: params))
        let dw = try backend.download(
            backend.conv2dBackwardWeight(
                dy, input: backend.upload(x, shape: [n, cin, hw, hw]),
                weightShape: [cout, 3, 3, 3], params: params))
        let y = try backend.download(grouped)
        let plane = hw * hw
        /// Channels `range` of every image of an [N, C, H, W] array with `channels` channels.
        func slice(_ v: [Float], channels: Int, _ range: Range<Int>) -> [Float] {
            (0..<n).flatMap { image in v[(image * channels + range.lowerBound) * plane..<(image * channels + range.upperBound) * plane] }
        }
        let single = Conv2dParams(stride: 1, padding: 1)
        for group in 0..<2 {
            let xg = try backend.upload(slice(x, channels: cin, group * 3..<group * 3 + 3), shape: [n, 3, hw, hw])
            let wg = try backend.upload(Array(w[group * 2 * 27..<(group + 1) * 2 * 27]), shape: [2, 3, 3, 3])
            let dyg = try backend.upload(slice(dyValues, channels: cout, group * 2..<group * 2 + 2), shape: [n, 2, hw, hw])
            // Same taps in the same order, so equality is exact.
            assertClose(
                try backend.download(backend.conv2d(xg, weight: wg, bias: nil, params: single)),
                slice(y, channels: cout, group * 2..<group * 2 + 2), "y of group \(group)")
            assertClose(
                try backend.download(backend.conv2dBackwardInput(dyg, weight: wg, inputShape: [n, 3, hw, hw], params: single)),
                slice(dx, channels: cin, group * 3..<group * 3 + 3), "dx of group \(group)")
            assertClose(
                try backend.download(backend.conv2dBackwardWeight(dyg, input: xg, weightShape: [2, 3, 3, 3], params: single)),
                Array(dw[group * 54..<(group + 1) * 54]), "dw of group \(group)")
        }
    }

    // MARK: Errors

    @Test func badShapesThrow() throws {
        let x = try backend.zeros([1, 4, 5, 5])
        func conv(_ w: [Int], _ params: Conv2dParams = Conv2dParams(), bias: [Int]? = nil, input: Tensor? = nil) throws {
            _ = try backend.conv2d(input ?? x, weight: backend.zeros(w), bias: bias.map { try backend.zeros($0) }, params: params)
        }
        try conv([2, 4, 3, 3])  // valid
        // Wrong channel count: the weight expects 3 input channels, x has 4.
        #expect(throws: TensorError.self) { try conv([2, 3, 3, 3]) }
        // Groups not dividing the channels (4 input channels, 3 groups; 3 outputs, 2 groups).
        #expect(throws: TensorError.self) { try conv([3, 1, 3, 3], Conv2dParams(groups: 3)) }
        #expect(throws: TensorError.self) { try conv([3, 2, 3, 3], Conv2dParams(groups: 2)) }
        // Kernel larger than the padded input: 7 > 5; 3×3 dilated 3 spans 7 > 5 + 2·0.
        #expect(throws: TensorError.self) { try conv([2, 4, 7, 7]) }
        #expect(throws: TensorError.self) { try conv([2, 4, 3, 3], Conv2dParams(dilation: 3)) }
        try conv([2, 4, 7, 7], Conv2dParams(padding: 1))  // fits once padded
        // Bad parameters, ranks and bias.
        #expect(throws: TensorError.self) { try conv([2, 4, 3, 3], Conv2dParams(stride: 0)) }
        #expect(throws: TensorError.self) { try conv([2, 4, 3, 3], Conv2dParams(padding: -1)) }
        #expect(throws: TensorError.self) { try conv([2, 4, 3]) }
        #expect(throws: TensorError.self) { try conv([2, 4, 3, 3], input: backend.zeros([4, 5, 5])) }
        #expect(throws: TensorError.self) { try conv([2, 4, 3, 3], bias: [3]) }
        // Backward passes: dy must have the forward output shape [1, 2, 3, 3].
        let w = try backend.zeros([2, 4, 3, 3])
        #expect(throws: TensorError.self) {
            try backend.conv2dBackwardInput(backend.zeros([1, 2, 3, 4]), weight: w, inputShape: [1, 4, 5, 5], params: Conv2dParams())
        }
        #expect(throws: TensorError.self) {
            try backend.conv2dBackwardInput(backend.zeros([1, 2, 3, 3]), weight: w, inputShape: [1, 3, 5, 5], params: Conv2dParams())
        }
        #expect(throws: TensorError.self) {
            try backend.conv2dBackwardWeight(backend.zeros([1, 3, 3, 3]), input: x, weightShape: [2, 4, 3, 3], params: Conv2dParams())
        }
        #expect(throws: TensorError.self) {
            try backend.conv2dBackwardWeight(
                backend.zeros([1, 2, 3, 3]), input: x, weightShape: [2, 4, 3, 3], params: Conv2dParams(groups: 2))
        }
        #expect(throws: TensorError.self) { try backend.conv2dBackwardBias(backend.zeros([2, 3])) }
        _ = try backend.conv2dBackwardInput(backend.zeros([1, 2, 3, 3]), weight: w, inputShape: [1, 4, 5, 5], params: Conv2dParams())
    }

    @Test func errorMessagesNameTheOperation() throws {
        let x = try backend.zeros([1, 4, 5, 5])
        do {
            _ = try backend.conv2d(x, weight: backend.zeros([3, 2, 3, 3]), bias: nil, params: Conv2dParams(groups: 3))
            Issue.record("groups not dividing the channels did not throw")
        } catch let error as TensorError {
            #expect(error.description.hasPrefix("conv2d: groups 3 must divide"))
        }
        do {
            _ = try backend.conv2dBackwardWeight(backend.zeros([1, 2, 3, 3]), input: x, weightShape: [2, 4, 9, 9], params: Conv2dParams())
            Issue.record("a kernel larger than the input did not throw")
        } catch let error as TensorError {
            #expect(error.description.hasPrefix("conv2dBackwardWeight: kernel 9x9"))
        }
    }
}
