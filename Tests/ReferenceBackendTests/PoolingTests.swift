import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference pooling operations: hand-computed values, the tie and padding rules, gradients
/// against central differences of a Double forward pass, and shape errors.
@Suite("Reference pooling")
struct PoolingTests {
    let backend = SharedBackends.reference

    // MARK: Hand-computed values

    @Test func maxPoolPicksWindowMaximaAndRoutesGradient() throws {
        let x = try backend.upload((1...16).map(Float.init), shape: [1, 1, 4, 4])
        let params = Pool2dParams(kernel: 2, stride: 2)
        let y = try backend.maxPool2d(x, params: params)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(try backend.download(y) == [6, 8, 14, 16])
        let dy = try backend.upload([1, 2, 3, 4], shape: [1, 1, 2, 2])
        let dx = try backend.download(backend.maxPool2dBackward(dy, input: x, params: params))
        var expected = [Float](repeating: 0, count: 16)
        expected[5] = 1; expected[7] = 2; expected[13] = 3; expected[15] = 4
        #expect(dx == expected)
    }

    @Test func maxPoolTiesGoToFirstElementAndPaddingNeverWins() throws {
        // A constant −1 image: the zero padding must not win, and every window's gradient goes
        // to its first real element in row-major window order, which is (0, 0) for all four.
        let x = try backend.upload([-1, -1, -1, -1], shape: [1, 1, 2, 2])
        let params = Pool2dParams(kernel: 3, stride: 1, padding: 1)
        #expect(try backend.download(backend.maxPool2d(x, params: params)) == [-1, -1, -1, -1])
        let dy = try backend.upload([1, 2, 3, 4], shape: [1, 1, 2, 2])
        #expect(try backend.download(backend.maxPool2dBackward(dy, input: x, params: params)) == [10, 0, 0, 0])
        // A tie inside one window: the earlier (row-major) of the two 5s receives the gradient.
        let t = try backend.upload([1, 5, 5, 2], shape: [1, 1, 2, 2])
        let whole = Pool2dParams(kernel: 2, stride: 2)
        #expect(try backend.download(backend.maxPool2d(t, params: whole)) == [5])
        let g = try backend.upload([7], shape: [1, 1, 1, 1])
        #expect(try backend.download(backend.maxPool2dBackward(g, input: t, params: whole)) == [0, 7, 0, 0])
    }

    @Test func avgPoolDivisorWithAndWithoutPadding() throws {
        let x = try backend.upload((1...9).map(Float.init), shape: [1, 1, 3, 3])
        let params = Pool2dParams(kernel: 3, stride: 1, padding: 1)
        // Window sums of the 3x3 image 1...9 with one pixel of zero padding.
        let sums: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        let real: [Float] = [4, 6, 4, 6, 9, 6, 4, 6, 4]
        let included = try backend.download(backend.avgPool2d(x, params: params, countIncludePad: true))
        #expect(included == sums.map { $0 / 9 })
        let excluded = try backend.download(backend.avgPool2d(x, params: params, countIncludePad: false))
        #expect(excluded == [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7])
        #expect(excluded == zip(sums, real).map { $0 / $1 })
        // Backward of ones without padding in the divisor: the corner (0, 0) lies in windows
        // (0,0), (0,1), (1,0), (1,1) holding 4, 6, 6 and 9 real elements.
        let ones = try backend.upload([Float](repeating: 1, count: 9), shape: [1, 1, 3, 3])
        let dx = try backend.download(backend.avgPool2dBackward(ones, inputShape: [1, 1, 3, 3], params: params, countIncludePad: false))
        let corner: Float = 1.0 / 4 + 1.0 / 6 + 1.0 / 6 + 1.0 / 9
        let center: Float = 4 * (1.0 / 4) + 4 * (1.0 / 6) + 1.0 / 9
        assertClose([dx[0], dx[4]], [corner, center], rtol: 1e-6, "avg pool backward")
        let dxIncluded = try backend.download(
            backend.avgPool2dBackward(ones, inputShape: [1, 1, 3, 3], params: params, countIncludePad: true))
        assertClose([dxIncluded[0], dxIncluded[1], dxIncluded[4]], [4.0 / 9, 6.0 / 9, 1], rtol: 1e-6, "avg pool backward, pad counted")
    }

    @Test func globalAvgPoolHandValues() throws {
        let x = try backend.upload([1, 2, 3, 4, 10, 20, 30, 40], shape: [1, 2, 2, 2])
        let y = try backend.globalAvgPool(x)
        #expect(y.shape == [1, 2])
        #expect(try backend.download(y) == [2.5, 25])
        let dy = try backend.upload([4, -8], shape: [1, 2])
        #expect(try backend.download(backend.globalAvgPoolBackward(dy, inputShape: [1, 2, 2, 2])) == [1, 1, 1, 1, -2, -2, -2, -2])
    }

    // MARK: Gradients against central differences in Double

    static let gradientWindows: [Pool2dParams] = [
        Pool2dParams(kernel: 3, stride: 1, padding: 1),
        Pool2dParams(kernel: 3, stride: 2, padding: 1),
        Pool2dParams(kernel: 2, stride: 2),
        Pool2dParams(kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padH: 1, padW: 0),
    ]

    @Test(arguments: gradientWindows) func avgPoolGradientMatchesFiniteDifferences(_ params: Pool2dParams) throws {
        let shape = [2, 2, 5, 6]
        for countIncludePad in [true, false] {
            var rng = SeededRandom(seed: 41)
            let xs = rng.uniform(shape.reduce(1, *))
            let outShape = try params.outputShape(input: shape)
            let w = rng.uniform(outShape.reduce(1, *))
            let forward: ([Double]) -> [Double] = { Self.pool($0, shape, params, mode: countIncludePad ? .averageIncludingPad : .average) }
            let y = try backend.download(
                backend.avgPool2d(backend.upload(xs, shape: shape), params: params, countIncludePad: countIncludePad))
            assertClose(y.map(Double.init), forward(xs.map(Double.init)), atol: 1e-6, rtol: 1e-6, "avg forward \(params)")
            let dx = try backend.download(
                backend.avgPool2dBackward(
                    backend.upload(w, shape: outShape), inputShape: shape,
                    params: params, countIncludePad: countIncludePad))
            let numeric = Self.numericGradient(of: forward, at: xs.map(Double.init), weights: w.map(Double.init), step: 1e-3)
            assertClose(dx.map(Double.init), numeric, atol: 1e-5, rtol: 1e-5, "avg gradient \(params) includePad \(countIncludePad)")
        }
    }

    @Test(arguments: gradientWindows) func maxPoolGradientMatchesFiniteDifferences(_ params: Pool2dParams) throws {
        let shape = [2, 2, 5, 6]
        let count = shape.reduce(1, *)
        // Distinct values 0.1 apart (a seeded shuffle), so a step of 1e-3 never changes a winner.
        var rng = SeededRandom(seed: 42)
        let xs = (0..<count).map { Float($0) * 0.1 - 5 }.shuffled(using: &rng)
        let outShape = try params.outputShape(input: shape)
        let w = rng.uniform(outShape.reduce(1, *))
        let forward: ([Double]) -> [Double] = { Self.pool($0, shape, params, mode: .maximum) }
        let y = try backend.download(backend.maxPool2d(backend.upload(xs, shape: shape), params: params))
        assertClose(y.map(Double.init), forward(xs.map(Double.init)), atol: 0, rtol: 0, "max forward \(params)")
        let dx = try backend.download(
            backend.maxPool2dBackward(
                backend.upload(w, shape: outShape),
                input: backend.upload(xs, shape: shape), params: params))
        let numeric = Self.numericGradient(of: forward, at: xs.map(Double.init), weights: w.map(Double.init), step: 1e-3)
        assertClose(dx.map(Double.init), numeric, atol: 1e-6, rtol: 1e-6, "max gradient \(params)")
    }

    @Test func globalAvgPoolGradientMatchesFiniteDifferences() throws {
        let shape = [2, 3, 4, 5]
        var rng = SeededRandom(seed: 43)
        let xs = rng.uniform(shape.reduce(1, *))
        let w = rng.uniform(6)
        let forward: ([Double]) -> [Double] = { x in
            (0..<6).map { plane in x[(plane * 20)..<(plane * 20 + 20)].reduce(0, +) / 20 }
        }
        let y = try backend.download(backend.globalAvgPool(backend.upload(xs, shape: shape)))
        assertClose(y.map(Double.init), forward(xs.map(Double.init)), atol: 1e-7, rtol: 1e-6, "global forward")
        let dx = try backend.download(backend.globalAvgPoolBackward(backend.upload(w, shape: [2, 3]), inputShape: shape))
        let numeric = Self.numericGradient(of: forward, at: xs.map(Double.init), weights: w.map(Double.init), step: 1e-3)
        assertClose(dx.map(Double.init), numeric, atol: 1e-6, rtol: 1e-5, "global gradient")
    }

    // MARK: Errors

    @Test func badShapesThrow() throws {
        let x3 = try backend.zeros([1, 4, 4])
        let x = try backend.zeros([1, 1, 4, 4])
        let params = Pool2dParams(kernel: 2, stride: 2)
        #expect(throws: TensorError.self) { try backend.maxPool2d(x3, params: params) }
        #expect(throws: TensorError.self) { try backend.avgPool2d(x3, params: params, countIncludePad: true) }
        // Padding over half the window, a window larger than the padded image, a zero stride.
        #expect(throws: TensorError.self) { try backend.maxPool2d(x, params: Pool2dParams(kernel: 3, stride: 1, padding: 2)) }
        #expect(throws: TensorError.self) {
            try backend.avgPool2d(x, params: Pool2dParams(kernel: 7, stride: 1, padding: 1), countIncludePad: false)
        }
        #expect(throws: TensorError.self) { try backend.maxPool2d(x, params: Pool2dParams(kernel: 2, stride: 0)) }
        // dy not of the forward output shape.
        let wrong = try backend.zeros([1, 1, 3, 3])
        #expect(throws: TensorError.self) { try backend.maxPool2dBackward(wrong, input: x, params: params) }
        #expect(throws: TensorError.self) {
            try backend.avgPool2dBackward(wrong, inputShape: [1, 1, 4, 4], params: params, countIncludePad: true)
        }
        #expect(throws: TensorError.self) { try backend.globalAvgPool(backend.zeros([2, 3])) }
        #expect(throws: TensorError.self) { try backend.globalAvgPoolBackward(backend.zeros([1, 2]), inputShape: [1, 1, 4, 4]) }
        // The message names the operation that was called.
        do {
            _ = try backend.maxPool2d(x, params: Pool2dParams(kernel: 3, stride: 1, padding: 2))
        } catch let error as TensorError {
            #expect(error.description.hasPrefix("maxPool2d: "), "\(error)")
        }
    }

    // MARK: Double helpers

    enum Mode { case maximum, average, averageIncludingPad }

    /// Windowed max or mean of `x: [N, C, H, W]` in Double, written independently of the backend.
    static func pool(_ x: [Double], _ shape: [Int], _ p: Pool2dParams, mode: Mode) -> [Double] {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let oh = (h + 2 * p.padH - p.kernelH) / p.strideH + 1, ow = (w + 2 * p.padW - p.kernelW) / p.strideW + 1
        var y: [Double] = []
        for plane in 0..<planes {
            for i in 0..<oh {
                for j in 0..<ow {
                    var window: [Double] = []
                    for r in (i * p.strideH - p.padH)..<(i * p.strideH - p.padH + p.kernelH) where r >= 0 && r < h {
                        for c in (j * p.strideW - p.padW)..<(j * p.strideW - p.padW + p.kernelW) where c >= 0 && c < w {
                            window.append(x[(plane * h + r) * w + c])
                        }
                    }
                    switch mode {
                    case .maximum: y.append(window.max()!)
                    case .average: y.append(window.reduce(0, +) / Double(window.count))
                    case .averageIncludingPad: y.append(window.reduce(0, +) / Double(p.kernelH * p.kernelW))
                    }
                }
            }
        }
        return y
    }

    /// `∂(Σ_k weights[k]·f(x)[k]) / ∂x` by central differences.
    static func numericGradient(of f: ([Double]) -> [Double], at x: [Double], weights: [Double], step: Double) -> [Double] {
        func objective(_ x: [Double]) -> Double { zip(f(x), weights).map(*).reduce(0, +) }
        return x.indices.map { i in
            var plus = x, minus = x
            plus[i] += step
            minus[i] -= step
            return (objective(plus) - objective(minus)) / (2 * step)
        }
    }
}
