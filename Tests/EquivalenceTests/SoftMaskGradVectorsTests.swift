import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// The soft mask's ratio gradient with each count of float16 vectors per work-item
/// (`GRAD_VECTORS`: 1, the 256-element groups, up to 16): exact on terms whose every partial sum
/// is an integer, so any lost, repeated or misplaced element (a tail vector, a group boundary, a
/// wrong group count) changes the result, at sizes on both sides of each group span.
@Suite("Soft mask ratio gradient: vectors per work-item")
struct SoftMaskGradVectorsTests {
    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func everyVectorCountSumsExactly() throws {
        let device = try SharedBackends.requireOpenCL().device
        let backend = try OpenCLBackend(device: device)
        var rng = SeededRandom(seed: 2049)
        let sizes = [1, 7, 31, 93, 255, 256, 257, 2047, 2048, 2049, 4097, 100_003]
        for n in sizes {
            // m ∈ {0, ½, 1}: with λ = 4 each term is −g exactly where m = ½ and 0 elsewhere.
            let m = (0..<n).map { _ in [Float(0), 0.5, 1][Int.random(in: 0...2, using: &rng)] }
            let g = rng.integers(n, in: -50...50)
            let expected = -zip(m, g).reduce(Float(0)) { $0 + ($1.0 == 0.5 ? $1.1 : 0) }
            let mask = try backend.upload(m, shape: [n]), gradMask = try backend.upload(g, shape: [n])
            for vectors in [1, 2, 8, 16, nil] as [Int?] {
                backend.topKGradVectorsOverride = vectors
                let trace = LaunchTrace()
                backend.launchTrace = trace
                let got = try backend.download(backend.softMaskGradRatio(mask: mask, gradMask: gradMask, lambda: 4))
                backend.launchTrace = nil
                let label = "N \(n), \(vectors.map(String.init) ?? "plan's") vectors"
                #expect(got == [expected], "\(label)")
                let used = vectors ?? backend.launchPlan.topKGradVectors
                let partial = trace.launches(of: "soft_mask_grad_ratio_partial")
                #expect(partial.count == 1 && partial.first?.defines["GRAD_VECTORS"] == "\(used)", "\(label)")
                let span = 16 * 16 * used
                #expect(partial.first?.global == [(n + span - 1) / span * 16], "\(label)")
            }
        }
        #expect(backend.launchPlan.topKGradVectors == 8)
    }
}
