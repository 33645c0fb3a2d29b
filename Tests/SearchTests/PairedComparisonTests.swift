import Search
import Testing

/// The statistics of the report against values computed by hand.
@Suite struct PairedComparisonTests {
    @Test func intervalAndVerdicts() {
        // d = [0.5, 0.3, 0.4]: mean 0.4, sd 0.1, t(0.975, 2) = 4.303 → half-width 4.303·0.1/√3 = 0.24843.
        let c = PairedComparison([91.5, 91.3, 91.4], [91.0, 91.0, 91.0])
        #expect(abs(c.mean - 0.4) < 1e-12 && abs(c.standardDeviation - 0.1) < 1e-12)
        let half = 4.303 * 0.1 / 3.0.squareRoot()
        #expect(abs(c.interval!.lowerBound - (0.4 - half)) < 1e-9 && abs(c.interval!.upperBound - (0.4 + half)) < 1e-9)
        #expect(c.verdict == .ahead)
        #expect(PairedComparison([1, 2, 3], [2, 3, 4.5]).verdict == .behind)
        #expect(PairedComparison([1, 2, 3], [1.5, 1.5, 3.2]).verdict == .withinNoise)
        #expect(PairedComparison([1], [0]).verdict == .noInterval)
        #expect(PairedComparison.tQuantile975(degreesOfFreedom: 1) == 12.706)
        #expect(abs(PairedComparison.tQuantile975(degreesOfFreedom: 60) - 2.000) < 0.003)
        #expect(Summary([2, 4, 4, 4, 5, 5, 7, 9]).mean == 5)
        #expect(abs(Summary([2, 4, 4, 4, 5, 5, 7, 9]).standardDeviation - 2.1380899352993950) < 1e-12)
    }
}
