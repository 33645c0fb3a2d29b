import TensorCore

// Batch normalization: training forward (with the running-statistics update), inference and
// backward, over shapes with N = 1, C = 1, 7, 31, H×W = 1×1, 7×5, 31×3, and [N, C] inputs.
//
// Inputs are random reals (BN divides by a standard deviation, so nothing stays integer).
// Tolerance, from the float arithmetic of the device:
// - y, mean, invstd, running stats and dx are O(1) values a handful of operations after the
//   channel sums. The device sums in float (blocked, per work-item, then a tree) where the
//   reference sums in Double, and its sqrt and divide need not be correctly rounded, so these
//   differ by a few ulp: ≤ 9.5e-7 observed on PoCL. `bnTolerance` (atol 2e-6, rtol 1e-6) leaves
//   2× over that and still notices an output off by 32 ulps (FaultyBackendTests); a wrong term
//   (a missing Σ or a wrong n) moves values by ≥ 1e-2.
// - dγ = Σ dy·x̂ and dβ = Σ dy are sums of n O(1) terms: typical size sqrt(n), and their float
//   error (plus that of x̂ from the device's own saved statistics) grows with it; they are
//   compared in their own case under atol 1e-5·sqrt(n) (observed ≤ 1.5e-5 at n = 16384, where
//   the bound is 1.3e-3; a dropped or doubled term is off by ~1).
extension VerificationSuite {
    /// Shapes of the sweep, with whether to put them in the quick subset.
    static let batchNormShapes: [(shape: [Int], quick: Bool)] = [
        ([1, 1, 1, 7], true),  // N = 1, C = 1, a 1×7 map
        ([1, 7, 7, 5], false),  // N = 1
        ([4, 1, 31, 3], false),  // C = 1, 31×3 maps
        ([7, 31, 1, 1], false),  // 1×1 maps
        ([2, 7, 7, 5], false),
        ([3, 31, 31, 3], false),
        ([93, 7], false),  // [N, C]
        ([31, 3], false),  // [N, C] with C < 4 (per-channel group kernels on every device)
        ([1, 31], false),  // [N, C] with n = 1: zero variance, biased running update
        ([16, 4, 32, 32], false),  // n = 16384 per channel
    ]

    public static let bnTolerance = Tolerance(absolute: 2e-6, relative: 1e-6)

    /// The per-channel inputs of a BN case: γ, β, running mean, running variance.
    private static func bnParameters(_ channels: Int, _ rng: inout SeededRandom) -> [[Float]] {
        [
            rng.uniform(channels, in: 0.5...1.5), rng.uniform(channels, in: -0.5...0.5),
            rng.uniform(channels, in: -0.5...0.5), rng.uniform(channels, in: 0.5...1.5),
        ]
    }

    static func normalizationCases() -> [VerifyCase] {
        var cases: [VerifyCase] = []
        for (index, entry) in batchNormShapes.enumerated() {
            let shape = entry.shape
            let channels = shape[1]
            let n = shape.reduce(1, *) / channels
            let seed = UInt64(0xB0 + index)
            let label = "x\(shape)"

            cases.append(
                VerifyCase(
                    family: .norm, operation: "batchnorm training", shape: label + " momentum 0.1",
                    tolerance: bnTolerance, quick: entry.quick
                ) { backend in
                    var rng = SeededRandom(seed: seed)
                    // Data off-centre (mean 3, std 2) so a one-pass E[x²] − E[x]² would show.
                    let x = try backend.upload(rng.normal(shape.reduce(1, *), mean: 3, std: 2), shape: shape)
                    let p = bnParameters(channels, &rng)
                    let gamma = try backend.upload(p[0], shape: [channels]), beta = try backend.upload(p[1], shape: [channels])
                    let rMean = try backend.upload(p[2], shape: [channels]), rVar = try backend.upload(p[3], shape: [channels])
                    let out = try backend.batchNormTraining(
                        x, gamma: gamma, beta: beta, runningMean: rMean, runningVar: rVar,
                        momentum: 0.1, epsilon: 1e-5)
                    return [
                        try NamedOutput("y", out.output, on: backend), try NamedOutput("savedMean", out.savedMean, on: backend),
                        try NamedOutput("savedInvStd", out.savedInvStd, on: backend),
                        try NamedOutput("runningMean", rMean, on: backend), try NamedOutput("runningVar", rVar, on: backend),
                    ]
                })

            cases.append(
                VerifyCase(
                    family: .norm, operation: "batchnorm inference", shape: label,
                    tolerance: bnTolerance, quick: false
                ) { backend in
                    var rng = SeededRandom(seed: seed)
                    let x = try backend.upload(rng.normal(shape.reduce(1, *), mean: 0.5, std: 2), shape: shape)
                    let p = bnParameters(channels, &rng)
                    let y = try backend.batchNormInference(
                        x, gamma: try backend.upload(p[0], shape: [channels]), beta: try backend.upload(p[1], shape: [channels]),
                        runningMean: try backend.upload(p[2], shape: [channels]), runningVar: try backend.upload(p[3], shape: [channels]),
                        epsilon: 1e-3)
                    return [try NamedOutput("y", y, on: backend)]
                })

            // The backward pass from the backend's own forward statistics: (dx, dγ, dβ).
            let backward: @Sendable (any Backend) throws -> BatchNormGradients = { backend in
                var rng = SeededRandom(seed: seed)
                let x = try backend.upload(rng.normal(shape.reduce(1, *), mean: -1, std: 1.5), shape: shape)
                let p = bnParameters(channels, &rng)
                let gamma = try backend.upload(p[0], shape: [channels])
                let forward = try backend.batchNormTraining(
                    x, gamma: gamma, beta: try backend.upload(p[1], shape: [channels]),
                    runningMean: try backend.upload(p[2], shape: [channels]), runningVar: try backend.upload(p[3], shape: [channels]),
                    momentum: 0.1, epsilon: 1e-5)
                let dy = try backend.upload(rng.uniform(shape.reduce(1, *)), shape: shape)
                return try backend.batchNormBackward(
                    dy, input: x, gamma: gamma, savedMean: forward.savedMean,
                    savedInvStd: forward.savedInvStd)
            }
            cases.append(
                VerifyCase(
                    family: .norm, operation: "batchnorm backward", shape: label,
                    tolerance: bnTolerance, quick: entry.quick
                ) { backend in
                    [try NamedOutput("dx", try backward(backend).input, on: backend)]
                })
            let sumTolerance = Tolerance(absolute: 1e-5 * Float(n).squareRoot(), relative: 1e-5)
            cases.append(
                VerifyCase(
                    family: .norm, operation: "batchnorm backward dgamma dbeta", shape: label,
                    tolerance: sumTolerance
                ) { backend in
                    let grads = try backward(backend)
                    return [try NamedOutput("dgamma", grads.gamma, on: backend), try NamedOutput("dbeta", grads.beta, on: backend)]
                })
        }
        return cases
    }
}
