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

    /// The layer plan the network was built from (names, shapes and flow of every layer).
    public let plan: LayerPlan

    public init(_ architecture: Architecture, backend: any Backend, seed: UInt64) throws {
        try architecture.validate()
        self.architecture = architecture
        self.backend = backend
        let plan = LayerPlan(architecture)
        self.plan = plan
        var rng = SeededRandom(seed: seed)
        // Built in plan order, which is the seeded initialization's order: the layers before the
        // first block, each block, then the layers after the last.
        let firstBlocked = plan.layers.firstIndex { $0.block != nil } ?? plan.layers.count
        let lastBlocked = plan.layers.lastIndex { $0.block != nil }.map { $0 + 1 } ?? firstBlocked
        let leading = try PlannedModules(plan.layers[..<firstBlocked], block: "network", backend: backend, rng: &rng)
        var built: [[any ResidualBlock]] = Array(repeating: [], count: architecture.stages.count)
        for block in plan.blocks {
            let layers = plan.layers(of: block)
            switch block.kind {
            case .basic: built[block.stage].append(try BasicBlock(block, layers: layers, backend: backend, rng: &rng))
            case .bottleneck: built[block.stage].append(try BottleneckBlock(block, layers: layers, backend: backend, rng: &rng))
            case .invertedResidual: built[block.stage].append(try InvertedResidualBlock(block, layers: layers, backend: backend, rng: &rng))
            }
        }
        let trailing = try PlannedModules(plan.layers[lastBlocked...], block: "network", backend: backend, rng: &rng)
        stages = built
        switch architecture.family {
        case .mlp:
            mlpLayers = try architecture.hidden.indices.map { try leading.linear("hidden\($0)") }
            stem = nil; head = nil
            classifier = try leading.linear("classifier")
        case .resnet, .mobilenetv2:
            stem = (try leading.conv("stem.conv"), try leading.norm("stem.bn"))
            head = architecture.family == .mobilenetv2 ? (try trailing.conv("head.conv"), try trailing.norm("head.bn")) : nil
            mlpLayers = []
            classifier = try trailing.linear("classifier")
        }
    }

    /// Logits `[N, classes]` for images `x: [N, C, H, W]`.
    public func forward(_ x: Variable, on tape: Tape, masks: NetworkMasks = NetworkMasks()) throws -> Variable {
        try require(
            x.value.rank == 4
                && Array(x.shape.dropFirst()) == [architecture.input.channels, architecture.input.height, architecture.input.width],
            "network: input \(x.shape) does not match the architecture's input [N, \(architecture.input.channels), \(architecture.input.height), \(architecture.input.width)]"
        )
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
        if masks.streamAfterEveryBlock {
            // Ablation: scale where the stream is written; blocks then read it as it is.
            if let m = streamMask { h = try tape.channelMask(h, mask: m) }
            streamMask = nil
        }
        for (s, blocks) in stages.enumerated() {
            for (b, block) in blocks.enumerated() {
                let depth = block.hasIdentityShortcut ? masks.depth[s]?[b] : nil
                h = try block.forward(h, on: tape, inputMask: streamMask, hiddenMask: masks.hidden[s]?[b], depthMask: depth)
                if masks.streamAfterEveryBlock {
                    if let m = masks.stream[s] { h = try tape.channelMask(h, mask: m) }
                } else {
                    streamMask = masks.stream[s]
                }
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

    /// Every batch norm, in parameter order: the stem's, each block's, the head's.
    public var batchNorms: [BatchNorm2d] {
        (stem.map { [$0.bn] } ?? []) + stages.flatMap { $0.flatMap(\.batchNorms) } + (head.map { [$0.bn] } ?? [])
    }

    /// Batch-norm running statistics, by name.
    public var buffers: [(name: String, tensor: Tensor)] { batchNorms.flatMap(\.buffers) }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
