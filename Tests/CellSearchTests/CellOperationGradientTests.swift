import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing

/// The tape's cell operations against central differences of `L = Σ c·f(x)` (c fixed, random).
/// These operations are linear in each input, so the quotient is exact up to Float rounding of L
/// (≈ 1e-6 here) over 2h: tolerance 1e-3.
@Suite struct CellOperationGradientTests {
    let backend = ReferenceBackend()

    /// Checks every input's gradient of `f` at `inputs`.
    func check(_ name: String, _ inputs: [[Float]], shapes: [[Int]], _ f: (Tape, [Variable]) throws -> Variable) throws {
        let tape = Tape(backend: backend, training: true)
        let variables = try zip(inputs, shapes).map {
            Variable(try backend.upload($0, shape: $1), requiresGradient: true, retainsGradient: true)
        }
        let y = try f(tape, variables)
        var rng = SeededRandom(seed: 77)
        let c = rng.normal(y.value.count)
        try tape.backward(from: y, seed: try backend.upload(c, shape: y.shape))
        func loss(_ values: [[Float]]) throws -> Double {
            let t = Tape(backend: backend, training: false)
            let vs = try zip(values, shapes).map { t.constant(try backend.upload($0, shape: $1)) }
            return zip(try backend.download(f(t, vs).value), c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (k, variable) in variables.enumerated() {
            let analytic = try backend.download(try #require(tape.gradient(of: variable), "\(name): no gradient for input \(k)"))
            for i in stride(from: 0, to: inputs[k].count, by: max(1, inputs[k].count / 13)) {
                var plus = inputs, minus = inputs
                plus[k][i] += 0.25; minus[k][i] -= 0.25
                let numeric = (try loss(plus) - loss(minus)) / 0.5
                #expect(abs(numeric - Double(analytic[i])) < 1e-3, "\(name): ∂L/∂x\(k)[\(i)] analytic \(analytic[i]) numeric \(numeric)")
            }
        }
    }

    func values(_ n: Int, _ seed: UInt64) -> [Float] { var r = SeededRandom(seed: seed); return r.normal(n) }

    @Test func concatAndSlice() throws {
        try check("concat", [values(2 * 3 * 5, 1), values(2 * 1 * 5, 2)], shapes: [[2, 3, 5], [2, 1, 5]]) { t, v in try t.concatChannels(v)
        }
        try check("slice", [values(2 * 7 * 3, 3)], shapes: [[2, 7, 3]]) { t, v in try t.sliceChannels(v[0], from: 2, count: 4) }
    }

    @Test func channelShuffleIsAPermutationWithItsInverse() throws {
        let x = (0..<(2 * 12 * 3)).map(Float.init)
        let t = Tape(backend: backend, training: false)
        let shuffled = try t.channelShuffle(t.constant(try backend.upload(x, shape: [2, 12, 3])), groups: 4)
        let y = try backend.download(shuffled.value)
        #expect(y.sorted() == x, "not a permutation")
        #expect(y != x)
        // y[n, j·4 + i] = x[n, i·3 + j]: channel 1 of y is channel 3 of x.
        #expect(Array(y[3..<6]) == Array(x[9..<12]))
        let back = try backend.download(t.channelShuffle(shuffled, groups: 3).value)
        #expect(back == x)
        try check("shuffle", [values(2 * 12 * 3, 4)], shapes: [[2, 12, 3]]) { t, v in try t.channelShuffle(v[0], groups: 4) }
    }

    @Test func weightedSumReachesEveryInputAndWeight() throws {
        let shape = [2, 3, 4]
        try check("weighted sum", [values(24, 5), values(24, 6), values(24, 7), values(3, 8)], shapes: [shape, shape, shape, [3]]) { t, v in
            try t.weightedSum(Array(v[0..<3]), weights: v[3])
        }
    }

    @Test func cropAndScaleByElement() throws {
        try check("crop", [values(2 * 2 * 6 * 6, 9)], shapes: [[2, 2, 6, 6]]) { t, v in
            try t.cropSpatial(v[0], top: 1, left: 1, height: 5, width: 5)
        }
        try check("scale by element", [values(30, 10), values(4, 11)], shapes: [[2, 15], [4]]) { t, v in
            try t.scaleByElement(v[0], v[1], index: 2)
        }
    }

    /// GDAS' hard select: exact for the operation output and the selected weight; the unsampled
    /// weights (value 0 in the forward, so invisible to differences) get `Σ dy` by design.
    @Test func hardSelectGradients() throws {
        let o = values(30, 12), q: [Float] = [0, 1, 0, 0]
        let tape = Tape(backend: backend, training: true)
        let ov = Variable(try backend.upload(o, shape: [2, 15]), requiresGradient: true, retainsGradient: true)
        let qv = Variable(try backend.upload(q, shape: [4]), requiresGradient: true, retainsGradient: true)
        let y = try tape.hardSelect(ov, weights: qv, index: 1)
        #expect(try backend.download(y.value) == o)
        let c = values(30, 13)
        try tape.backward(from: y, seed: try backend.upload(c, shape: [2, 15]))
        #expect(try backend.download(try #require(tape.gradient(of: ov))) == c)
        let dq = try backend.download(try #require(tape.gradient(of: qv)))
        let dot = zip(o, c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, total = c.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(dq[1]) - dot) < 1e-4)
        for k in [0, 2, 3] { #expect(abs(Double(dq[k]) - total) < 1e-4) }
    }
}
