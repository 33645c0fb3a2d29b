import Foundation
import TensorCore
import Verification

/// Batch normalization in the memory-bound suite: the training forward pass and its backward
/// pass at N = 10⁴ … 10⁷ elements, laid out as `[N / 10⁴, 16, 25, 25]` (16 channels of 25×25
/// maps, a ResNet stage's proportions), in GB/s beside the same copy kernel and STREAM triad.
///
/// Bytes are the traffic of the two passes each needs at sizes beyond cache, counting every
/// read and write of a pass once:
/// - forward: the statistics pass reads x; the normalize pass reads x and writes y → 12N
///   (+ per channel: γ and β read, the running mean and variance read and written, the saved
///   mean and invstd written: 8·4C bytes);
/// - backward: the sums pass (Σ dy, Σ dy·x̂) reads dy and x; the dx pass reads dy and x and
///   writes dx → 20N (+ per channel: γ and the saved statistics read, dγ and dβ written: 5·4C).
///
/// These are the bytes of the algorithm, not of our kernels: on CPUs the statistics kernel
/// reads x twice (mean, then the squared deviations from it), so the forward pass moves 16N,
/// and its GB/s is the effective rate a user sees for 12N.
///
/// Checks: y (forward) and dx (backward, from the reference's own forward statistics, as the
/// verification suite does) against the reference backend under the verification suite's
/// `bnTolerance`; dx is a handful of operations after the channel sums, whose Float error on
/// the device grows with the elements per channel.
extension MaskSuite {
    public static let batchNormKernels = ["batchnorm", "batchnorm backward"]
    static let batchNormChannels = 16, batchNormMap = 25

    /// `[N / (16·25·25), 16, 25, 25]` for the suite's N (each a multiple of 10⁴).
    public static func batchNormShape(count n: Int) -> [Int] {
        [n / (batchNormChannels * batchNormMap * batchNormMap), batchNormChannels, batchNormMap, batchNormMap]
    }

    /// Forward: x read twice (statistics, normalize), y written; 8 per-channel vectors.
    public static func batchNormBytes(count n: Int, channels: Int) -> Double { 12 * Double(n) + 32 * Double(channels) }
    /// Backward: dy and x read twice (sums, dx), dx written; 5 per-channel vectors.
    public static func batchNormBackwardBytes(count n: Int, channels: Int) -> Double {
        20 * Double(n) + 20 * Double(channels)
    }

    static func makeBatchNormCase(name: String, count n: Int, seed: UInt64, runner: BenchRunner) throws -> BenchCase {
        let backend = runner.backend, reference = runner.reference
        let shape = batchNormShape(count: n), channels = shape[1]
        var rng = SeededRandom(seed: seed)
        let xHost = rng.normal(n, mean: 3, std: 2), dyHost = rng.normal(n)
        let gammaHost = rng.uniform(channels, in: 0.5...1.5), betaHost = rng.uniform(channels, in: -0.5...0.5)
        let x = try backend.upload(xHost, shape: shape), dy = try backend.upload(dyHost, shape: shape)
        let gamma = try backend.upload(gammaHost, shape: [channels]), beta = try backend.upload(betaHost, shape: [channels])
        let runningMean = try backend.upload([Float](repeating: 0, count: channels), shape: [channels])
        let runningVar = try backend.upload([Float](repeating: 1, count: channels), shape: [channels])
        let yardsticks = try yardsticks(copying: x, host: xHost, seed: seed, runner: runner)

        // The reference's forward (fresh running statistics: they do not enter y or dx).
        func referenceForward() throws -> (BatchNormForward, Tensor, Tensor) {
            let rx = try reference.upload(xHost, shape: shape), rGamma = try reference.upload(gammaHost, shape: [channels])
            let forward = try reference.batchNormTraining(
                rx, gamma: rGamma, beta: try reference.upload(betaHost, shape: [channels]),
                runningMean: try reference.upload([Float](repeating: 0, count: channels), shape: [channels]),
                runningVar: try reference.upload([Float](repeating: 1, count: channels), shape: [channels]),
                momentum: 0.1, epsilon: 1e-5)
            return (forward, rx, rGamma)
        }
        var output: Tensor?
        let ours: Contender
        let bytes: Double
        if name == "batchnorm" {
            bytes = batchNormBytes(count: n, channels: channels)
            ours = Contender(
                name: "DiffNAS",
                run: {
                    output = try backend.batchNormTraining(
                        x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar,
                        momentum: 0.1, epsilon: 1e-5
                    ).output
                },
                check: {
                    let expected = try referenceForward().0.output
                    return .compare(
                        try backend.download(output!), try reference.download(expected),
                        tolerance: VerificationSuite.bnTolerance, method: "reference backend")
                })
        } else {
            bytes = batchNormBackwardBytes(count: n, channels: channels)
            let forward = try backend.batchNormTraining(
                x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar, momentum: 0.1, epsilon: 1e-5)
            ours = Contender(
                name: "DiffNAS",
                run: {
                    output = try backend.batchNormBackward(
                        dy, input: x, gamma: gamma, savedMean: forward.savedMean, savedInvStd: forward.savedInvStd
                    ).input
                },
                check: {
                    let (referenceStatistics, rx, rGamma) = try referenceForward()
                    let expected = try reference.batchNormBackward(
                        try reference.upload(dyHost, shape: shape), input: rx, gamma: rGamma,
                        savedMean: referenceStatistics.savedMean, savedInvStd: referenceStatistics.savedInvStd)
                    return .compare(
                        try backend.download(output!), try reference.download(expected.input),
                        tolerance: VerificationSuite.bnTolerance, method: "reference backend")
                })
        }
        return BenchCase(
            suite: .mask, name: name, shape: "N=\(TopKSuite.powerOfTen(n))", work: .bytes(bytes),
            timing: .kernelEvents, ours: ours,
            comparators: yardsticks)
    }
}
