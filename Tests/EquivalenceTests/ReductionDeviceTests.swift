import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Device reductions too large for the reference backend, checked against known exact sums,
/// and the device's errors for bad pooling, loss and reduction inputs (they must equal the
/// reference backend's, message included).
@Suite("OpenCL reductions and errors", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct ReductionDeviceTests {
    static let n = 10_000_000

    @Test func tenMillionOnesSumExactly() throws {
        let device = try SharedBackends.requireOpenCL()
        // Every partial sum is an integer below 2^24, so any summation order is exact.
        let x = try device.upload([Float](repeating: 1, count: Self.n), shape: [Self.n])
        #expect(try device.download(device.sum(x, axes: [0])) == [Float(Self.n)])
        let grid = try x.reshaped([100, 1000, 100])
        let middle = try device.sum(grid, axes: [0, 2])
        #expect(middle.shape == [1000])
        #expect(try device.download(middle) == [Float](repeating: 10_000, count: 1000))
    }

    @Test func tenMillionTenthsSumAccurately() throws {
        let device = try SharedBackends.requireOpenCL()
        // 10⁷ copies of fl(0.1): exactly 1000000.0149… A running Float sum gives 1087937
        // (9% off). Kahan per work-item plus a pairwise tree stays within a few ulp of the
        // result: rtol 1e-6 (≈ 16 ulp at 10⁶).
        let x = try device.upload([Float](repeating: 0.1, count: Self.n), shape: [Self.n])
        let exact = Double(Self.n) * Double(Float(0.1))
        let total = try device.download(device.sum(x, axes: [0]))
        assertClose(total, [Float(exact)], rtol: 1e-6, "sum of 10^7 tenths")
        let mean = try device.download(device.mean(x, axes: [0]))
        assertClose(mean, [Float(exact / Double(Self.n))], rtol: 1e-6, "mean of 10^7 tenths")
        // The same values as 1000 rows of 10⁴ and as columns of 10⁴ rows × 1000.
        let rows = try device.download(device.sum(x.reshaped([1000, 10_000]), axes: [1]))
        assertClose(rows, [Float](repeating: Float(exact / 1000), count: 1000), rtol: 1e-6, "row sums")
        let columns = try device.download(device.sum(x.reshaped([10_000, 1000]), axes: [0]))
        assertClose(columns, [Float](repeating: Float(exact / 1000), count: 1000), rtol: 1e-6, "column sums")
    }

    @Test func longColumnsOfFewOutputs() throws {
        let device = try SharedBackends.requireOpenCL()
        // x[i, j] = j + 1 over 10⁶ rows: column sums 10⁶·(j + 1), all partials integers < 2^24.
        let rows = 1_000_000
        let values = (0..<(rows * 3)).map { Float($0 % 3 + 1) }
        let x = try device.upload(values, shape: [rows, 3])
        #expect(try device.download(device.sum(x, axes: [0])) == [1_000_000, 2_000_000, 3_000_000])
        #expect(try device.download(device.mean(x, axes: [0])) == [1, 2, 3])
    }

    @Test func globalAvgPoolOfLargePlanes() throws {
        let device = try SharedBackends.requireOpenCL()
        // Plane p of [2, 3, 512, 512] holds the value p − 2 everywhere; its mean is exactly that.
        let area = 512 * 512
        let values = (0..<(6 * area)).map { Float($0 / area - 2) }
        let y = try device.globalAvgPool(device.upload(values, shape: [2, 3, 512, 512]))
        #expect(try device.download(y) == [-2, -1, 0, 1, 2, 3])
    }

    // MARK: Errors match the reference

    /// The error `body` throws on `backend`, or nil.
    static func error(on backend: any Backend, _ body: (any Backend) throws -> Void) -> TensorError? {
        do { try body(backend) } catch let error as TensorError { return error } catch { return nil }
        return nil
    }

    static let badInputs: [(String, @Sendable (any Backend) throws -> Void)] = [
        (
            "label out of range",
            { b in
                _ = try b.softmaxCrossEntropy(logits: b.zeros([2, 3]), labels: b.upload([0, 3], shape: [2]))
            }
        ),
        (
            "non-integer label",
            { b in
                _ = try b.softmaxCrossEntropyBackward(probabilities: b.zeros([2, 3]), labels: b.upload([1.5, 0], shape: [2]), upstream: 1)
            }
        ),
        (
            "NaN label",
            { b in
                _ = try b.softmaxCrossEntropy(logits: b.zeros([1, 3]), labels: b.upload([.nan], shape: [1]))
            }
        ),
        (
            "labels shape",
            { b in
                _ = try b.softmaxCrossEntropy(logits: b.zeros([2, 3]), labels: b.zeros([3]))
            }
        ),
        ("argmax rank", { b in _ = try b.argmax(b.zeros([4])) }),
        ("unsorted axes", { b in _ = try b.sum(b.zeros([2, 3]), axes: [1, 0]) }),
        ("axis out of range", { b in _ = try b.mean(b.zeros([2, 3]), axes: [2]) }),
        ("pool padding", { b in _ = try b.maxPool2d(b.zeros([1, 1, 4, 4]), params: Pool2dParams(kernel: 2, stride: 1, padding: 2)) }),
        (
            "pool dy shape",
            { b in
                _ = try b.avgPool2dBackward(
                    b.zeros([1, 1, 3, 3]), inputShape: [1, 1, 4, 4], params: Pool2dParams(kernel: 2, stride: 2),
                    countIncludePad: false)
            }
        ),
        ("global pool rank", { b in _ = try b.globalAvgPool(b.zeros([2, 3, 4])) }),
    ]

    @Test func deviceThrowsTheReferenceErrors() throws {
        let device = try SharedBackends.requireOpenCL()
        for (name, body) in Self.badInputs {
            let expected = Self.error(on: SharedBackends.reference, body)
            #expect(expected != nil, "\(name): the reference did not throw a TensorError")
            #expect(Self.error(on: device, body) == expected, "\(name)")
        }
    }
}
