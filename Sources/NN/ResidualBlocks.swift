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
    func forward(_ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?) throws -> Variable
    var parameters: [Parameter] { get }
    var buffers: [(name: String, tensor: Tensor)] { get }
}

/// The CIFAR ResNet basic block: 3×3 conv (→ hidden) BN ReLU, 3×3 conv (→ out) BN, plus the
/// shortcut (identity, or 1×1 conv + BN when stride ≠ 1 or widths differ), then ReLU.
public final class BasicBlock: ResidualBlock {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let projection: (conv: Conv2d, bn: BatchNorm2d)?

    public init(in inChannels: Int, hidden: Int, out: Int, stride: Int, name: String, backend: any Backend, rng: inout SeededRandom) throws {
        conv1 = try Conv2d(inChannels, hidden, kernelSize: 3, stride: stride, name: "\(name).conv1", backend: backend, rng: &rng)
        bn1 = try BatchNorm2d(hidden, name: "\(name).bn1", backend: backend)
        conv2 = try Conv2d(hidden, out, kernelSize: 3, name: "\(name).conv2", backend: backend, rng: &rng)
        bn2 = try BatchNorm2d(out, name: "\(name).bn2", backend: backend)
        if stride != 1 || inChannels != out {
            projection = (try Conv2d(inChannels, out, kernelSize: 1, stride: stride, padding: 0, name: "\(name).shortcut.conv", backend: backend, rng: &rng),
                          try BatchNorm2d(out, name: "\(name).shortcut.bn", backend: backend))
        } else {
            projection = nil
        }
    }

    public var hasIdentityShortcut: Bool { projection == nil }

    public func forward(_ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?) throws -> Variable {
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
    public var buffers: [(name: String, tensor: Tensor)] {
        bn1.buffers + bn2.buffers + (projection.map { $0.bn.buffers } ?? [])
    }
}

/// The ResNet bottleneck: 1×1 conv (→ hidden) BN ReLU, 3×3 conv (hidden, stride) BN ReLU,
/// 1×1 conv (→ out) BN, plus the shortcut, then ReLU. The hidden mask acts on both inner widths.
public final class BottleneckBlock: ResidualBlock {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let projection: (conv: Conv2d, bn: BatchNorm2d)?

    public init(in inChannels: Int, hidden: Int, out: Int, stride: Int, name: String, backend: any Backend, rng: inout SeededRandom) throws {
        conv1 = try Conv2d(inChannels, hidden, kernelSize: 1, name: "\(name).conv1", backend: backend, rng: &rng)
        bn1 = try BatchNorm2d(hidden, name: "\(name).bn1", backend: backend)
        conv2 = try Conv2d(hidden, hidden, kernelSize: 3, stride: stride, name: "\(name).conv2", backend: backend, rng: &rng)
        bn2 = try BatchNorm2d(hidden, name: "\(name).bn2", backend: backend)
        conv3 = try Conv2d(hidden, out, kernelSize: 1, name: "\(name).conv3", backend: backend, rng: &rng)
        bn3 = try BatchNorm2d(out, name: "\(name).bn3", backend: backend)
        if stride != 1 || inChannels != out {
            projection = (try Conv2d(inChannels, out, kernelSize: 1, stride: stride, padding: 0, name: "\(name).shortcut.conv", backend: backend, rng: &rng),
                          try BatchNorm2d(out, name: "\(name).shortcut.bn", backend: backend))
        } else {
            projection = nil
        }
    }

    public var hasIdentityShortcut: Bool { projection == nil }

    public func forward(_ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?) throws -> Variable {
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
    public var buffers: [(name: String, tensor: Tensor)] {
        bn1.buffers + bn2.buffers + bn3.buffers + (projection.map { $0.bn.buffers } ?? [])
    }
}

/// MobileNetV2's inverted residual: 1×1 expand (→ hidden) BN ReLU, 3×3 depthwise (stride) BN
/// ReLU, 1×1 project (→ out) BN; identity residual when stride is 1 and widths match (no final
/// activation, as in MobileNetV2; ReLU stands in for ReLU6).
public final class InvertedResidualBlock: ResidualBlock {
    let expand: Conv2d, bn1: BatchNorm2d, depthwise: Conv2d, bn2: BatchNorm2d, project: Conv2d, bn3: BatchNorm2d
    public let hasIdentityShortcut: Bool

    public init(in inChannels: Int, hidden: Int, out: Int, stride: Int, name: String, backend: any Backend, rng: inout SeededRandom) throws {
        expand = try Conv2d(inChannels, hidden, kernelSize: 1, name: "\(name).expand", backend: backend, rng: &rng)
        bn1 = try BatchNorm2d(hidden, name: "\(name).bn1", backend: backend)
        depthwise = try Conv2d(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, name: "\(name).depthwise", backend: backend, rng: &rng)
        bn2 = try BatchNorm2d(hidden, name: "\(name).bn2", backend: backend)
        project = try Conv2d(hidden, out, kernelSize: 1, name: "\(name).project", backend: backend, rng: &rng)
        bn3 = try BatchNorm2d(out, name: "\(name).bn3", backend: backend)
        hasIdentityShortcut = stride == 1 && inChannels == out
    }

    public func forward(_ x: Variable, on tape: Tape, inputMask: Variable?, hiddenMask: Variable?, depthMask: (mask: Variable, index: Int)?) throws -> Variable {
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
    public var buffers: [(name: String, tensor: Tensor)] { bn1.buffers + bn2.buffers + bn3.buffers }
}
