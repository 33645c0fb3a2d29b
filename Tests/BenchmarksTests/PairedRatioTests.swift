import Benchmarks
import Testing

/// `PairedRatio`: one ratio per round, their median, and the sign test's interval for it.
@Suite struct PairedRatioTests {
    /// The coverage 1 − 2·P(Binomial(n, ½) ≤ k − 1), against sums of binomial coefficients
    /// written out by hand: n = 5, k = 1: 1 − 2/32; n = 9, k = 2: 1 − 2·(1 + 9)/512;
    /// n = 20, k = 6: 1 − 2·(1 + 20 + 190 + 1140 + 4845 + 15504)/2²⁰.
    @Test func coverageIsTheSignTestsProbability() {
        let five: Double = 1 - 2.0 / 32
        let seven: Double = 1 - 16.0 / 128
        let nine: Double = 1 - 20.0 / 512
        let twenty: Double = 1 - 43_400.0 / 1_048_576
        #expect(PairedRatio.coverage(rounds: 1, k: 1) == 0)
        #expect(PairedRatio.coverage(rounds: 2, k: 1) == 0.5)
        #expect(PairedRatio.coverage(rounds: 3, k: 1) == 0.75)
        #expect(PairedRatio.coverage(rounds: 5, k: 1) == five)
        #expect(PairedRatio.coverage(rounds: 7, k: 2) == seven)
        #expect(PairedRatio.coverage(rounds: 9, k: 2) == nine)
        #expect(PairedRatio.coverage(rounds: 20, k: 6) == twenty)
        // No interval narrower than one point: k past (n + 1)/2.
        #expect(PairedRatio.coverage(rounds: 4, k: 3) == 0)
    }

    /// The largest k with coverage ≥ 95%, else 1: the textbook order statistics of the median's
    /// interval (n = 9: the 2nd and 8th; n = 20: the 6th and 15th).
    @Test func orderStatisticIsTheLargestWithNinetyFivePercent() {
        for n in 1...8 { #expect(PairedRatio.orderStatistic(rounds: n) == 1, "n = \(n)") }
        #expect(PairedRatio.orderStatistic(rounds: 9) == 2)
        #expect(PairedRatio.orderStatistic(rounds: 11) == 2)
        #expect(PairedRatio.orderStatistic(rounds: 12) == 3)
        #expect(PairedRatio.orderStatistic(rounds: 20) == 6)
    }

    /// Ratios pair each round's rates: a slow spell that halves both runs of round 2 leaves its
    /// ratio alone, where the ratio of the two median rates (100 / 100) would say 1.
    @Test func ratiosPairTheRounds() throws {
        let r = try #require(PairedRatio(oursRates: [100, 50, 100], theirRates: [200, 100, 100]))
        #expect(r.perRound == [0.5, 0.5, 1])
        #expect(r.median == 0.5 && r.low == 0.5 && r.high == 1 && r.coverage == 0.75)
        #expect(r.text == "0.50× (0.50–1.00)")
    }

    /// Nine rounds: the interval is the 2nd and 8th of the sorted ratios; an even count's median
    /// is the mean of the middle two.
    @Test func intervalIsTheChosenOrderStatistics() {
        let nine = PairedRatio(ratios: [9, 1, 8, 2, 7, 3, 6, 4, 5])
        let nineCoverage: Double = 1 - 20.0 / 512, fourCoverage: Double = 1 - 2.0 / 16
        #expect(nine.median == 5 && nine.low == 2 && nine.high == 8)
        #expect(nine.coverage == nineCoverage)
        let four = PairedRatio(ratios: [4, 1, 3, 2])
        #expect(four.median == 2.5 && four.low == 1 && four.high == 4)
        #expect(four.coverage == fourCoverage)
        #expect(nine.perRound == [9, 1, 8, 2, 7, 3, 6, 4, 5])
    }

    @Test func unpairableRatesGiveNoRatio() {
        #expect(PairedRatio(oursRates: [], theirRates: []) == nil)
        #expect(PairedRatio(oursRates: [1, 2], theirRates: [1]) == nil)
        #expect(PairedRatio(oursRates: [1, 0], theirRates: [1, 1]) == nil)
        #expect(PairedRatio(oursRates: [1, 1], theirRates: [.infinity, 1]) == nil)
        #expect(PairedRatio(oursRates: [1, .nan], theirRates: [1, 1]) == nil)
    }
}
