import TensorCore

/// A residual block of a ResNet or MobileNetV2 stage: `out = act(shortcut(x) + f(x·m_in)·m_depth)`,
/// with optional soft masks on the inner width and on the input (residual-stream) channels.
///
/// The stream mask `m_in` acts once, where the stream is consumed: on the input of the block's
/// first convolution and of a projection shortcut. An identity shortcut adds the unmasked `x`, so
/// the stream is never scaled twice (a masked-out channel is simply never read).
public protocol ResidualBlock: AnyObject {
    /// Whether the shortcut is the identity (only such blocks can be removed by a depth mask).
    var hasIdentityShortcut: Bool { get }
    func forward(
        _ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?
    ) throws -> Variable
    var parameters: [Parameter] { get }
    /// The block's batch norms, in parameter order (their running statistics are its buffers).
    var batchNorms: [BatchNorm2d] { get }
}

extension ResidualBlock {
    /// The running statistics of every batch norm, by name.
    public var buffers: [(name: String, tensor: Tensor)] { batchNorms.flatMap(\.buffers) }
}

/// The CIFAR ResNet basic block: 3×3 conv (→ hidden) BN ReLU, 3×3 conv (→ out) BN, plus the
/// shortcut (identity, or 1×1 conv + BN when stride ≠ 1 or widths differ), then ReLU.
public final class BasicBlock: ResidualBlock {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let projection: (conv: Conv2d, bn: BatchNorm2d)?

    /// Builds the block's layers as `plan` lists them (conv1 bn1 conv2 bn2 [shortcut.conv shortcut.bn]).
    public init(_ plan: PlannedBlock, layers: ArraySlice<PlannedLayer>, backend: any Backend, rng: inout SeededRandom) throws {
        let built = try PlannedModules(layers, block: plan.name, backend: backend, rng: &rng)
        conv1 = try built.conv("conv1"); bn1 = try built.norm("bn1")
        conv2 = try built.conv("conv2"); bn2 = try built.norm("bn2")
        projection = plan.shortcut == .projection ? (try built.conv("shortcut.conv"), try built.norm("shortcut.bn")) : nil
    }

    public var hasIdentityShortcut: Bool { projection == nil }

    public func forward(
        _ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?
    ) throws -> Variable {
        let read = try inputMask.map { try tape.channelMask(x, mask: $0) } ?? x
        var h = try tape.relu(bn1.forward(conv1.forward(read, on: tape), on: tape))
        if let hiddenMask { h = try tape.channelMask(h, mask: hiddenMask) }
        var f = try bn2.forward(conv2.forward(h, on: tape), on: tape)
        if let depthMask { f = try tape.scaleByElement(f, depthMask.mask, index: depthMask.index) }
        let shortcut = try projection.map { try $0.bn.forward($0.conv.forward(read, on: tape), on: tape) } ?? x
        return try tape.relu(tape.add(shortcut, f))
    }

    public var parameters: [Parameter] {
        conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters
            + (projection.map { $0.conv.parameters + $0.bn.parameters } ?? [])
    }
    public var batchNorms: [BatchNorm2d] { [bn1, bn2] + (projection.map { [$0.bn] } ?? []) }
}

/// The ResNet bottleneck: 1×1 conv (→ hidden) BN ReLU, 3×3 conv (hidden, stride) BN ReLU,
/// 1×1 conv (→ out) BN, plus the shortcut, then ReLU. The hidden mask acts on both inner widths.
public final class BottleneckBlock: ResidualBlock {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let projection: (conv: Conv2d, bn: BatchNorm2d)?

    /// Builds the block's layers as `plan` lists them (conv1…bn3 [shortcut.conv shortcut.bn]).
    public init(_ plan: PlannedBlock, layers: ArraySlice<PlannedLayer>, backend: any Backend, rng: inout SeededRandom) throws {
        let built = try PlannedModules(layers, block: plan.name, backend: backend, rng: &rng)
        conv1 = try built.conv("conv1"); bn1 = try built.norm("bn1")
        conv2 = try built.conv("conv2"); bn2 = try built.norm("bn2")
        conv3 = try built.conv("conv3"); bn3 = try built.norm("bn3")
        projection = plan.shortcut == .projection ? (try built.conv("shortcut.conv"), try built.norm("shortcut.bn")) : nil
    }

    public var hasIdentityShortcut: Bool { projection == nil }

    public func forward(
        _ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?
    ) throws -> Variable {
        let read = try inputMask.map { try tape.channelMask(x, mask: $0) } ?? x
        var h = try tape.relu(bn1.forward(conv1.forward(read, on: tape), on: tape))
        if let hiddenMask { h = try tape.channelMask(h, mask: hiddenMask) }
        h = try tape.relu(bn2.forward(conv2.forward(h, on: tape), on: tape))
        if let hiddenMask { h = try tape.channelMask(h, mask: hiddenMask) }
        var f = try bn3.forward(conv3.forward(h, on: tape), on: tape)
        if let depthMask { f = try tape.scaleByElement(f, depthMask.mask, index: depthMask.index) }
        let shortcut = try projection.map { try $0.bn.forward($0.conv.forward(read, on: tape), on: tape) } ?? x
        return try tape.relu(tape.add(shortcut, f))
    }

    public var parameters: [Parameter] {
        conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters + conv3.parameters + bn3.parameters
            + (projection.map { $0.conv.parameters + $0.bn.parameters } ?? [])
    }
    public var batchNorms: [BatchNorm2d] { [bn1, bn2, bn3] + (projection.map { [$0.bn] } ?? []) }
}

/// MobileNetV2's inverted residual: 1×1 expand (→ hidden) BN ReLU, 3×3 depthwise (stride) BN
/// ReLU, 1×1 project (→ out) BN; identity residual when stride is 1 and widths match (no final
/// activation, as in MobileNetV2; ReLU stands in for ReLU6).
public final class InvertedResidualBlock: ResidualBlock {
    let expand: Conv2d, bn1: BatchNorm2d, depthwise: Conv2d, bn2: BatchNorm2d, project: Conv2d, bn3: BatchNorm2d
    public let hasIdentityShortcut: Bool

    /// Builds the block's layers as `plan` lists them (expand bn1 depthwise bn2 project bn3).
    public init(_ plan: PlannedBlock, layers: ArraySlice<PlannedLayer>, backend: any Backend, rng: inout SeededRandom) throws {
        let built = try PlannedModules(layers, block: plan.name, backend: backend, rng: &rng)
        expand = try built.conv("expand"); bn1 = try built.norm("bn1")
        depthwise = try built.conv("depthwise"); bn2 = try built.norm("bn2")
        project = try built.conv("project"); bn3 = try built.norm("bn3")
        hasIdentityShortcut = plan.shortcut == .identity
    }

    public func forward(
        _ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?
    ) throws -> Variable {
        let read = try inputMask.map { try tape.channelMask(x, mask: $0) } ?? x
        var h = try tape.relu(bn1.forward(expand.forward(read, on: tape), on: tape))
        if let hiddenMask { h = try tape.channelMask(h, mask: hiddenMask) }
        h = try tape.relu(bn2.forward(depthwise.forward(h, on: tape), on: tape))
        if let hiddenMask { h = try tape.channelMask(h, mask: hiddenMask) }
        var f = try bn3.forward(project.forward(h, on: tape), on: tape)
        guard hasIdentityShortcut else { return f }
        if let depthMask { f = try tape.scaleByElement(f, depthMask.mask, index: depthMask.index) }
        return try tape.add(x, f)
    }

    public var parameters: [Parameter] {
        expand.parameters + bn1.parameters + depthwise.parameters + bn2.parameters + project.parameters + bn3.parameters
    }
    public var batchNorms: [BatchNorm2d] { [bn1, bn2, bn3] }
}

/// The modules of a run of planned layers, built in plan order (the order of the seeded
/// initialization), looked up by local name; a missing name is an error naming the block.
struct PlannedModules {
    let block: String
    var convs: [String: Conv2d] = [:], norms: [String: BatchNorm2d] = [:], linears: [String: Linear] = [:]

    init(_ layers: some Sequence<PlannedLayer>, block: String, backend: any Backend, rng: inout SeededRandom) throws {
        self.block = block
        for layer in layers {
            switch layer.operation {
            case let .conv(kernel, stride, depthwise):
                convs[layer.localName] = try Conv2d(
                    layer.inChannels, layer.outChannels, kernelSize: kernel, stride: stride,
                    groups: depthwise ? layer.inChannels : 1, name: layer.name, backend: backend, rng: &rng)
            case .batchNorm:
                norms[layer.localName] = try BatchNorm2d(layer.outChannels, name: layer.name, backend: backend)
            case .linear:
                linears[layer.localName] = try Linear(layer.inChannels, layer.outChannels, name: layer.name, backend: backend, rng: &rng)
            }
        }
    }

    func conv(_ name: String) throws -> Conv2d {
        guard let module = convs[name] else { throw LayerPlanError("\(block): the layer plan has no convolution \(name)") }
        return module
    }
    func norm(_ name: String) throws -> BatchNorm2d {
        guard let module = norms[name] else { throw LayerPlanError("\(block): the layer plan has no batch norm \(name)") }
        return module
    }
    func linear(_ name: String) throws -> Linear {
        guard let module = linears[name] else { throw LayerPlanError("\(block): the layer plan has no linear layer \(name)") }
        return module
    }
}
