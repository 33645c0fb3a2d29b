import ReferenceBackend
import TensorCore

// Real-valued GEMM and convolution: normal(0, 1) inputs, so every product rounds and the order of
// the sums matters. Integer inputs (the other cases) are exact and catch any wrong index, but
// they cannot catch reduced-precision accumulation or a bad contraction; these can.
//
// Bound per output element: both the device and the reference compute a sum of K float products
// in some order, each within γ_K·S of the exact value, where S = Σ|a||b| over the same terms and
// γ_K = K·ε/(1 − K·ε), ε = 2⁻²⁴. So |y − y_ref| ≤ c·K·ε·S/(1 − K·ε) with c = 2. S is computed on
// the host: in Double for GEMM; for convolutions with the reference backend's convolution of
// |x| and |w| (a Float sum of non-negative terms, itself within γ_K, hence the extra 1/(1 − K·ε)).
extension VerificationSuite {
    /// The rule every real-valued case states.
    public static let realValuedConvolution = "conv2d fwd+bwd (real-valued)"
    static let realValuedBound = Tolerance.bound("|Δ| ≤ 2·K·ε·Σ|a||b|/(1 − 2Kε)")

    static func realValuedCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        var seed: UInt64 = 0x5245_0000
        // Every layout; K = 7283 (long contraction), tile edges, M ≤ 16 (the short path), large panels.
        let gemms: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool)] = [
            (9, 7, 7283, false, false), (9, 7, 7283, true, true), (33, 65, 7283, false, true), (65, 33, 7283, true, false),
            (93, 93, 93, false, false), (1, 93, 31, true, false), (16, 40, 4100, false, false), (13, 29, 1024, false, true),
            (193, 131, 517, false, false), (1031, 67, 129, true, false), (67, 1029, 257, false, true), (128, 128, 1152, true, true),
        ]
        for g in gemms {
            seed += 1
            cases.append(
                realGemmCase(m: g.m, n: g.n, k: g.k, transposeA: g.ta, transposeB: g.tb, seed: seed, quick: g.k == 7283 && !g.ta && !g.tb))
        }
        cases += realConvolutionCases(batch: 128, seed: &seed)
        return cases
    }

    /// ResNet-20's convolutions at the odd widths DMS exports (13, 29, 67 channels at 32², 16², 8²;
    /// stride-2 stage entries and 1×1 projections), forward and both gradients.
    public static func realConvolutionCases(batch: Int, seed: inout UInt64) -> [VerifyCase] {
        let shapes: [(x: [Int], w: [Int], params: Conv2dParams)] = [
            ([batch, 13, 32, 32], [13, 13, 3, 3], Conv2dParams(padding: 1)),
            ([batch, 13, 32, 32], [29, 13, 3, 3], Conv2dParams(stride: 2, padding: 1)),
            ([batch, 13, 32, 32], [29, 13, 1, 1], Conv2dParams(stride: 2)),
            ([batch, 29, 16, 16], [29, 29, 3, 3], Conv2dParams(padding: 1)),
            ([batch, 29, 16, 16], [67, 29, 3, 3], Conv2dParams(stride: 2, padding: 1)),
            ([batch, 67, 8, 8], [67, 67, 3, 3], Conv2dParams(padding: 1)),
        ]
        var cases: [VerifyCase] = []
        for shape in shapes {
            seed += 1
            cases.append(realConvolutionCase(x: shape.x, w: shape.w, params: shape.params, seed: seed))
        }
        return cases
    }

    /// `2·K·ε·S/(1 − 2K·ε)` per element.
    static func dotProductBound(_ s: [Double], k: Int) -> [Float] {
        let scale = 2 * Double(k) * 0x1p-24 / (1 - 2 * Double(k) * 0x1p-24)
        return s.map { Float($0 * scale) }
    }

    private static func realGemmCase(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, seed: UInt64, quick: Bool) -> VerifyCase {
        let aShape = transposeA ? [k, m] : [m, k], bShape = transposeB ? [n, k] : [k, n]
        let layout = "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N")"
        return VerifyCase(
            family: .gemm, operation: "gemm (real-valued)", shape: "\(layout) a\(aShape) b\(bShape) K \(k)",
            tolerance: realValuedBound, quick: quick
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let a = rng.normal(m * k), b = rng.normal(k * n)
            let c = try backend.upload([Float](repeating: .nan, count: m * n), shape: [m, n])
            try backend.gemm(
                try backend.upload(a, shape: aShape), try backend.upload(b, shape: bShape), into: c,
                transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0)
            var bound: [Float]?
            if backend is ReferenceBackend {
                var s = [Double](repeating: 0, count: m * n)  // S[i,j] = Σ_p |a[i,p]|·|b[p,j]|
                for i in 0..<m {
                    for p in 0..<k {
                        let av = Double(abs(transposeA ? a[p * m + i] : a[i * k + p]))
                        for j in 0..<n { s[i * n + j] += av * Double(abs(transposeB ? b[j * k + p] : b[p * n + j])) }
                    }
                }
                bound = dotProductBound(s, k: k)
            }
            return [try NamedOutput("c", c, on: backend, bound: bound)]
        }
    }

    /// One real-valued convolution case (forward and both gradients within the rounding bound of
    /// their sums), as `realConvolutionCases` makes for each ResNet-20 shape.
    public static func realConvolutionCase(x xShape: [Int], w wShape: [Int], params: Conv2dParams, seed: UInt64) -> VerifyCase {
        VerifyCase(
            family: .conv, operation: realValuedConvolution, shape: "x\(xShape) w\(wShape) \(params)",
            tolerance: realValuedBound
        ) { backend in
            var rng = SeededRandom(seed: seed)
            let yShape = try params.outputShape(input: xShape, weight: wShape)
            let x = rng.normal(xShape.reduce(1, *)), w = rng.normal(wShape.reduce(1, *)), dy = rng.normal(yShape.reduce(1, *))
            let (xt, wt, dyt) = (
                try backend.upload(x, shape: xShape), try backend.upload(w, shape: wShape), try backend.upload(dy, shape: yShape)
            )
            let y = try backend.conv2d(xt, weight: wt, bias: nil, params: params)
            let dx = try backend.conv2dBackwardInput(dyt, weight: wt, inputShape: xShape, params: params)
            let dw = try backend.conv2dBackwardWeight(dyt, input: xt, weightShape: wShape, params: params)
            var bounds: [[Float]?] = [nil, nil, nil]
            if let reference = backend as? ReferenceBackend {
                // The same three contractions over |x|, |w|, |dy|: S per element.
                let (ax, aw, ady) = (
                    try reference.upload(x.map(abs), shape: xShape), try reference.upload(w.map(abs), shape: wShape),
                    try reference.upload(dy.map(abs), shape: yShape)
                )
                let kernel = wShape[2] * wShape[3]
                let sy = try reference.download(reference.conv2d(ax, weight: aw, bias: nil, params: params)).map(Double.init)
                let sx = try reference.download(reference.conv2dBackwardInput(ady, weight: aw, inputShape: xShape, params: params)).map(
                    Double.init)
                let sw = try reference.download(reference.conv2dBackwardWeight(ady, input: ax, weightShape: wShape, params: params)).map(
                    Double.init)
                bounds = [
                    dotProductBound(sy, k: wShape[1] * kernel), dotProductBound(sx, k: wShape[0] * kernel),
                    dotProductBound(sw, k: yShape[0] * yShape[2] * yShape[3]),
                ]
            }
            return [
                try NamedOutput("y", y, on: backend, bound: bounds[0]), try NamedOutput("dL/dx", dx, on: backend, bound: bounds[1]),
                try NamedOutput("dL/dw", dw, on: backend, bound: bounds[2]),
            ]
        }
    }
}
