import Foundation
import OpenCLBackend
import ReferenceBackend
import TensorCore

/// The memory-bound kernels — the soft mask `m = sigmoid(λ(c' − a))`, its gradient
/// `∂L/∂a = Σ dm·(−λ m(1 − m))`, ReLU and add, and batch norm (MaskSuite+BatchNorm.swift) —
/// at N = 10⁴ … 10⁷, in GB/s against a plain copy
/// kernel (`bench_copy`, the device's achievable bandwidth for a one-element-per-work-item
/// kernel) and the host's STREAM triad (`HostStreamTriad`, what a CPU program gets) at the same N
/// in the same run. Bytes are the least traffic each needs: soft mask reads c' and writes m
/// (8N + 4 bytes with a), the gradient reads m and dm (8N, + 4 written), ReLU reads and writes
/// N floats (8N), add reads two and writes one (12N), the copy 8N, the triad 12N. Device kernels
/// are timed by the sum of their kernels' events, the triad by host clock.
///
/// Checks: the copy exactly; the soft mask against the reference backend within rtol 2e-6
/// (OpenCL's exp and division are a few ulp from libm); the gradient against the reference
/// backend's Double sum within (⌈log2 N⌉ + 20)·2⁻²⁴·Σ|terms| (the device's Float tree) — the
/// tolerances of the verification suite; ReLU and add exactly.
public enum MaskSuite {
    public static let copyName = "copy kernel"

    public static func sizes(quick: Bool) -> [Int] { quick ? [10_000] : [10_000, 100_000, 1_000_000, 10_000_000] }

    /// Soft mask: c' read, m written (4N each), a read (4).
    public static func softMaskBytes(count n: Int) -> Double { 8 * Double(n) + 4 }
    /// Its gradient: m and dm read (4N each), dL/da written (4).
    public static func gradientBytes(count n: Int) -> Double { 8 * Double(n) + 4 }
    /// The copy: N floats read and N written.
    public static func copyBytes(count n: Int) -> Double { 8 * Double(n) }

    /// The device's copy bandwidth as measured in `cases`: the best copy at the largest N that
    /// has one (10⁷ floats = 80 MB, far beyond any cache; smaller N partly run from cache).
    public static func copyBandwidth(in cases: [CaseResult]) -> Double? {
        bestBandwidth(of: copyName, in: cases)
    }

    /// The host's STREAM triad bandwidth, the best at the largest N (as `copyBandwidth`).
    public static func streamBandwidth(in cases: [CaseResult]) -> Double? {
        bestBandwidth(of: "host STREAM triad", in: cases)
    }

    static func bestBandwidth(of prefix: String, in cases: [CaseResult]) -> Double? {
        let runs = cases.filter { $0.suite == .mask }.compactMap { c in
            c.comparator(prefix).flatMap { $0.rate.map { rate in (count: c.shape, bytes: c.work, rate: rate) } }
        }
        guard let largest = runs.map(\.bytes).max() else { return nil }
        let shape = runs.first { $0.bytes == largest }!.count
        return runs.filter { $0.count == shape }.map(\.rate).max()
    }

    public static let kernels = ["soft mask", "soft mask grad", "relu", "add"]

    public static func cases(runner: BenchRunner) -> [PendingCase] {
        sizes(quick: runner.settings.quick).flatMap { n in
            (kernels + batchNormKernels).map { name in
                PendingCase(suite: .mask, name: name, shape: "N=\(TopKSuite.powerOfTen(n))") {
                    let seed = runner.settings.seed &+ 3000 &+ UInt64(n)
                    return batchNormKernels.contains(name)
                        ? try makeBatchNormCase(name: name, count: n, seed: seed, runner: runner)
                        : try makeCase(name: name, count: n, seed: seed, runner: runner)
                }
            }
        }
    }

    public static func makeCase(name: String, count n: Int, seed: UInt64, runner: BenchRunner) throws -> BenchCase {
        let backend = runner.backend, reference = runner.reference
        var rng = SeededRandom(seed: seed)
        let lambda = Float(n)
        // c': the normalized ranks of a random permutation, a = 0.5, λ = N (DMS's width setting).
        let normalizedHost = Array(1...n).shuffled(using: &rng).map { Float(Double($0) / Double(n)) }
        let ratioHost: [Float] = [0.5]
        let normalized = try backend.upload(normalizedHost, shape: [n]), ratio = try backend.upload(ratioHost, shape: [1])
        let yardsticks = try yardsticks(copying: normalized, host: normalizedHost, seed: seed, runner: runner)
        var output: Tensor?
        let ours: Contender
        var bytes = name == "soft mask" ? softMaskBytes(count: n) : gradientBytes(count: n)
        if name == "relu" || name == "add" {
            let xHost = rng.integers(n), yHost = rng.integers(n)
            let x = try backend.upload(xHost, shape: [n]), y = try backend.upload(yHost, shape: [n])
            let expected = name == "relu" ? xHost.map { max($0, 0) } : zip(xHost, yHost).map { $0 + $1 }
            bytes = name == "relu" ? copyBytes(count: n) : 12 * Double(n)
            ours = Contender(
                name: "DiffNAS",
                run: { output = name == "relu" ? try backend.relu(x) : try backend.add(x, y) },
                check: { .compare(try backend.download(output!), expected, tolerance: .exact, method: "host \(name) of integers") })
        } else if name == "soft mask" {
            ours = Contender(
                name: "DiffNAS",
                run: {
                    output = try backend.softMask(normalized: normalized, ratio: ratio, lambda: lambda)
                },
                check: {
                    let expected = try reference.softMask(
                        normalized: try reference.upload(normalizedHost, shape: [n]),
                        ratio: try reference.upload(ratioHost, shape: [1]), lambda: lambda)
                    return .compare(
                        try backend.download(output!), try reference.download(expected),
                        tolerance: Tolerance(absolute: .leastNormalMagnitude, relative: 2e-6), method: "reference backend")
                })
        } else {
            let maskHost = try reference.download(
                try reference.softMask(
                    normalized: try reference.upload(normalizedHost, shape: [n]),
                    ratio: try reference.upload(ratioHost, shape: [1]), lambda: lambda))
            let gradHost = rng.normal(n)
            let mask = try backend.upload(maskHost, shape: [n]), grad = try backend.upload(gradHost, shape: [n])
            var magnitude = 0.0
            for i in 0..<n { magnitude += Double(abs(gradHost[i] * (-lambda * maskHost[i] * (1 - maskHost[i])))) }
            let depth = Double(Int.bitWidth - (n - 1).leadingZeroBitCount + 20)
            let tolerance = Tolerance(absolute: Float(magnitude * depth * 0x1p-24), relative: 0)
            ours = Contender(
                name: "DiffNAS",
                run: {
                    output = try backend.softMaskGradRatio(mask: mask, gradMask: grad, lambda: lambda)
                },
                check: {
                    let expected = try reference.softMaskGradRatio(
                        mask: try reference.upload(maskHost, shape: [n]),
                        gradMask: try reference.upload(gradHost, shape: [n]), lambda: lambda)
                    return .compare(
                        try backend.download(output!), try reference.download(expected), tolerance: tolerance,
                        method: "reference backend")
                })
        }
        return BenchCase(
            suite: .mask, name: name, shape: "N=\(TopKSuite.powerOfTen(n))", work: .bytes(bytes),
            timing: .kernelEvents, ours: ours,
            comparators: yardsticks)
    }

    /// The comparators of every memory-bound case: the copy kernel on `source` (checked exactly
    /// against `host`, its contents) and the host's STREAM triad over as many elements.
    static func yardsticks(copying source: Tensor, host: [Float], seed: UInt64, runner: BenchRunner) throws -> [Contender] {
        let backend = runner.backend, n = source.count
        let target = try backend.uninitialized(source.shape)
        let copy = Contender(
            name: copyName, work: .bytes(copyBytes(count: n)), run: { try backend.benchCopy(source, into: target) },
            check: { .compare(try backend.download(target), host, tolerance: .exact, method: "its input") })
        return [copy, HostStreamTriad(count: n, seed: seed &+ 1).contender]
    }
}
