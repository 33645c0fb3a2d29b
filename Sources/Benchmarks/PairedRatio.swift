/// Our throughput over a comparator's, round by round, with an interval for its median.
///
/// Every round of `BenchRunner.measure` times ours and then each comparator, so round r gives
/// one paired ratio `ρ_r = rate_ours(t_ours,r) / rate_it(t_it,r)` (with equal work, the
/// comparator's time over ours). A slow spell of a shared machine that spans a round slows both
/// runs of the pair and mostly cancels in ρ_r, where the ratio of the two median times would
/// take each median from different rounds.
///
/// The headline is the median of the n ratios; the interval is the distribution-free one for
/// that median (the sign test's): the order statistics ρ_(k) and ρ_(n+1−k) of the sorted ratios
/// hold the median of the ratio's distribution with probability
///
///     coverage(k) = 1 − 2 · P(Binomial(n, ½) ≤ k − 1),
///
/// whatever that distribution is (the timing noise of a shared VM has long, one-sided tails,
/// so a normal interval would mislead). k is the largest with coverage ≥ 95%; with n ≤ 5 no k
/// reaches it and the interval is the whole range ρ_(1)…ρ_(n), with its lower coverage
/// (n = 5: 93.75%; n = 2: 50%).
public struct PairedRatio: Codable, Sendable, Equatable {
    /// ρ_r of each round, in the order measured.
    public let perRound: [Double]
    /// Median of `perRound` (the mean of the middle two for even n).
    public let median: Double
    /// ρ_(k) and ρ_(n+1−k).
    public let low: Double
    public let high: Double
    /// The probability that [low, high] holds the median of the ratio's distribution.
    public let coverage: Double

    /// The coverage the interval aims for.
    public static let targetCoverage = 0.95

    /// Paired ratios of the rounds' rates, `ours[r] / theirs[r]`; nil when the counts differ,
    /// there are none, or a rate is not positive and finite.
    public init?(oursRates ours: [Double], theirRates theirs: [Double]) {
        guard !ours.isEmpty, ours.count == theirs.count,
            (ours + theirs).allSatisfy({ $0 > 0 && $0.isFinite })
        else { return nil }
        self.init(ratios: zip(ours, theirs).map { $0 / $1 })
    }

    /// The statistics of given per-round ratios (at least one).
    public init(ratios: [Double]) {
        precondition(!ratios.isEmpty, "PairedRatio needs at least one round")
        perRound = ratios
        let sorted = ratios.sorted(), n = sorted.count
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        let k = Self.orderStatistic(rounds: n)
        low = sorted[k - 1]
        high = sorted[n - k]
        coverage = Self.coverage(rounds: n, k: k)
    }

    /// The k of the interval ρ_(k)…ρ_(n+1−k) for n rounds: the largest k ≤ n/2 whose coverage is
    /// at least `targetCoverage`, else 1.
    public static func orderStatistic(rounds n: Int) -> Int {
        var k = 1
        while k + 1 <= n / 2 && coverage(rounds: n, k: k + 1) >= targetCoverage { k += 1 }
        return k
    }

    /// coverage(k) = 1 − 2 · P(Binomial(n, ½) ≤ k − 1) (0 when k > n/2 leaves no interval
    /// narrower than one point).
    public static func coverage(rounds n: Int, k: Int) -> Double {
        guard n >= 1, k >= 1, 2 * k <= n + 1 else { return 0 }
        // P(B ≤ k − 1) = Σ_{i < k} C(n, i) / 2ⁿ, summed in Double (n is a handful of rounds).
        var term = 1.0, tail = 0.0  // term = C(n, i)
        for i in 0..<k {
            tail += term
            term = term * Double(n - i) / Double(i + 1)
        }
        return max(0, 1 - 2 * tail / Double(sign: .plus, exponent: n, significand: 1))
    }

    /// "0.72× (0.65–0.80)": the median and the interval.
    public var text: String {
        func f(_ x: Double) -> String { x < 10 ? String(format: "%.2f", x) : String(format: "%.1f", x) }
        return "\(f(median))× (\(f(low))–\(f(high)))"
    }
}
