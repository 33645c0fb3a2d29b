import TensorCore

/// A network built from an `Architecture`, on one backend, with seeded initialization.
/// `forward` optionally applies the soft masks of a search.
public final class Network {
    public let architecture: Architecture
    public let backend: any Backend
    let stem: (conv: Conv2d, bn: BatchNorm2d)?
    let stages: [[any ResidualBlock]]
    let head: (conv: Conv2d, bn: BatchNorm2d)?
    let mlpLayers: [Linear]
    let classifier: Linear

    public init(_ architecture: Architecture, backend: any Backend, seed: UInt64) throws {
        try architecture.validate()
        self.architecture = architecture
        self.backend = backend
        var rng = SeededRandom(seed: seed)
        let a = architecture
        switch a.family {
        case .mlp:
            var features = a.input.channels * a.input.height * a.input.width
            var layers: [Linear] = []
            for (i, width) in a.hidden.enumerated() {
                layers.append(try Linear(features, width, name: "hidden\(i)", backend: backend, rng: &rng))
                features = width
            }
            mlpLayers = layers
            stem = nil; stages = []; head = nil
            classifier = try Linear(features, a.classes, name: "classifier", backend: backend, rng: &rng)
        case .resnet, .mobilenetv2:
            stem = (try Conv2d(a.input.channels, a.stemWidth, kernelSize: 3, stride: a.stemStride, name: "stem.conv", backend: backend, rng: &rng),
                    try BatchNorm2d(a.stemWidth, name: "stem.bn", backend: backend))
            var channels = a.stemWidth
            var built: [[any ResidualBlock]] = []
            for (s, stage) in a.stages.enumerated() {
                var blocks: [any ResidualBlock] = []
                for (b, block) in stage.blocks.enumerated() {
                    let stride = b == 0 ? stage.stride : 1
                    let name = "stage\(s).block\(b)"
                    switch (a.family, a.block) {
                    case (.mobilenetv2, _):
                        blocks.append(try InvertedResidualBlock(in: channels, hidden: block.hidden, out: stage.width, stride: stride, name: name, backend: backend, rng: &rng))
                    case (_, .bottleneck):
                        blocks.append(try BottleneckBlock(in: channels, hidden: block.hidden, out: stage.width, stride: stride, name: name, backend: backend, rng: &rng))
                    default:
                        blocks.append(try BasicBlock(in: channels, hidden: block.hidden, out: stage.width, stride: stride, name: name, backend: backend, rng: &rng))
                    }
                    channels = stage.width
                }
                built.append(blocks)
            }
            stages = built
            if a.family == .mobilenetv2 {
                head = (try Conv2d(channels, a.headWidth, kernelSize: 1, name: "head.conv", backend: backend, rng: &rng),
                        try BatchNorm2d(a.headWidth, name: "head.bn", backend: backend))
                channels = a.headWidth
            } else {
                head = nil
            }
            mlpLayers = []
            classifier = try Linear(channels, a.classes, name: "classifier", backend: backend, rng: &rng)
        }
    }

    /// Logits `[N, classes]` for images `x: [N, C, H, W]`.
    public func forward(_ x: Variable, on tape: Tape, masks: NetworkMasks = NetworkMasks()) throws -> Variable {
        try require(x.value.rank == 4 && Array(x.shape.dropFirst()) == [architecture.input.channels, architecture.input.height, architecture.input.width],
                    "network: input \(x.shape) does not match the architecture's input [N, \(architecture.input.channels), \(architecture.input.height), \(architecture.input.width)]")
        if architecture.family == .mlp {
            var h = try tape.reshape(x, [x.shape[0], x.value.count / x.shape[0]])
            for (i, layer) in mlpLayers.enumerated() {
                h = try tape.relu(layer.forward(h, on: tape))
                if let mask = masks.mlpHidden[i] { h = try tape.channelMask(h, mask: mask) }
            }
            return try classifier.forward(h, on: tape)
        }
        guard let stem else { preconditionFailure("convolutional network without stem") }
        var h = try tape.relu(stem.bn.forward(stem.conv.forward(x, on: tape), on: tape))
        // Stream masks act where the stream is read (see `ResidualBlock`): `streamMask` is the
        // mask of the stream `h` belongs to.
        var streamMask = stages[0][0].hasIdentityShortcut ? masks.stream[0] : masks.stem
        for (s, blocks) in stages.enumerated() {
            for (b, block) in blocks.enumerated() {
                let depth = block.hasIdentityShortcut ? masks.depth[s]?[b] : nil
                h = try block.forward(h, on: tape, inputMask: streamMask, hiddenMask: masks.hidden[s]?[b], depthMask: depth)
                streamMask = masks.stream[s]
            }
        }
        if let head {
            let read = try streamMask.map { try tape.channelMask(h, mask: $0) } ?? h
            h = try tape.relu(head.bn.forward(head.conv.forward(read, on: tape), on: tape))
            streamMask = masks.head
        }
        // Pooling is per channel, so the last mask applies to the pooled [N, C] features.
        var pooled = try tape.globalAvgPool(h)
        if let streamMask { pooled = try tape.channelMask(pooled, mask: streamMask) }
        return try classifier.forward(pooled, on: tape)
    }

    /// Every trainable parameter, in a fixed order.
    public var parameters: [Parameter] {
        var list: [Parameter] = []
        if let stem { list += stem.conv.parameters + stem.bn.parameters }
        for blocks in stages { for block in blocks { list += block.parameters } }
        if let head { list += head.conv.parameters + head.bn.parameters }
        for layer in mlpLayers { list += layer.parameters }
        return list + classifier.parameters
    }

    /// Batch-norm running statistics, by name.
    public var buffers: [(name: String, tensor: Tensor)] {
        var list: [(name: String, tensor: Tensor)] = []
        if let stem { list += stem.bn.buffers }
        for blocks in stages { for block in blocks { list += block.buffers } }
        if let head { list += head.bn.buffers }
        return list
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
