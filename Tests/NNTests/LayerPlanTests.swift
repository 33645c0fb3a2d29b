import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing

/// The layer plan is the one description networks, resource counts, search spaces and exports
/// are derived from: these tests hold the network to it, and the plan to hand counts.
@Suite struct LayerPlanTests {
    let mnist = Architecture.Input(channels: 1, height: 28, width: 28)

    func architecture(_ name: String) -> Architecture {
        switch name {
        case "resnet20": return .cifarResNet(depth: 20, input: mnist, classes: 10)
        case "resnet-supernet": return Architecture.cifarResNet(depth: 20, input: mnist, classes: 10).scaled(width: 1.25, depth: 5.0 / 3)
        case "resnet-bottleneck":
            var a = Architecture.cifarResNet(depth: 8, baseWidth: 8, input: .init(channels: 3, height: 9, width: 7), classes: 5)
            a.block = .bottleneck
            a.stages[1].blocks[0].hidden = 5
            return a
        case "mobilenet": return .smallMobileNetV2(widthMultiplier: 0.25, input: mnist, classes: 10)
        default: return .mlp(hidden: [7, 31], input: mnist, classes: 10)
        }
    }

    /// Every tensor the network registers is the plan's, with the plan's name and shape, in the
    /// plan's order: checkpoints, safetensors and the pruned export rely on it.
    @Test(arguments: ["resnet20", "resnet-supernet", "resnet-bottleneck", "mobilenet", "mlp"])
    func networkHoldsExactlyThePlansTensors(name: String) throws {
        let a = architecture(name)
        let network = try Network(a, backend: ReferenceBackend(), seed: 3)
        let built = network.namedState.map { "\($0.name) \($0.tensor.shape)" }
        let planned = LayerPlan(a).tensors.map { "\($0.name) \($0.shape)" }
        #expect(built == planned)
        #expect(LayerPlan(a).resources.parameters == network.parameterCount)
    }

    /// A network small enough to count by hand: 1×4×4 input, stem 3×3 to 2 channels, one stage
    /// of one basic block (hidden 2, width 3, stride 2, so a projection shortcut), 5 classes.
    @Test func resourcesMatchAHandCount() throws {
        let a = Architecture(
            family: .resnet, input: .init(channels: 1, height: 4, width: 4), classes: 5, stemWidth: 2,
            stages: [.init(width: 3, stride: 2, blocks: [.init(hidden: 2)])])
        let plan = LayerPlan(a)
        #expect(
            plan.layers.map(\.name) == [
                "stem.conv", "stem.bn", "stage0.block0.conv1", "stage0.block0.bn1", "stage0.block0.conv2",
                "stage0.block0.bn2", "stage0.block0.shortcut.conv", "stage0.block0.shortcut.bn", "classifier",
            ])
        // MACs: stem 9·1·2·16 = 288, its BN 2·16 = 32; conv1 9·2·2·4 = 144, bn1 8; conv2 9·2·3·4 = 216,
        // bn2 12; shortcut 1·2·3·4 = 24, its BN 12; classifier 3·5 = 15.
        #expect(plan.resources.macs == 288 + 32 + 144 + 8 + 216 + 12 + 24 + 12 + 15)
        // Parameters: 18 + 4, 36 + 4, 54 + 6, 6 + 6, 15 + 5.
        #expect(plan.resources.parameters == 22 + 40 + 60 + 12 + 20)
        #expect(plan.blocks.count == 1 && plan.blocks[0].shortcut == .projection)
        #expect(plan.layers[2].height == 2 && plan.layers[2].width == 2 && plan.layers[0].height == 4)
        #expect(try Network(a, backend: ReferenceBackend(), seed: 1).parameterCount == 154)
    }

    /// Residual additions tie channel dimensions: ResNet-20's stem feeds an identity block, so it
    /// is stage 0's stream; a stage entered by identity continues the previous stage's stream.
    @Test func residualJoinsTieChannelDimensions() throws {
        let r20 = LayerPlan(architecture("resnet20"))
        #expect(r20.layers[0].output == .stream(0))
        #expect(r20.stageDimensions == [.stream(0), .stream(1), .stream(2)])
        #expect(
            r20.blocks.map(\.shortcut) == [
                .identity, .identity, .identity, .projection, .identity, .identity, .projection, .identity, .identity,
            ])

        var flat = Architecture.cifarResNet(depth: 14, input: mnist, classes: 10)
        flat.stages[1].width = flat.stages[0].width
        flat.stages[1].stride = 1
        let tied = LayerPlan(flat)
        #expect(tied.stageDimensions == [.stream(0), .stream(0), .stream(2)])
        let joined = tied.layers.filter { $0.output == .stream(0) }.map(\.name)
        #expect(joined.contains("stage1.block1.bn2") && joined.contains("stem.bn"))

        // MobileNetV2: the stem (8 channels at ×0.25) feeds a 4-channel stage, so it stands alone,
        // and blocks that change shape have no residual path.
        let mobile = LayerPlan(architecture("mobilenet"))
        #expect(mobile.layers[0].output == .stem)
        #expect(mobile.blocks[0].shortcut == .none && mobile.blocks[0].kind == .invertedResidual)
        #expect(mobile.blocks.contains { $0.shortcut == .identity })
        #expect(try mobile.layer(named: "stage0.block0.depthwise").operation == .conv(kernel: 3, stride: 1, depthwise: true))
    }

    /// Lookups of names the plan does not have fail with the name, not a crash.
    @Test func missingNamesAreErrorsNamingThem() {
        let plan = LayerPlan(architecture("mlp"))
        #expect(throws: LayerPlanError("the layer plan has no layer stage0.block0.conv1")) { try plan.layer(named: "stage0.block0.conv1") }
        #expect(plan.layers.map(\.input) == [.features, .mlp(0), .mlp(1)])
        #expect(plan.layers.last?.output == .classes)
    }
}
