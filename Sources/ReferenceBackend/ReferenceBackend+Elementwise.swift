import TensorCore

// Elementwise operations, channel masks and scalar-element scaling. Every tensor is treated
// as its flat row-major values; the channel mask views `x: [N, C, …]` as `[N, C, rest]`.
extension ReferenceBackend {
    /// `y = max(x, 0)`, written `x < 0 ? 0 : x` so a NaN input stays NaN.
    public func relu(_ x: Tensor) throws -> Tensor {
        let xs = values(x)  // x: any shape
        var y = [Float](repeating: 0, count: x.count)  // y: x's shape
        for i in 0..<x.count { y[i] = xs[i] < 0 ? 0 : xs[i] }
        return make(x.shape, y)
    }

    /// `dx = dy · [x > 0]`, written `x > 0 ? dy : 0` (no 0·∞ = NaN where x ≤ 0).
    public func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("reluBackward", "dy", dy.shape, "x", x.shape)
        let dys = values(dy), xs = values(x)  // dy, x: same shape
        var dx = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count { dx[i] = xs[i] > 0 ? dys[i] : 0 }
        return make(x.shape, dx)
    }

    /// `y = a + b`.
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("add", "a", a.shape, "b", b.shape)
        let av = values(a), bv = values(b)  // a, b: same shape
        var y = [Float](repeating: 0, count: a.count)
        for i in 0..<a.count { y[i] = av[i] + bv[i] }
        return make(a.shape, y)
    }

    /// `y = a · b`.
    public func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("multiply", "a", a.shape, "b", b.shape)
        let av = values(a), bv = values(b)  // a, b: same shape
        var y = [Float](repeating: 0, count: a.count)
        for i in 0..<a.count { y[i] = av[i] * bv[i] }
        return make(a.shape, y)
    }

    /// `y = s · x`.
    public func scale(_ x: Tensor, by s: Float) throws -> Tensor {
        let xs = values(x)  // x: any shape
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count { y[i] = s * xs[i] }
        return make(x.shape, y)
    }

    /// `y ← y + α·x`, in place on `y`.
    public func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) throws {
        try ElementwiseShapes.same("axpy", "x", x.shape, "y", y.shape)
        let xs = values(x)  // x, y: same shape
        var ys = values(y)
        for i in 0..<x.count { ys[i] = ys[i] + alpha * xs[i] }
        storage(y).values = ys
    }

    /// `y[n, c, r] = x[n, c, r] · mask[c]`.
    public func channelMask(_ x: Tensor, mask: Tensor) throws -> Tensor {
        let layout = try ElementwiseShapes.channelMask("channelMask", x: x.shape, mask: mask.shape)
        let xs = values(x), m = values(mask)  // x: [N, C, rest], mask: [C]
        var y = [Float](repeating: 0, count: x.count)  // y: [N, C, rest]
        for n in 0..<layout.batch {
            for c in 0..<layout.channels {
                for r in 0..<layout.spatial {
                    let i = layout.index(batch: n, channel: c, spatial: r)
                    y[i] = xs[i] * m[c]
                }
            }
        }
        return make(x.shape, y)
    }

    /// `dx[n, c, r] = dy[n, c, r] · mask[c]`, `dmask[c] = Σ_{n, r} dy[n, c, r] · x[n, c, r]`
    /// (summed in Double).
    public func channelMaskBackward(_ dy: Tensor, input x: Tensor, mask: Tensor) throws -> (input: Tensor, mask: Tensor) {
        let layout = try ElementwiseShapes.channelMaskBackward(dy: dy.shape, x: x.shape, mask: mask.shape)
        let dys = values(dy), xs = values(x), m = values(mask)  // dy, x: [N, C, rest], mask: [C]
        var dx = [Float](repeating: 0, count: x.count)  // dx: [N, C, rest]
        var dMask = [Float](repeating: 0, count: layout.channels)  // dmask: [C]
        for c in 0..<layout.channels {
            var sum = 0.0
            for n in 0..<layout.batch {
                for r in 0..<layout.spatial {
                    let i = layout.index(batch: n, channel: c, spatial: r)
                    dx[i] = dys[i] * m[c]
                    sum += Double(dys[i]) * Double(xs[i])
                }
            }
            dMask[c] = Float(sum)
        }
        return (make(x.shape, dx), make(mask.shape, dMask))
    }

    /// `y = x · s[index]` (`index` counts row-major over all of `s`).
    public func scaleByElement(_ x: Tensor, _ s: Tensor, index: Int) throws -> Tensor {
        try ElementwiseShapes.scaleIndex("scaleByElement", s: s.shape, index: index)
        let xs = values(x)  // x: any shape
        let factor = values(s)[index]  // s: any shape, one element used
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count { y[i] = xs[i] * factor }
        return make(x.shape, y)
    }

    /// `dx = dy · s[index]`, `ds = Σ dy·x` (summed in Double) as a `[1]` tensor.
    public func scaleByElementBackward(_ dy: Tensor, input x: Tensor, _ s: Tensor, index: Int) throws -> (input: Tensor, scale: Tensor) {
        try ElementwiseShapes.same("scaleByElementBackward", "dy", dy.shape, "x", x.shape)
        try ElementwiseShapes.scaleIndex("scaleByElementBackward", s: s.shape, index: index)
        let dys = values(dy), xs = values(x)  // dy, x: same shape
        let factor = values(s)[index]
        var dx = [Float](repeating: 0, count: x.count)
        var sum = 0.0
        for i in 0..<x.count {
            dx[i] = dys[i] * factor
            sum += Double(dys[i]) * Double(xs[i])
        }
        return (make(x.shape, dx), make([1], [Float(sum)]))
    }
}
