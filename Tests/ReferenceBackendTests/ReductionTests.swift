import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference sum and mean: hand values over each axis set, result shapes, empty inputs,
/// accuracy of long sums, and axis errors.
@Suite("Reference reductions")
struct ReductionTests {
    let backend = SharedBackends.reference

    @Test func sumAndMeanOfAMatrix() throws {
        let x = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let columns = try backend.sum(x, axes: [0])
        #expect(columns.shape == [3])
        #expect(try backend.download(columns) == [5, 7, 9])
        let rows = try backend.sum(x, axes: [1])
        #expect(rows.shape == [2])
        #expect(try backend.download(rows) == [6, 15])
        let all = try backend.sum(x, axes: [0, 1])
        #expect(all.shape == [])
        #expect(try backend.download(all) == [21])
        let none = try backend.sum(x, axes: [])
        #expect(none.shape == [2, 3])
        #expect(try backend.download(none) == [1, 2, 3, 4, 5, 6])
        #expect(try backend.download(backend.mean(x, axes: [0])) == [2.5, 3.5, 4.5])
        #expect(try backend.download(backend.mean(x, axes: [1])) == [2, 5])
        #expect(try backend.download(backend.mean(x, axes: [0, 1])) == [3.5])
        #expect(try backend.mean(x, axes: [0, 1]).shape == [])
    }

    @Test func nonAdjacentAxesOfARank3Tensor() throws {
        // x[a, b, c] = 100a + 10b + c for a < 2, b < 3, c < 2.
        var values: [Float] = []
        for a in 0..<2 { for b in 0..<3 { for c in 0..<2 { values.append(Float(100 * a + 10 * b + c)) } } }
        let x = try backend.upload(values, shape: [2, 3, 2])
        // Σ_{a,c} = (0 + 100)·2 + 20b + (0 + 1)·2 = 202 + 40b.
        let y = try backend.sum(x, axes: [0, 2])
        #expect(y.shape == [3])
        #expect(try backend.download(y) == [202, 242, 282])
        // Σ_b = 300a + 30 + 3c; mean over b = 100a + 10 + c.
        let m = try backend.mean(x, axes: [1])
        #expect(m.shape == [2, 2])
        #expect(try backend.download(m) == [10, 11, 110, 111])
    }

    @Test func scalarsAndEmptyInputs() throws {
        let scalar = try backend.upload([4.5], shape: [])
        #expect(try backend.download(backend.sum(scalar, axes: [])) == [4.5])
        let empty = try backend.zeros([2, 0])
        let rowSums = try backend.sum(empty, axes: [1])
        #expect(rowSums.shape == [2])
        #expect(try backend.download(rowSums) == [0, 0])
        #expect(try backend.download(backend.mean(empty, axes: [1])).allSatisfy(\.isNaN))
        #expect(try backend.sum(empty, axes: [0]).shape == [0])
    }

    @Test func longSumsAreAccurate() throws {
        // 10⁶ copies of fl(0.1): the exact sum is 10⁶·fl(0.1) = 100000.00149…; a running Float
        // sum drifts to about 100958.
        let n = 1_000_000
        let x = try backend.upload([Float](repeating: 0.1, count: n), shape: [n])
        let exact = Double(n) * Double(Float(0.1))
        #expect(try backend.download(backend.sum(x, axes: [0])) == [Float(exact)])
        #expect(try backend.download(backend.mean(x, axes: [0])) == [Float(exact) / Float(n)])
    }

    @Test func badAxesThrow() throws {
        let x = try backend.zeros([2, 3, 4])
        for axes in [[1, 0], [1, 1], [3], [-1], [0, 1, 2, 3]] {
            #expect(throws: TensorError.self, "axes \(axes)") { try backend.sum(x, axes: axes) }
            #expect(throws: TensorError.self, "axes \(axes)") { try backend.mean(x, axes: axes) }
        }
        #expect(throws: TensorError.shape("sum: axes must be sorted and distinct, got [2, 0]")) { try backend.sum(x, axes: [2, 0]) }
        #expect(throws: TensorError.shape("mean: axis 5 is out of range for a rank-3 input [2, 3, 4]")) {
            try backend.mean(x, axes: [5])
        }
    }
}
