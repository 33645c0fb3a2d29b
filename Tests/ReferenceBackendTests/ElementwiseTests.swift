import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Central differences of `f` at `point`, one coordinate at a time, in Double.
private func numericGradient(_ point: [Double], step h: Double = 1e-3, _ f: ([Double]) -> Double) -> [Double] {
    point.indices.map { i in
        var plus = point, minus = point
        plus[i] += h
        minus[i] -= h
        return (f(plus) - f(minus)) / (2 * h)
    }
}

@Suite("Reference elementwise operations")
struct ElementwiseTests {
    let backend = ReferenceBackend()

    @Test func reluAndBackwardHandValues() throws {
        let x = try backend.upload([-2, -0.5, 0, 0.5, 3, .nan], shape: [2, 3])
        let y = try backend.download(try backend.relu(x))
        #expect(Array(y.prefix(5)) == [0, 0, 0, 0.5, 3])
        #expect(y[5].isNaN, "relu propagates NaN")
        let dy = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
        // Gradient flows only where x > 0 (not at 0, not through NaN).
        #expect(try backend.download(try backend.reluBackward(dy, input: x)) == [0, 0, 0, 4, 5, 0])
        // No 0·∞ = NaN where the gradient is blocked.
        let inf = try backend.upload([.infinity, .infinity], shape: [2])
        #expect(try backend.download(try backend.reluBackward(inf, input: try backend.upload([-1, 1], shape: [2]))) == [0, .infinity])
    }

    @Test func arithmeticHandValues() throws {
        let a = try backend.upload([1, -2, 3.5, 0], shape: [2, 2]), b = try backend.upload([4, 5, -2, 7], shape: [2, 2])
        #expect(try backend.download(try backend.add(a, b)) == [5, 3, 1.5, 7])
        #expect(try backend.download(try backend.multiply(a, b)) == [4, -10, -7, 0])
        #expect(try backend.download(try backend.scale(a, by: -0.5)) == [-0.5, 1, -1.75, 0])
        #expect(try backend.add(a, b).shape == [2, 2])
    }

    @Test func axpyUpdatesOnlyY() throws {
        let x = try backend.upload([1, 2, 3], shape: [3]), y = try backend.upload([10, 20, 30], shape: [3])
        try backend.axpy(-2, x, into: y)
        #expect(try backend.download(y) == [8, 16, 24])
        #expect(try backend.download(x) == [1, 2, 3])
        try backend.axpy(0.5, x, into: y)
        #expect(try backend.download(y) == [8.5, 17, 25.5])
    }

    @Test func channelMaskScalesEachChannelOfRankTwoThreeAndFour() throws {
        let mask = try backend.upload([2, 0, -1], shape: [3])
        // [N, F] = [2, 3]: the mask runs along the row.
        let x2 = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(try backend.download(try backend.channelMask(x2, mask: mask)) == [2, 0, -3, 8, 0, -6])
        // [N, C, L] = [1, 3, 2].
        let x3 = try backend.upload([1, 2, 3, 4, 5, 6], shape: [1, 3, 2])
        #expect(try backend.download(try backend.channelMask(x3, mask: mask)) == [2, 4, 0, 0, -5, -6])
        // [N, C, H, W] = [2, 3, 1, 2].
        let x4 = try backend.upload((1...12).map(Float.init), shape: [2, 3, 1, 2])
        #expect(try backend.download(try backend.channelMask(x4, mask: mask)) == [2, 4, 0, 0, -5, -6, 14, 16, 0, 0, -11, -12])
    }

    @Test func scaleByElementUsesTheIndexedElement() throws {
        let s = try backend.upload([3, -0.5, 7, 2], shape: [2, 2])
        let x = try backend.upload([2, 4, -6], shape: [3])
        #expect(try backend.download(try backend.scaleByElement(x, s, index: 1)) == [-1, -2, 3])
        #expect(try backend.download(try backend.scaleByElement(x, s, index: 3)) == [4, 8, -12])
    }

    /// dx and dmask against central differences of L = Σ dy·(x·mask[c]) in Double.
    @Test func channelMaskBackwardMatchesFiniteDifferences() throws {
        let shape = [2, 3, 2, 2]
        var rng = SeededRandom(seed: 5)
        let x = rng.uniform(24), dy = rng.uniform(24), mask = rng.uniform(3, in: 0...1)
        let grads = try backend.channelMaskBackward(
            try backend.upload(dy, shape: shape), input: try backend.upload(x, shape: shape),
            mask: try backend.upload(mask, shape: [3]))
        let dyd = dy.map(Double.init)
        func loss(_ x: [Double], _ m: [Double]) -> Double {
            var total = 0.0
            for i in 0..<24 { total += dyd[i] * x[i] * m[(i / 4) % 3] }  // channel of flat i in [2, 3, 2·2]
            return total
        }
        let (xd, md) = (x.map(Double.init), mask.map(Double.init))
        assertClose(try backend.download(grads.input).map(Double.init), numericGradient(xd) { loss($0, md) }, atol: 1e-6, rtol: 1e-6, "dx")
        assertClose(
            try backend.download(grads.mask).map(Double.init), numericGradient(md) { loss(xd, $0) }, atol: 1e-6, rtol: 1e-6, "dmask")
    }

    /// dx and ds against central differences of L = Σ dy·x·s[index] in Double.
    @Test func scaleByElementBackwardMatchesFiniteDifferences() throws {
        var rng = SeededRandom(seed: 6)
        let x = rng.uniform(15), dy = rng.uniform(15), s = rng.uniform(4)
        let index = 2
        let grads = try backend.scaleByElementBackward(
            try backend.upload(dy, shape: [3, 5]), input: try backend.upload(x, shape: [3, 5]),
            try backend.upload(s, shape: [4]), index: index)
        #expect(grads.scale.shape == [1])
        let dyd = dy.map(Double.init)
        func loss(_ x: [Double], _ s: [Double]) -> Double { zip(dyd, x).reduce(0) { $0 + $1.0 * $1.1 * s[index] } }
        let (xd, sd) = (x.map(Double.init), s.map(Double.init))
        assertClose(try backend.download(grads.input).map(Double.init), numericGradient(xd) { loss($0, sd) }, atol: 1e-6, rtol: 1e-6, "dx")
        let ds = numericGradient(sd) { loss(xd, $0) }
        assertClose(try backend.download(grads.scale).map(Double.init), [ds[index]], atol: 1e-6, rtol: 1e-6, "ds")
    }

    @Test func badShapesAndIndicesThrow() throws {
        let a = try backend.zeros([2, 3]), b = try backend.zeros([3, 2]), flat = try backend.zeros([6])
        #expect(throws: TensorError.shape("add: a [2, 3] and b [3, 2] must have the same shape")) { try backend.add(a, b) }
        #expect(throws: TensorError.self) { try backend.multiply(a, flat) }
        #expect(throws: TensorError.self) { try backend.reluBackward(a, input: b) }
        #expect(throws: TensorError.self) { try backend.axpy(1, a, into: b) }
        #expect(throws: TensorError.self) { try backend.channelMask(a, mask: try backend.zeros([2])) }
        #expect(throws: TensorError.self) { try backend.channelMask(flat, mask: try backend.zeros([6])) }
        #expect(throws: TensorError.self) { try backend.channelMask(a, mask: try backend.zeros([1, 3])) }
        #expect(throws: TensorError.self) { try backend.channelMaskBackward(b, input: a, mask: try backend.zeros([3])) }
        #expect(throws: TensorError.self) { try backend.channelMaskBackward(a, input: a, mask: try backend.zeros([2])) }
        let s = try backend.zeros([4])
        #expect(throws: TensorError.self) { try backend.scaleByElement(a, s, index: 4) }
        #expect(throws: TensorError.self) { try backend.scaleByElement(a, s, index: -1) }
        #expect(throws: TensorError.self) { try backend.scaleByElementBackward(a, input: a, s, index: 4) }
        #expect(throws: TensorError.self) { try backend.scaleByElementBackward(a, input: b, s, index: 0) }
    }
}
