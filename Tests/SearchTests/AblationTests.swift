import Datasets
import Foundation
import NN
import ReferenceBackend
import Search
import TensorCore
import Testing
import _TestSupport

/// `--ablate`: each switch restores exactly the rule its correction replaced, and nothing else.
@Suite struct AblationTests {
    let backend = ReferenceBackend()

    static func search(steps: Int, ablations: [DMSAblation]?) throws -> DMSSearch {
        let data = try stripesDataset(count: 64)
        let a = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 4)
        var config = DMSConfiguration()
        config.steps = steps; config.batchSize = 16; config.augment = false; config.seed = 5
        config.structureLearningRate = 0.05; config.decayFraction = 0.5
        config.ablations = ablations
        return try DMSSearch(
            network: try Network(a, backend: ReferenceBackend(), seed: 5), train: data, normalization: nil,
            resource: .macs, target: 0.4 * Double(a.resources.macs), configuration: config)
    }

    /// ratio-start: `a` starts at 1/(2N) and is clamped from there; the upper clamp is unchanged
    /// and a single element that must stay is still held at 0.
    @Test func ratioStartRestoresTheHalfElementFloor() throws {
        for n in [2, 7, 31, 93] {
            let unit = try TopKUnit(key: .mlp(0), size: n, lambda: Float(n), halfElementStart: true, backend: backend)
            let floor = 1 / (2 * Float(n))
            #expect(try unit.ratioValue() == floor, "N \(n)")
            try unit.setRatio(0)
            #expect(try unit.ratioValue() == floor)
            try unit.setRatio(5)
            #expect(try unit.ratioValue() == 1 - floor)
        }
        let single = try TopKUnit(key: .depth(0), size: 1, lambda: 4, halfElementStart: true, backend: backend)
        #expect(try single.ratioValue() == 0)
        let search = try Self.search(steps: 1, ablations: [.ratioStart])
        for unit in search.units { #expect(try unit.ratioValue() == 1 / (2 * Float(unit.size)), "\(unit.key)") }
        let fixed = try Self.search(steps: 1, ablations: nil)
        for unit in fixed.units { #expect(try unit.ratioValue() == 0, "\(unit.key)") }
    }

    /// depth-freeze: depth ratios keep moving after the decay phase and depth masks stay soft.
    @Test func depthFreezeAblationKeepsDepthLearning() throws {
        let search = try Self.search(steps: 12, ablations: [.depthFreeze])
        var ratios: [[Float]] = []
        try search.run { _ in ratios.append(try search.units.filter(\.key.isDepth).map { try $0.ratioValue() }) }
        #expect((0..<12).allSatisfy { !search.depthFrozen(at: $0) })
        // Without the ablation depth freezes at step 6 (MethodRulesTests); here it moves on.
        #expect((6..<12).contains { ratios[$0] != ratios[5] }, "depth ratios did not move after the decay phase")
        let masks = try search.units.filter(\.key.isDepth).flatMap { try backend.download($0.mask!.value) }
        #expect(masks.contains { $0 != 0 && $0 != 1 }, "depth masks are hard: \(masks)")
    }

    /// stream-once: scaling where the stream is written puts `m` on the stem output and on each
    /// of stage 0's two block outputs, so in `streamScaledLogits`'s network a stream-0 mask of s
    /// scales `logits − bias` by s³ (s with the corrected rule).
    @Test func streamAblationScalesEveryBlockOutput() throws {
        func logits(scale: Float) throws -> [Double] { try streamScaledLogits(scale: scale, afterEveryBlock: true, backend: backend) }
        let full = try logits(scale: 1), half = try logits(scale: 0.5), none = try logits(scale: 0)
        let expected = zip(full, none).map { 0.125 * ($0 - $1) }
        #expect(expected.contains { abs($0) > 1e-4 }, "the logits do not depend on the stream")
        assertClose(zip(half, none).map { $0 - $1 }, expected, atol: 1e-6, rtol: 1e-4, "logits − bias at mask 0.5 vs 0.5³·(at mask 1)")
    }

    /// With hard 0/1 stream masks both rules compute the same network, exactly.
    @Test func streamRulesAgreeOnHardMasks() throws {
        let input = Architecture.Input(channels: 1, height: 8, width: 8)
        let a = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: input, classes: 4)
        let network = try Network(a, backend: backend, seed: 4)
        var rng = SeededRandom(seed: 6)
        let x = try backend.upload(rng.uniform(3 * 64), shape: [3, 1, 8, 8])
        func logits(afterEveryBlock: Bool) throws -> [Float] {
            var masks = NetworkMasks()
            masks.streamAfterEveryBlock = afterEveryBlock
            masks.stream[0] = Variable(try backend.upload([1, 0, 1, 1], shape: [4]))
            masks.stream[1] = Variable(try backend.upload([0, 1, 1, 0, 1, 1, 1, 1], shape: [8]))
            let tape = Tape(backend: backend, training: true)
            return try backend.download(network.forward(tape.constant(x), on: tape, masks: masks).value)
        }
        #expect(try logits(afterEveryBlock: true) == logits(afterEveryBlock: false))
    }

    /// The search passes the stream ablation to its masks: the first step's loss differs.
    @Test func searchUsesTheStreamAblation() throws {
        let fixed = try Self.search(steps: 1, ablations: nil), ablated = try Self.search(steps: 1, ablations: [.streamOnce])
        let batch = fixed.loader.batches(epoch: 0, startingAt: 0).first { _ in true }!
        let a = try fixed.runStep(batch).taskLoss, b = try ablated.runStep(batch).taskLoss
        #expect(a != b, "task loss \(a) with either stream rule")
    }
}
