import Benchmarks
import OpenCLBackend
import TensorCore
import Testing
import _TestSupport

/// The official O(N²) normalization `c'_i = mean_j [c_j ≤ c_i]` (the topk comparator), checked
/// against its own definition — its ties differ from rankNormalize's — and the O(N)
/// certificate that checks our ranks at sizes the reference sort is slow for.
@Suite struct ComparisonMatrixTests {
    @Test func definitionByHand() {
        // 3 is ≥ all four; 1 only itself; each 2 is ≥ 1, 2, 2 (ties share the top count).
        #expect(ComparisonMatrix.definition([3, 1, 2, 2]) == [1, 0.25, 0.75, 0.75])
        // A NaN compares false both ways: its row is 0 and it counts in no row.
        #expect(ComparisonMatrix.definition([.nan, 1, 2]) == [0, Float(1) / 3, Float(2) / 3])
        // −0 and +0 are equal.
        #expect(ComparisonMatrix.definition([-0.0, 0.0]) == [1, 1])
    }

    @Test(arguments: [1, 2, 7, 93, 1025])
    func sortedCountsEqualTheDefinition(n: Int) {
        var rng = SeededRandom(seed: UInt64(n))
        var c = rng.integers(n, in: -5...5)  // many ties
        if n > 3 { c[1] = .nan; c[2] = .infinity; c[3] = -.infinity; c[0] = -0.0 }
        let definition = ComparisonMatrix.definition(c)
        #expect(ComparisonMatrix.sortedCounts(c) == definition)
    }

    @Test(
        .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)),
        arguments: [1, 7, 93, 1025, 3000])
    func deviceKernelMatchesTheDefinition(n: Int) throws {
        let backend = try SharedBackends.requireOpenCL()
        var rng = SeededRandom(seed: 100 + UInt64(n))
        var c = n % 2 == 0 ? rng.uniform(n) : rng.integers(n, in: -4...4)
        if n > 3 { c[0] = .nan; c[1] = -0.0; c[2] = 0.0 }
        let device = try backend.download(try backend.comparisonMatrixRankNormalize(try backend.upload(c, shape: [n])))
        let expected = ComparisonMatrix.definition(c)
        assertClose(device, expected, atol: ComparisonMatrix.tolerance.absolute, rtol: ComparisonMatrix.tolerance.relative, "n \(n)")
    }

    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func tooLargeAMatrixIsRefusedNotAttempted() throws {
        let backend = try SharedBackends.requireOpenCL()
        // N = 2³¹/4 + 1 elements would need > 2⁶⁰ bytes: refused before any allocation of the matrix.
        let n = Int(Double(backend.device.maxAllocationBytes / 4).squareRoot()) + 1
        let c = try backend.zeros([n])
        #expect(throws: TensorError.self) { _ = try backend.comparisonMatrixRankNormalize(c) }
    }

    @Test func certificateAcceptsExactlyTheStableRanks() throws {
        let c: [Float] = [0.5, .nan, 0.5, -1, 2, .nan, 0.0, -0.0]
        let reference = SharedBackends.reference
        let ranks = try reference.download(try reference.rankNormalize(try reference.upload(c, shape: [c.count])))
        #expect(RankCertificate.check(ranks: ranks, importance: c).passed)
        var swapped = ranks
        swapped.swapAt(0, 2)  // equal values, but ties go by index
        #expect(!RankCertificate.check(ranks: swapped, importance: c).passed)
        var duplicated = ranks
        duplicated[3] = duplicated[4]
        #expect(!RankCertificate.check(ranks: duplicated, importance: c).passed)
        var offGrid = ranks
        offGrid[0] += 0.01
        #expect(!RankCertificate.check(ranks: offGrid, importance: c).passed)
    }
}
