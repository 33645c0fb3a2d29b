import OpenCLBackend
import ReferenceBackend
import TensorCore

/// Importance normalization at N = 10³ … 10⁷: our device radix-sort ranks (`rankNormalize`,
/// O(N log N)) against the official method, the O(N²) comparison matrix
/// (`comparisonMatrixRankNormalize`), which runs only while its N×N Float32 matrix fits in one
/// device allocation — beyond that the comparator is n/a with the bytes it would need. Both
/// timed by the sum of their kernels' events.
///
/// Each is checked against its own definition: ours (ties broken by index) with the reference
/// backend's sort up to 10⁶ elements, beyond that with an O(N) certificate (the ranks form a
/// permutation whose order is ascending by (value, index)); the comparison matrix
/// (`c'_i = #{j : c_j ≤ c_i}/N`, ties sharing the top count) with `ComparisonMatrix.sortedCounts`.
public enum TopKSuite {
    public static func sizes(quick: Bool) -> [Int] { quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000, 10_000_000] }

    /// Reference-backend checks up to this many elements; the certificate beyond.
    static let referenceLimit = 1_000_000

    public static func cases(runner: BenchRunner) -> [PendingCase] {
        sizes(quick: runner.settings.quick).map { n in
            PendingCase(suite: .topk, name: "rank normalize", shape: "N=\(powerOfTen(n))") {
                try makeCase(count: n, seed: runner.settings.seed &+ 2000 &+ UInt64(n), runner: runner)
            }
        }
    }

    /// "10^6" for exact powers of ten, else the number.
    static func powerOfTen(_ n: Int) -> String {
        var (x, e) = (n, 0)
        while x > 1 && x % 10 == 0 { x /= 10; e += 1 }
        return x == 1 && e > 0 ? "10^\(e)" : "\(n)"
    }

    public static func makeCase(count n: Int, seed: UInt64, runner: BenchRunner) throws -> BenchCase {
        let backend = runner.backend
        var rng = SeededRandom(seed: seed)
        let host = rng.uniform(n, in: 0...1)  // 24-bit values: ties appear at large N
        let importance = try backend.upload(host, shape: [n])
        var ours: Tensor?, theirs: Tensor?
        let oursContender = Contender(
            name: "DiffNAS radix ranks", run: { ours = try backend.rankNormalize(importance) },
            check: {
                guard let ours else { return .failed("output", "no output") }
                return try checkRanks(try backend.download(ours), importance: host, reference: runner.reference)
            })
        let bytes = OpenCLBackend.comparisonMatrixBytes(count: n)
        let limit = min(backend.device.maxAllocationBytes, backend.device.globalMemoryBytes / 2)
        let fits = UInt64(bytes) <= limit
        let comparator = Contender(
            name: "O(N²) comparison matrix",
            unavailable: fits
                ? nil
                : "the \(n)×\(n) comparison matrix needs \(formatBytes(Double(bytes))); the device allows \(formatBytes(Double(limit))) (largest N that fits ≈ \(Int(Double(limit / 4).squareRoot())))",
            run: { theirs = try backend.comparisonMatrixRankNormalize(importance) },
            check: {
                guard let theirs else { return .failed("output", "no output") }
                return .compare(
                    try backend.download(theirs), ComparisonMatrix.sortedCounts(host), tolerance: ComparisonMatrix.tolerance,
                    method: "its own definition mean_j [c_j ≤ c_i], counted on the host")
            })
        return BenchCase(
            suite: .topk, name: "rank normalize", shape: "N=\(powerOfTen(n))", work: .elements(Double(n)),
            timing: .kernelEvents, ours: oursContender, comparators: [comparator])
    }

    /// Our ranks against the reference backend (N ≤ 10⁶) or the O(N) certificate.
    static func checkRanks(_ ranks: [Float], importance: [Float], reference: ReferenceBackend) throws -> CheckOutcome {
        if importance.count <= referenceLimit {
            let expected = try reference.download(try reference.rankNormalize(try reference.upload(importance, shape: [importance.count])))
            return .compare(ranks, expected, tolerance: .exact, method: "reference backend")
        }
        return RankCertificate.check(ranks: ranks, importance: importance)
    }

    static func formatBytes(_ bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
    }
}

/// An O(N) proof that `ranks` is `rankNormalize(importance)`: every value is `(p + 1)/N` for a
/// distinct position p (so they form a permutation), and consecutive positions hold ascending
/// (value, index) pairs under rankNormalize's order (NaN first, −0 = +0, ties by index). Only
/// one assignment passes, the one the reference backend's sort produces.
public enum RankCertificate {
    public static func check(ranks: [Float], importance: [Float]) -> CheckOutcome {
        let n = importance.count
        let method = "permutation + order certificate"
        guard ranks.count == n else { return .failed(method, "\(ranks.count) ranks for \(n) elements") }
        var order = [Int](repeating: -1, count: n)
        for (i, r) in ranks.enumerated() {
            let position = r.isFinite ? Int((Double(r) * Double(n)).rounded()) - 1 : -1
            guard position >= 0, position < n, Float(Double(position + 1) / Double(n)) == r, order[position] == -1 else {
                return CheckOutcome(
                    passed: false, method: method, checkedElements: n, maxAbsoluteError: .nan,
                    detail: "rank[\(i)] = \(r) is not a free (p + 1)/N")
            }
            order[position] = i
        }
        for p in 1..<max(n, 1) {
            let (i, j) = (order[p - 1], order[p])
            let (a, b) = (importance[i], importance[j])
            let ascending = precedes(a, b) || (!precedes(b, a) && i < j)
            guard ascending else {
                return CheckOutcome(
                    passed: false, method: method, checkedElements: n, maxAbsoluteError: .nan,
                    detail: "positions \(p - 1), \(p) hold c[\(i)] = \(a), c[\(j)] = \(b): not ascending by (value, index)")
            }
        }
        return CheckOutcome(passed: true, method: method, checkedElements: n, maxAbsoluteError: 0)
    }

    /// rankNormalize's strict order on values: NaN before every number, then IEEE `<`.
    static func precedes(_ x: Float, _ y: Float) -> Bool {
        if x.isNaN { return !y.isNaN }
        if y.isNaN { return false }
        return x < y
    }
}

/// The official normalization `c'_i = mean_j [c_j ≤ c_i]`, on the host.
public enum ComparisonMatrix {
    /// The device divides `count/N` in Float32 with OpenCL's 2.5-ulp division: 3 ulp relative.
    public static let tolerance = Tolerance(absolute: 0, relative: 3 * 0x1p-23)

    /// The definition itself, O(N²): for each i, the fraction of j with `c_j ≤ c_i` (IEEE: a
    /// NaN compares false, so its own row is 0 and it counts in no row).
    public static func definition(_ c: [Float]) -> [Float] {
        let n = c.count
        return c.map { ci in
            var count = 0
            for cj in c where cj <= ci { count += 1 }
            return Float(count) / Float(n)
        }
    }

    /// The same values in O(N log N): `#{j : c_j ≤ c_i}` is the upper bound of c_i among the
    /// sorted non-NaN values.
    public static func sortedCounts(_ c: [Float]) -> [Float] {
        let n = c.count
        let sorted = c.filter { !$0.isNaN }.sorted()
        return c.map { ci in
            guard !ci.isNaN else { return 0 }
            var (low, high) = (0, sorted.count)  // first index with sorted[index] > ci
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid] <= ci { low = mid + 1 } else { high = mid }
            }
            return Float(low) / Float(n)
        }
    }
}
