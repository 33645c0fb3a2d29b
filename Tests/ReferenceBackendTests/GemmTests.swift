import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// The reference matrix multiply and bias add: hand-computed products in every layout, α/β,
/// batching with shared operands, and shape errors.
@Suite("Reference gemm")
struct GemmTests {
    let backend = SharedBackends.reference

    // A = [[1, 2, 3], [4, 5, 6]], B = [[7, 8], [9, 10], [11, 12]]: A·B = [[58, 64], [139, 154]]
    // (58 = 1·7 + 2·9 + 3·11, 64 = 1·8 + 2·10 + 3·12, 139 = 4·7 + 5·9 + 6·11, 154 = 4·8 + 5·10 + 6·12).
    static let a: [Float] = [1, 2, 3, 4, 5, 6]
    static let aT: [Float] = [1, 4, 2, 5, 3, 6]  // Aᵀ stored [3, 2]
    static let b: [Float] = [7, 8, 9, 10, 11, 12]
    static let bT: [Float] = [7, 9, 11, 8, 10, 12]  // Bᵀ stored [2, 3]
    static let product: [Float] = [58, 64, 139, 154]

    func multiply(
        _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], c: [Float], _ cShape: [Int],
        transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) throws -> [Float] {
        let cTensor = try backend.upload(c, shape: cShape)
        try backend.gemm(
            backend.upload(a, shape: aShape), backend.upload(b, shape: bShape), into: cTensor,
            transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        return try backend.download(cTensor)
    }

    @Test func twoByThreeTimesThreeByTwoInEveryLayout() throws {
        let zeros = [Float](repeating: 0, count: 4)
        #expect(try multiply(Self.a, [2, 3], Self.b, [3, 2], c: zeros, [2, 2]) == Self.product)
        #expect(try multiply(Self.aT, [3, 2], Self.b, [3, 2], c: zeros, [2, 2], transposeA: true) == Self.product)
        #expect(try multiply(Self.a, [2, 3], Self.bT, [2, 3], c: zeros, [2, 2], transposeB: true) == Self.product)
        #expect(try multiply(Self.aT, [3, 2], Self.bT, [2, 3], c: zeros, [2, 2], transposeA: true, transposeB: true) == Self.product)
        // B·A is 3×3: row 0 = 7·[1, 2, 3] + 8·[4, 5, 6].
        let ba = try multiply(Self.b, [3, 2], Self.a, [2, 3], c: [Float](repeating: 0, count: 9), [3, 3])
        #expect(ba == [39, 54, 69, 49, 68, 87, 59, 82, 105])
    }

    @Test func alphaAndBetaScaleProductAndAccumulator() throws {
        let c0: [Float] = [1, -1, 2, 0.5]
        let scaled = try multiply(Self.a, [2, 3], Self.b, [3, 2], c: c0, [2, 2], alpha: 2, beta: 3)
        // 2·[58, 64, 139, 154] + 3·[1, −1, 2, 0.5]
        let expected: [Float] = [119, 125, 284, 309.5]
        #expect(scaled == expected)
        // β = 1, α = −1: C − A·B.
        #expect(try multiply(Self.a, [2, 3], Self.b, [3, 2], c: c0, [2, 2], alpha: -1, beta: 1) == [-57, -65, -137, -153.5])
    }

    @Test func betaZeroIgnoresNaNInC() throws {
        let nan = [Float](repeating: .nan, count: 4)
        #expect(try multiply(Self.a, [2, 3], Self.b, [3, 2], c: nan, [2, 2], alpha: 0.5, beta: 0) == Self.product.map { $0 / 2 })
        // β ≠ 0 does read C: NaN propagates.
        let read = try multiply(Self.a, [2, 3], Self.b, [3, 2], c: nan, [2, 2], beta: 1)
        #expect(read.allSatisfy { $0.isNaN })
    }

    @Test func emptyInnerDimensionLeavesBetaTimesC() throws {
        let c = try multiply([], [2, 0], [], [0, 3], c: [1, 2, 3, 4, 5, 6], [2, 3], alpha: 7, beta: -2)
        #expect(c == [-2, -4, -6, -8, -10, -12])
    }

    @Test func batchedWithSharedOperandsMatchesPerItemProducts() throws {
        // Batch item 1 of a is 2·A; b is shared: C[0] = A·B, C[1] = 2·A·B.
        let batchedA = Self.a + Self.a.map { $0 * 2 }
        let zeros = [Float](repeating: 0, count: 8)
        let c = try multiply(batchedA, [2, 2, 3], Self.b, [3, 2], c: zeros, [2, 2, 2])
        #expect(c == Self.product + Self.product.map { $0 * 2 })
        // a shared, b batched and transposed: item 1 of b is −Bᵀ.
        let batchedBT = Self.bT + Self.bT.map { -$0 }
        let d = try multiply(Self.a, [2, 3], batchedBT, [2, 2, 3], c: zeros, [2, 2, 2], transposeB: true)
        #expect(d == Self.product + Self.product.map { -$0 })
        // Both rank 2 with a batched C: every item receives the same product.
        let e = try multiply(Self.a, [2, 3], Self.b, [3, 2], c: zeros, [2, 2, 2])
        #expect(e == Self.product + Self.product)
    }

    @Test func addBiasAddsPerColumn() throws {
        let x = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let y = try backend.addBias(x, bias: backend.upload([10, 20, 30], shape: [3]))
        #expect(y.shape == [2, 3])
        #expect(try backend.download(y) == [11, 22, 33, 14, 25, 36])
    }

    // MARK: Errors

    @Test func mismatchedShapesThrow() throws {
        let a = try backend.upload(Self.a, shape: [2, 3])
        let b = try backend.upload(Self.b, shape: [3, 2])
        let c = try backend.zeros([2, 2])
        // Inner dimensions differ: op(a) is [2, 3] but op(b) = bᵀ is [2, 3].
        #expect(throws: TensorError.self) { try backend.gemm(a, b, into: c, transposeA: false, transposeB: true, alpha: 1, beta: 0) }
        #expect(throws: TensorError.self) { try backend.gemm(a, a, into: c, transposeA: false, transposeB: false, alpha: 1, beta: 0) }
        // C of the wrong shape, wrong rank, mismatched batch, batched operand with rank-2 C.
        #expect(throws: TensorError.self) {
            try backend.gemm(a, b, into: backend.zeros([2, 3]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
        }
        #expect(throws: TensorError.self) {
            try backend.gemm(a, b, into: backend.zeros([4]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
        }
        let a3 = try backend.zeros([3, 2, 3])
        #expect(throws: TensorError.self) {
            try backend.gemm(a3, b, into: backend.zeros([2, 2, 2]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
        }
        #expect(throws: TensorError.self) { try backend.gemm(a3, b, into: c, transposeA: false, transposeB: false, alpha: 1, beta: 0) }
        #expect(throws: TensorError.self) {
            try backend.gemm(backend.zeros([1, 2, 2, 3]), b, into: c, transposeA: false, transposeB: false, alpha: 1, beta: 0)
        }
        // C aliasing an operand.
        let square = try backend.zeros([2, 2])
        #expect(throws: TensorError.self) {
            try backend.gemm(square, square, into: square, transposeA: false, transposeB: false, alpha: 1, beta: 0)
        }
        // addBias: bias length, ranks.
        #expect(throws: TensorError.self) { try backend.addBias(a, bias: backend.zeros([2])) }
        #expect(throws: TensorError.self) { try backend.addBias(backend.zeros([6]), bias: backend.zeros([6])) }
        #expect(throws: TensorError.self) { try backend.addBias(a, bias: backend.zeros([1, 3])) }
    }

    @Test func errorMessageNamesGemmAndTheShapes() throws {
        let a = try backend.upload(Self.a, shape: [2, 3])
        do {
            try backend.gemm(a, a, into: backend.zeros([2, 3]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
            Issue.record("mismatched inner dimensions did not throw")
        } catch let error as TensorError {
            #expect(error.description.hasPrefix("gemm: inner dimensions differ"))
            #expect(error.description.contains("[2, 3]"))
        }
    }
}
