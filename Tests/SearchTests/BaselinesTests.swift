import NN
import Search
import Testing

/// The baselines of the comparison: uniform scaling within ±1% and random architectures of the
/// search space within ±2% of a resource, deterministic by seed.
@Suite struct BaselinesTests {
    static let base = Architecture.cifarResNet(depth: 20, input: .init(channels: 1, height: 28, width: 28), classes: 10)

    @Test(arguments: [0.25, 0.5, 0.8])
    func uniformScalingLandsWithinOnePercent(fraction: Double) {
        let value = fraction * ResourceKind.macs.value(of: Self.base)
        let scaled = UniformScaling.matching(Self.base, resource: .macs, value: value)
        let got = ResourceKind.macs.value(of: scaled)
        #expect(abs(got - value) / value <= 0.01, "\(got) vs \(value)")
        #expect(LayerWidths.depths(scaled) == "3-3-3")
    }

    @Test func randomArchitecturesAreInTheSpaceAtEqualResource() throws {
        let supernet = Self.base.scaled(width: 1.25, depth: 5.0 / 3)
        let space = SearchSpace(supernet)
        let value = 0.25 * ResourceKind.macs.value(of: Self.base)
        var seen = Set<String>()
        for seed: UInt64 in 1...6 {
            let a = try RandomArchitecture.sample(from: space, resource: .macs, value: value, seed: seed)
            #expect(abs(ResourceKind.macs.value(of: a) - value) / value <= 0.02)
            #expect(a == (try RandomArchitecture.sample(from: space, resource: .macs, value: value, seed: seed)), "not deterministic")
            for (s, stage) in a.stages.enumerated() {
                #expect(stage.blocks.count >= 1 && stage.blocks.count <= supernet.stages[s].blocks.count)
                #expect(stage.width <= supernet.stages[s].width && stage.blocks.allSatisfy { $0.hidden <= supernet.stages[s].width })
            }
            seen.insert("\(LayerWidths.of(a))")
        }
        #expect(seen.count == 6, "random draws repeat")
        #expect(throws: SearchError.self) { try RandomArchitecture.sample(from: space, resource: .macs, value: 1e12, seed: 1) }
    }
}
