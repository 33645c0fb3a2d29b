import Datasets
import Foundation
import NN
import ReferenceBackend
import Search
import TensorCore
import Testing
import _TestSupport

/// The DMS rules of `shared/dms-method.md` as corrected: the start and clamp of `a`, the hard
/// keep rule `m > 0.5`, the reachable minimum, the depth freeze and consumer-side stream masks.
@Suite struct MethodRulesTests {
    let backend = ReferenceBackend()

    /// `a` starts at 0 and is clamped to [0, 1 − 1/(2N)] (one element always stays); a unit that
    /// may lose every element clamps to [0, 1]; a single element that must stay is held at 0.
    @Test func ratioStartsAtZeroAndClampsToKeepOne() throws {
        for n in [2, 7, 31, 93] {
            let unit = try TopKUnit(key: .mlp(0), size: n, lambda: Float(n), backend: backend)
            let start = try unit.ratioValue()
            #expect(start == 0, "N \(n) starts at \(start)")
            try unit.setRatio(-0.3)
            #expect(try unit.ratioValue() == 0)
            try unit.setRatio(5)
            let top = try unit.ratioValue()
            #expect(top == 1 - 1 / (2 * Float(n)))
            #expect(TopKUnit.keptCount(size: n, ratio: top) == 1, "N \(n): the clamp keeps exactly one")
        }
        #expect(TopKUnit.upperBound(size: 4, minimumKept: 0) == 1)
        #expect(TopKUnit.keptCount(size: 4, ratio: 1) == 0)
        #expect(TopKUnit.upperBound(size: 1, minimumKept: 1) == 0)
        #expect(TopKUnit.upperBound(size: 1, minimumKept: 0) == 1)
    }

    /// The keep rule `m > 0.5` on the real mask gives exactly N − ⌊a·N⌋ kept, also at a = k/N
    /// (the element with c' = a has m = 0.5 exactly and is removed), and `keptCount` agrees.
    @Test(arguments: [2, 7, 10, 31, 93])
    func keptCountIsExactAtGridRatios(n: Int) throws {
        var rng = SeededRandom(seed: UInt64(n))
        let importance = try backend.upload(rng.uniform(n), shape: [n])
        let normalized = try backend.rankNormalize(importance)
        for k in 0..<n {
            for a in [Float(Double(k) / Double(n)), Float(Double(k) / Double(n) + 0.3 / Double(n))] {
                for lambda in [Float(n), 4 * Float(n)] {
                    let m = try backend.download(
                        backend.softMask(normalized: normalized, ratio: backend.upload([a], shape: [1]), lambda: lambda))
                    let kept = m.filter(TopKUnit.keeps).count
                    #expect(kept == n - k, "N \(n) a \(a) λ \(lambda): kept \(kept)")
                    #expect(TopKUnit.keptCount(size: n, ratio: a) == kept)
                }
            }
        }
    }

    /// The minimum resource is the smallest network the clamps allow, and a target just below it
    /// is refused before any work while the minimum itself is accepted.
    @Test func minimumIsTheClampedSmallestNetwork() throws {
        let input = Architecture.Input(channels: 1, height: 8, width: 8)
        let a = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: input, classes: 4)  // 2-2-2 blocks
        let space = SearchSpace(a)
        let model = ResourceModel(space: space, kind: .macs)
        // Stage 0 (identity blocks only) keeps one block; stages 1 and 2 keep their projection block.
        #expect(space.minimumKept(of: .depth(0)) == 1)
        #expect(space.minimumKept(of: .depth(1)) == 0)
        var widths: [UnitKey: Int] = [:]
        for (key, _) in space.units where !key.isDepth { widths[key] = 1 }
        let smallest = try space.architecture(widths: widths, blocks: [0: [1], 1: [0], 2: [0]])
        #expect(model.minimum == Double(smallest.resources.macs))
        #expect(throws: SearchError.self) { try model.checkReachable(model.minimum - 1) }
        try model.checkReachable(model.minimum)
        try model.checkReachable(model.full)
        #expect(throws: SearchError.self) { try model.checkReachable(model.full + 1) }
    }

    static func resnetSearch(steps: Int, target: Double, decayFraction: Double = 0.5) throws -> DMSSearch {
        let data = try stripesDataset(count: 64)
        let a = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 4)
        var config = DMSConfiguration()
        config.steps = steps; config.batchSize = 16; config.augment = false; config.seed = 5
        config.structureLearningRate = 0.05; config.decayFraction = decayFraction
        return try DMSSearch(
            network: try Network(a, backend: ReferenceBackend(), seed: 5), train: data, normalization: nil,
            resource: .macs, target: target * Double(a.resources.macs), configuration: config)
    }

    /// After the decay phase depth ratios no longer change and depth masks are exactly 0 or 1;
    /// width ratios keep moving.
    @Test func depthFreezesWhenTheTargetStopsFalling() throws {
        let search = try Self.resnetSearch(steps: 12, target: 0.4)
        var ratios: [[Float]] = []
        try search.run { _ in ratios.append(try search.units.filter(\.key.isDepth).map { try $0.ratioValue() }) }
        let freeze = (0..<12).first { search.depthFrozen(at: $0) }!
        #expect(freeze == 6)
        // Ratios recorded after step s; the update of step `freeze` and later is skipped.
        for s in freeze..<12 { #expect(ratios[s] == ratios[freeze - 1], "depth ratios moved at step \(s)") }
        for unit in search.units where unit.key.isDepth {
            let m = try ReferenceBackend().download(unit.mask!.value)
            #expect(m.allSatisfy { $0 == 0 || $0 == 1 }, "\(unit.key) mask \(m)")
        }
        #expect(!ratios[0..<freeze].allSatisfy { $0 == [0, 0, 0] }, "depth ratios never moved before the freeze")
    }

    /// The widths chart and table mark a block the depth unit removed: no bar, "(removed)".
    @Test func widthsChartMarksRemovedBlocks() throws {
        let search = try Self.resnetSearch(steps: 1, target: 0.9)
        let depth = try #require(search.units.first { $0.key == .depth(0) })
        try backend.copy(backend.upload([0, 1], shape: [2]), into: depth.importance)
        try depth.setRatio(0.75)  // N = 2: keeps 2 − ⌊1.5⌋ = 1 block
        for unit in search.units { try unit.makeMask() }
        let rows = try SearchCharts.widthRows(search: search, base: search.network.architecture)
        let removed = rows.filter(\.blockRemoved)
        #expect(removed.map(\.unit) == ["stage0.block0.hidden"], "\(rows)")
        #expect(removed.allSatisfy { $0.searched == 0 })
        #expect(rows.filter { !$0.blockRemoved }.allSatisfy { $0.searched > 0 })
        let svg = SearchCharts.widthsSVG(rows, title: "t")
        #expect(svg.contains("stage0.block0.hidden (removed)"))
        #expect(LayerWidths.depths(try search.exportArchitecture()) == "1-2-2")
    }

    /// A MobileNetV2 stage with one identity block (a single-element depth unit) starts kept: the
    /// export at step 0 is the whole supernet.
    @Test func singleBlockDepthUnitsStartKept() throws {
        let input = Architecture.Input(channels: 1, height: 8, width: 8)
        let a = Architecture.smallMobileNetV2(widthMultiplier: 0.25, input: input, classes: 4)
        let data = try stripesDataset(count: 32)
        var config = DMSConfiguration()
        config.steps = 1; config.batchSize = 16; config.augment = false
        let search = try DMSSearch(
            network: try Network(a, backend: backend, seed: 1), train: data, normalization: nil,
            resource: .macs, target: 0.9 * Double(a.resources.macs), configuration: config)
        #expect(search.units.contains { $0.key.isDepth && $0.size == 1 }, "no single-block stage in \(LayerWidths.depths(a))")
        for unit in search.units { try unit.makeMask() }
        #expect(LayerWidths.depths(try search.exportArchitecture()) == LayerWidths.depths(a))
    }

    /// Stream masks act once where the stream is read. With stage 0's residual branches removed
    /// (depth masks 0) its stream is the stem output; in inference mode at initialization (batch
    /// norm with mean 0, variance 1, β = 0; bias-free convolutions; ReLU) everything after it is
    /// positively homogeneous, so scaling the stream-0 mask by s scales `logits − bias` by s. Masking
    /// after every block (the old rule) would scale it by s³ here.
    @Test func streamMaskActsOnce() throws {
        func logits(scale: Float) throws -> [Double] { try streamScaledLogits(scale: scale, afterEveryBlock: false, backend: backend) }
        let full = try logits(scale: 1), half = try logits(scale: 0.5), none = try logits(scale: 0)
        let expected = zip(full, none).map { 0.5 * ($0 - $1) }
        let got = zip(half, none).map { $0 - $1 }
        #expect(expected.contains { abs($0) > 1e-3 }, "the logits do not depend on the stream")
        assertClose(got, expected, atol: 1e-6, rtol: 1e-4, "logits − bias at mask 0.5 vs 0.5·(at mask 1)")
    }
}
