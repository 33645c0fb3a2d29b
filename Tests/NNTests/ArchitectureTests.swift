import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing

@Suite struct ArchitectureTests {
    let mnist = Architecture.Input(channels: 1, height: 28, width: 28)

    @Test func jsonRoundTripsForEveryFamily() throws {
        let all = [
            Architecture.cifarResNet(depth: 20, input: mnist, classes: 10),
            Architecture.smallMobileNetV2(widthMultiplier: 0.5, input: mnist, classes: 10),
            Architecture.mlp(hidden: [64, 32], input: mnist, classes: 10),
            Architecture.cifarResNet(depth: 14, input: mnist, classes: 10).scaled(width: 0.75, depth: 2),
        ]
        for a in all {
            let decoded = try Architecture.decode(try a.encoded())
            #expect(decoded == a)
        }
    }

    /// The analytic count equals the number of scalars the built network registers.
    @Test(arguments: ["resnet20", "resnet-bottleneck", "mobilenet", "mlp"])
    func resourceCountMatchesBuiltNetwork(name: String) throws {
        var a: Architecture
        switch name {
        case "resnet20": a = .cifarResNet(depth: 20, input: mnist, classes: 10)
        case "resnet-bottleneck":
            a = .cifarResNet(depth: 8, baseWidth: 8, input: Architecture.Input(channels: 3, height: 9, width: 7), classes: 5)
            a.block = .bottleneck
            a.stages[1].blocks[0].hidden = 5
        case "mobilenet": a = .smallMobileNetV2(widthMultiplier: 0.25, input: mnist, classes: 10)
        default: a = .mlp(hidden: [7, 31], input: mnist, classes: 10)
        }
        let network = try Network(a, backend: ReferenceBackend(), seed: 1)
        #expect(a.resources.parameters == network.parameterCount)
    }

    /// ResNet-20 on 32×32×3: 0.27M parameters and ~41M MACs, the textbook figures.
    @Test func resnet20MatchesPublishedSize() {
        let r = Architecture.cifarResNet(depth: 20, input: .init(channels: 3, height: 32, width: 32), classes: 10).resources
        #expect((265_000...275_000).contains(r.parameters), "\(r.parameters)")
        #expect((40_000_000...42_500_000).contains(r.macs), "\(r.macs)")
    }

    @Test func validationNamesTheField() throws {
        func error(_ json: String) -> String? {
            do { _ = try Architecture.decode(Data(json.utf8)); return nil } catch { return "\(error)" }
        }
        let base =
            #"{"format":"diffnas-architecture","version":1,"family":"resnet","input":{"channels":1,"height":28,"width":28},"classes":10,"stem":{"width":16},"stages":[{"width":16,"stride":1,"blocks":[{"hidden":16}]}]}"#
        #expect(error(base) == nil)
        #expect(
            error(base.replacingOccurrences(of: #""hidden":16"#, with: #""hidden":-3"#))?.contains("stages[0].blocks[0].hidden") == true)
        #expect(
            error(base.replacingOccurrences(of: #""classes":10"#, with: #""classes":10,"colour":"red""#))?.contains("colour: unknown key")
                == true)
        #expect(error(base.replacingOccurrences(of: #""version":1"#, with: #""version":7"#))?.contains("version") == true)
        #expect(
            error(base.replacingOccurrences(of: #""width":16,"stride":1"#, with: #""width":16,"stride":1.5"#))?.contains("stages[0].stride")
                == true)
        #expect(
            error(base.replacingOccurrences(of: #""blocks":[{"hidden":16}]"#, with: #""blocks":[]"#))?.contains("stages[0].blocks") == true)
        #expect(error(base.replacingOccurrences(of: "resnet", with: "transformer"))?.contains("family") == true)
        #expect(error("{not json") != nil)
        // Strides that shrink a 28×28 input below 1×1.
        let tooDeep = base.replacingOccurrences(
            of: #"{"width":16,"stride":1,"blocks":[{"hidden":16}]}"#,
            with: Array(repeating: #"{"width":16,"stride":4,"blocks":[{"hidden":16}]}"#, count: 4).joined(separator: ","))
        #expect(error(tooDeep)?.contains("stride") == true)
    }

    @Test func uniformScalingScalesWidthsAndDepths() {
        let a = Architecture.cifarResNet(depth: 20, input: mnist, classes: 10)
        let half = a.scaled(width: 0.5)
        #expect(half.stages.map(\.width) == [8, 16, 32])
        #expect(half.stemWidth == 8)
        let deeper = a.scaled(width: 1, depth: 2)
        #expect(deeper.stages.map(\.blocks.count) == [6, 6, 6])
        #expect(half.resources.macs < a.resources.macs / 3)
    }
}

@Suite struct ScheduleTests {
    @Test func cosineWithWarmup() {
        let s = LearningRateSchedule(kind: .cosine, baseRate: 0.1, totalSteps: 110, warmupSteps: 10)
        #expect(abs(s.rate(at: 0) - 0.01) < 1e-7)
        #expect(abs(s.rate(at: 9) - 0.1) < 1e-7)
        #expect(abs(s.rate(at: 10) - 0.1) < 1e-7)
        #expect(abs(s.rate(at: 60) - 0.05) < 1e-6)
        #expect(abs(s.rate(at: 110)) < 1e-7)
    }

    @Test func stepDecay() {
        let s = LearningRateSchedule(kind: .step, baseRate: 1, totalSteps: 100, stepSize: 30, gamma: 0.1)
        #expect(s.rate(at: 29) == 1)
        #expect(abs(s.rate(at: 30) - 0.1) < 1e-7)
        #expect(abs(s.rate(at: 65) - 0.01) < 1e-8)
    }
}
