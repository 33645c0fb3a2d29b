import Datasets
import Foundation
import NN
import ReferenceBackend
import Search
import TensorCore
import Testing
import _TestSupport

/// `∂(L_task + λ_res·L_res)/∂a` as `DMSSearch.runStep` computes it, for every unit of a small
/// masked ResNet supernet (width units, a two-block depth unit, single-block depth units), against
/// central differences in Double of the same step's losses.
///
/// The task part is the difference of `runStep`'s own task loss at `a ± h` (weights are not
/// trained, so the loss is that of one fixed network and batch). The resource part is the
/// straight-through estimator's: `λ_res/r_hard · Σ_i G_i·m_i(a)` with `G_i = ∂r/∂m_i` at the hard
/// counts (the forward value is the hard resource, the gradient that of the soft sum), also
/// differenced at `a ± h` on the masks `runStep` made.
@Suite struct RatioGradientTests {
    static let architecture = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 4)

    static func makeSearch() throws -> DMSSearch {
        let data = try stripesDataset(count: 32)
        var config = DMSConfiguration()
        config.steps = 10; config.decayFraction = 0.6; config.batchSize = 16; config.augment = false; config.seed = 8
        config.trainWeights = false; config.resourceWeight = 2
        return try DMSSearch(
            network: try Network(architecture, backend: ReferenceBackend(), seed: 8), train: data, normalization: nil,
            resource: .macs, target: 0.05 * Double(architecture.resources.macs), configuration: config)
    }

    @Test func everyUnitsGradientMatchesFiniteDifferences() throws {
        let backend = ReferenceBackend()
        // A state in the middle of the decay phase (step 5 of 10: the target is below the hard
        // resource, so the resource loss is active), with distinct importances and a = 0.3.
        let start = try Self.makeSearch()
        var rng = SeededRandom(seed: 21)
        for unit in start.units {
            try backend.copy(backend.upload(rng.uniform(unit.size, in: 0.1...1), shape: [unit.size]), into: unit.importance)
            try unit.setRatio(0.3)
        }
        var checkpoint = try start.makeCheckpoint()
        checkpoint.metadata["step"] = "5"
        let batch = try #require(start.loader.batches(epoch: 0, startingAt: 0).first { _ in true })
        #expect(start.units.contains { $0.key.isDepth && $0.size == 1 } && start.units.contains { $0.key.isDepth && $0.size == 2 })

        func step(perturbing index: Int?, by delta: Float) throws -> (record: SearchStepRecord, search: DMSSearch) {
            let search = try Self.makeSearch()
            try search.restore(from: checkpoint)
            if let index { try search.units[index].setRatio(Float(0.3) + delta) }
            return (try search.runStep(batch), search)
        }
        let (base, baseSearch) = try step(perturbing: nil, by: 0)
        #expect(base.resourceLoss > 0, "the resource loss must be active (hard \(base.hardResource), target \(base.target))")
        // G = ∂r/∂m at the hard state of the unperturbed step.
        var counts: [UnitKey: Double] = [:], gates: [UnitKey: [Double]] = [:]
        for unit in baseSearch.units {
            let m = try backend.download(unit.mask!.value)
            if unit.key.isDepth {
                gates[unit.key] = m.map { TopKUnit.keeps($0) ? 1 : 0 }
            } else {
                counts[unit.key] = Double(m.filter(TopKUnit.keeps).count)
            }
        }
        let (hard, resourceGradient) = baseSearch.resourceModel.evaluate(counts: counts, gates: gates)
        #expect(hard == base.hardResource)
        let lambdaRes = Double(baseSearch.configuration.resourceWeight)
        for (index, unit) in baseSearch.units.enumerated() {
            // Small steps: the loss is piecewise smooth (ReLU kinks), so a wide step mixes in curvature.
            let h = Float(0.004) / unit.lambda
            let (up, upSearch) = try step(perturbing: index, by: h)
            let (down, downSearch) = try step(perturbing: index, by: -h)
            let delta = Double(Float(0.3) + h) - Double(Float(0.3) - h)
            let taskDifference = (Double(up.taskLoss) - Double(down.taskLoss)) / delta
            let mUp = try backend.download(upSearch.units[index].mask!.value),
                mDown = try backend.download(downSearch.units[index].mask!.value)
            let g = resourceGradient[unit.key]!
            var softSum = 0.0
            for i in 0..<unit.size { softSum += g[i] * (Double(mUp[i]) - Double(mDown[i])) }
            let softDifference = softSum / delta
            let numeric = taskDifference + lambdaRes / hard * softDifference
            let analytic = Double(try #require(base.ratioGradients[unit.key], "no gradient for \(unit.key)"))
            // The task loss is a Float sum over the batch (≈ 1e-6 absolute), divided by 2h.
            let atol = 4e-6 / delta + 1e-3 * abs(lambdaRes / hard * softDifference)
            assertClose([analytic], [numeric], atol: atol, rtol: 2e-2, "\(unit.key) (N \(unit.size))")
            #expect(hard == up.hardResource && hard == down.hardResource, "\(unit.key): a ± h moved a hard count")
        }
    }
}
