import NN
import Search
import Testing

@Suite struct ResourceModelTests {
    static let input = Architecture.Input(channels: 3, height: 12, width: 10)
    static let architectures: [(String, Architecture)] = {
        var bottleneck = Architecture.cifarResNet(depth: 14, baseWidth: 6, input: input, classes: 5)
        bottleneck.block = .bottleneck
        return [
            ("resnet", .cifarResNet(depth: 20, baseWidth: 8, input: input, classes: 5)),
            ("bottleneck", bottleneck),
            ("mobilenet", .smallMobileNetV2(widthMultiplier: 0.5, input: input, classes: 5)),
            ("mlp", .mlp(hidden: [9, 7], input: input, classes: 5)),
        ]
    }()

    /// With every element kept, the model equals the analytic count of the architecture.
    @Test(arguments: [0, 1, 2, 3])
    func fullModelMatchesArchitectureCount(index: Int) {
        let (_, a) = Self.architectures[index]
        let space = SearchSpace(a)
        #expect(ResourceModel(space: space, kind: .macs).full == Double(a.resources.macs))
        #expect(ResourceModel(space: space, kind: .parameters).full == Double(a.resources.parameters))
    }

    /// The gradient with respect to a unit's count is exact: resources are polynomials of degree ≤ 2
    /// in each count, so the central difference at step 1 is exact.
    @Test(arguments: [0, 1, 2, 3])
    func gradientMatchesCentralDifference(index: Int) {
        let (_, a) = Self.architectures[index]
        let space = SearchSpace(a)
        let model = ResourceModel(space: space, kind: .macs)
        var counts: [UnitKey: Double] = [:], gates: [UnitKey: [Double]] = [:]
        for (i, (key, size)) in space.units.enumerated() {
            if key.isDepth { gates[key] = (0..<size).map { Double(($0 + i) % 2) } } else { counts[key] = Double(max(2, size - i % 3)) }
        }
        let (_, gradient) = model.evaluate(counts: counts, gates: gates)
        for (key, size) in space.units {
            if key.isDepth {
                for j in 0..<size {
                    var up = gates, down = gates
                    up[key]![j] = 1; down[key]![j] = 0
                    let diff = model.evaluate(counts: counts, gates: up).value - model.evaluate(counts: counts, gates: down).value
                    // A gate enters linearly, so ∂r/∂g = r(g=1) − r(g=0).
                    #expect(abs(gradient[key]![j] - diff) < 1e-6, "\(key)[\(j)]")
                }
            } else {
                var up = counts, down = counts
                up[key]! += 1; down[key]! -= 1
                let diff = (model.evaluate(counts: up, gates: gates).value - model.evaluate(counts: down, gates: gates).value) / 2
                #expect(abs(gradient[key]![0] - diff) < 1e-6, "\(key)")
            }
        }
    }

    @Test func minimumIsBelowFullAndScheduleIsRoot() {
        let a = Architecture.cifarResNet(depth: 20, input: Self.input, classes: 5)
        let model = ResourceModel(space: SearchSpace(a), kind: .macs)
        #expect(model.minimum > 0 && model.minimum < model.full / 20)
        let s = TargetSchedule(full: 100, target: 25, totalSteps: 100, decayFraction: 0.5)
        #expect(s.target(at: 0) == 100)
        #expect(abs(s.target(at: 25) - 50) < 1e-9)  // 100·0.25^0.5
        #expect(abs(s.target(at: 50) - 25) < 1e-9)
        #expect(abs(s.target(at: 90) - 25) < 1e-9)
    }

    @Test func searchSpaceTiesResidualStreams() {
        let a = Architecture.cifarResNet(depth: 20, input: Self.input, classes: 5)
        let space = SearchSpace(a)
        let keys = space.units.map(\.key)
        // Stage 0 starts with an identity block: the stem shares stage 0's stream; no separate stem unit.
        #expect(!keys.contains(.stem))
        #expect(keys.contains(.stream(0)) && keys.contains(.stream(1)) && keys.contains(.stream(2)))
        // Stage 0: all 3 blocks gateable; stages 1, 2: the projection block stays.
        #expect(space.depthBlocks[0] == [0, 1, 2])
        #expect(space.depthBlocks[1] == [1, 2])
        #expect(space.size(of: .hidden(2, 1)) == 64)
    }
}
