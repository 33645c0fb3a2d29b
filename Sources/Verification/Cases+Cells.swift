import Foundation
import ReferenceBackend
import TensorCore

// The cell operations of the DARTS family: channel copies (concatenation, slices), channel
// shuffle, weighted sums and spatial crops; and the depthwise convolutions their operations use.
//
// Copies, shuffles and crops only move values: any wrong index shows as a wrong element, so they
// are `.exact` on integer inputs. The weighted sum is exact on integer inputs and weights too
// (sums of at most 8 products of magnitude ≤ 9, and dot products ≤ 9·n < 2²⁴); one real-valued
// case (softmax weights, normal inputs) checks it against the rounding bound of its sums.
extension VerificationSuite {
    /// `[N, C, H, W]` shapes: batch 1, one channel, 1×1 and odd planes, a DARTS-sized cell tensor.
    static let cellShapes: [[Int]] = [[1, 1, 1, 1], [1, 7, 5, 3], [3, 12, 7, 7], [2, 31, 1, 1], [4, 16, 16, 16]]

    private static func integers(_ backend: any Backend, _ rng: inout SeededRandom, _ shape: [Int]) throws -> Tensor {
        try backend.upload(rng.integers(shape.reduce(1, *)), shape: shape)
    }

    static func cellCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        func add(
            _ operation: String, _ shape: String, tolerance: Tolerance = .exact, quick: Bool = false,
            _ run: @escaping @Sendable (any Backend, inout SeededRandom) throws -> [NamedOutput]
        ) {
            let seed = UInt64(0xCE11 + cases.count)
            cases.append(
                VerifyCase(family: .cells, operation: operation, shape: shape, tolerance: tolerance, quick: quick) { backend in
                    var rng = SeededRandom(seed: seed)
                    return try run(backend, &rng)
                })
        }
        for shape in cellShapes {
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let quick = shape == [3, 12, 7, 7]
            // Concatenation of three parts of sizes c, 1 and c (into a NaN-filled tensor: every
            // element must be written), then a slice back out of the middle of it.
            add("concat channels", "3 parts of \(shape)", quick: quick) { b, rng in
                let parts = [try integers(b, &rng, shape), try integers(b, &rng, [n, 1, h, w]), try integers(b, &rng, shape)]
                let y = try b.upload([Float](repeating: .nan, count: n * (2 * c + 1) * h * w), shape: [n, 2 * c + 1, h, w])
                var at = 0
                for part in parts {
                    try b.copyChannels(part, from: 0, into: y, at: at, count: part.shape[1])
                    at += part.shape[1]
                }
                return [try NamedOutput("y", y, on: b)]
            }
            add("slice channels", "\(shape) channels \(c / 2)..<\(c)") { b, rng in
                let x = try integers(b, &rng, shape)
                let y = try b.upload([Float](repeating: .nan, count: n * (c - c / 2) * h * w), shape: [n, c - c / 2, h, w])
                try b.copyChannels(x, from: c / 2, into: y, at: 0, count: c - c / 2)
                return [try NamedOutput("y", y, on: b)]
            }
            for groups in [1, 2, 4] where c % groups == 0 {
                add("channel shuffle", "\(shape) groups \(groups)", quick: quick && groups == 4) { b, rng in
                    let x = try integers(b, &rng, shape)
                    return [try NamedOutput("y", b.channelShuffle(x, groups: groups), on: b)]
                }
            }
            for count in [1, 5, 8] {
                add("weighted sum", "\(count) × \(shape)", quick: quick && count == 5) { b, rng in
                    let inputs = try (0..<count).map { _ in try integers(b, &rng, shape) }
                    let weights = try integers(b, &rng, [count])
                    return [try NamedOutput("y", b.weightedSum(inputs, weights: weights), on: b)]
                }
                add("weighted sum backward", "\(count) × \(shape)") { b, rng in
                    let inputs = try (0..<count).map { _ in try integers(b, &rng, shape) }
                    let weights = try integers(b, &rng, [count]), dy = try integers(b, &rng, shape)
                    let g = try b.weightedSumBackward(dy, inputs: inputs, weights: weights)
                    return try g.inputs.enumerated().map { try NamedOutput("dL/dx\($0.offset)", $0.element, on: b) }
                        + [try NamedOutput("dL/dw", g.weights, on: b)]
                }
            }
            if h >= 2 && w >= 2 {
                add("crop spatial", "\(shape) rows 1..<\(h) cols 1..<\(w)") { b, rng in
                    [try NamedOutput("y", b.cropSpatial(try integers(b, &rng, shape), top: 1, left: 1, height: h - 1, width: w - 1), on: b)]
                }
                add("crop spatial backward", "\(shape) rows 1..<\(h) cols 1..<\(w)") { b, rng in
                    let dy = try integers(b, &rng, [n, c, h - 1, w - 1])
                    return [try NamedOutput("dL/dx", b.cropSpatialBackward(dy, inputShape: shape, top: 1, left: 1), on: b)]
                }
            }
        }
        // The depthwise convolutions of sep_conv/dil_conv (3×3, 5×5; dilation 1, 2; stride 1, 2),
        // forward and both gradients, at a cell's shape and odd ones — strides whose windows do not
        // reach the last rows and columns, no padding, stride 3, rows of at most 8 — exact on integers. The weight
        // gradient runs one work-item per group up to the registers' tap count (3×3 always) and
        // one item per tap row beyond (7×7 always; 5×5 depends on the device).
        for (shape, k, d, stride, padding) in [
            ([4, 16, 16, 16], 3, 1, 1, nil), ([4, 16, 16, 16], 5, 1, 2, nil), ([4, 16, 16, 16], 3, 2, 1, nil),
            ([4, 16, 16, 16], 5, 2, 2, nil), ([3, 7, 9, 11], 5, 2, 1, nil), ([1, 5, 6, 6], 3, 1, 2, nil), ([2, 5, 7, 9], 3, 1, 2, 0),
            ([2, 3, 10, 7], 5, 1, 3, 2), ([2, 6, 11, 13], 7, 1, 1, nil),
            // Rows that fit one float8 (the narrow kernels on CPU devices): the 8×8 third stage,
            // 5×5 with dilation 2 on 5 columns (shifts −4 … 4), no padding, a 1×1 plane.
            ([3, 5, 8, 8], 3, 1, 1, nil), ([2, 4, 8, 7], 5, 1, 1, nil), ([2, 4, 7, 5], 5, 2, 1, nil),
            ([2, 3, 6, 8], 3, 1, 1, 0), ([2, 3, 1, 1], 3, 1, 1, nil),
            // Column stride 2 (the input gradient's even and odd phases): the reduction cells'
            // 32×32 planes, widths past a multiple of 16, padding beyond the window's reach, 1×1.
            ([2, 8, 32, 32], 3, 1, 2, nil), ([2, 4, 17, 33], 3, 2, 2, nil), ([2, 3, 13, 18], 5, 2, 2, nil),
            ([2, 3, 7, 13], 3, 1, 2, 3), ([2, 3, 1, 1], 3, 1, 2, nil),
        ] as [([Int], Int, Int, Int, Int?)] {
            let c = shape[1], pad = padding ?? d * (k - 1) / 2
            let params = Conv2dParams(stride: stride, padding: pad, dilation: d, groups: c)
            let label = "x\(shape) \(k)×\(k) dilation \(d) stride \(stride)" + (padding.map { " pad \($0)" } ?? "")
            add("depthwise conv fwd+bwd", label, quick: shape == [4, 16, 16, 16] && k == 3 && d == 1) { b, rng in
                let x = try integers(b, &rng, shape), w = try integers(b, &rng, [c, 1, k, k]), bias = try integers(b, &rng, [c])
                let y = try b.conv2d(x, weight: w, bias: bias, params: params)
                let dy = try integers(b, &rng, y.shape)
                return [
                    try NamedOutput("y", y, on: b),
                    try NamedOutput("dL/dx", b.conv2dBackwardInput(dy, weight: w, inputShape: shape, params: params), on: b),
                    try NamedOutput("dL/dw", b.conv2dBackwardWeight(dy, input: x, weightShape: [c, 1, k, k], params: params), on: b),
                ]
            }
        }
        cases.append(realWeightedSumCase(shape: [8, 16, 16, 16], count: 8, seed: 0xCE11_5EA1))
        return cases
    }

    /// Softmax weights over normal inputs. Bound per element: the forward is a sum of n products
    /// and each dL/dw[i] a dot product of E terms, each within 2·K·ε·Σ|terms| (`dotProductBound`);
    /// dL/dx_i = w[i]·dy is one rounded product on both sides, so exact.
    private static func realWeightedSumCase(shape: [Int], count: Int, seed: UInt64) -> VerifyCase {
        VerifyCase(
            family: .cells, operation: "weighted sum fwd+bwd (real-valued)", shape: "\(count) × \(shape)", tolerance: realValuedBound
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let elements = shape.reduce(1, *)
            let xs = (0..<count).map { _ in rng.normal(elements) }, dy = rng.normal(elements)
            let logits = rng.normal(count).map { Double($0) }
            let z = logits.map { exp($0 - logits.max()!) }
            let weights = z.map { Float($0 / z.reduce(0, +)) }
            let inputs = try xs.map { try backend.upload($0, shape: shape) }
            let w = try backend.upload(weights, shape: [count]), g = try backend.upload(dy, shape: shape)
            let y = try backend.weightedSum(inputs, weights: w)
            let grads = try backend.weightedSumBackward(g, inputs: inputs, weights: w)
            var forwardBound: [Float]?, weightBound: [Float]?, inputBound: [Float]?
            if backend is ReferenceBackend {
                let s = (0..<elements).map { e in (0..<count).reduce(0.0) { $0 + Double(abs(weights[$1] * xs[$1][e])) } }
                forwardBound = dotProductBound(s, k: count)
                let sw = (0..<count).map { i in (0..<elements).reduce(0.0) { $0 + Double(abs(dy[$1] * xs[i][$1])) } }
                weightBound = dotProductBound(sw, k: elements)
                inputBound = [Float](repeating: 0, count: elements)
            }
            return [try NamedOutput("y", y, on: backend, bound: forwardBound)]
                + (try grads.inputs.enumerated().map { try NamedOutput("dL/dx\($0.offset)", $0.element, on: backend, bound: inputBound) })
                + [try NamedOutput("dL/dw", grads.weights, on: backend, bound: weightBound)]
        }
    }
}
