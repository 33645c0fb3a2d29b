/// The one explicit description of a network that everything else is derived from: `Network`
/// builds its layers from it, `Architecture.resources` counts them, the search space maps its
/// channel dimensions to width units and its removable blocks to depth units, and the pruned
/// export and weight files name tensors after it.
///
/// A plan is a list of layers in construction order (the order of the parameters), each with its
/// operation, channel counts, output plane and the channel dimension of its input and output,
/// grouped into blocks that say how tensors flow:
///
/// ```text
/// stem.conv ─ stem.bn ─ relu ─┬─ stage0.block0: conv1 bn1 relu conv2 bn2 ─(+ shortcut)─ relu ─ …
///                             └──────────────── identity or shortcut.conv/bn ─┘
/// … ─ [head.conv head.bn relu] ─ global pool ─ classifier
/// ```
///
/// **Channel dimensions.** Tensors added by a residual join have the same channels, so they are
/// one `ChannelDimension`: a stage whose first block has an identity shortcut continues the
/// stream of the stage (or the stem) before it. `dimension(ofStage:)` resolves these ties once.
///
/// **Flow.** A block is `out = join(shortcut(x), f(x))`, where `f` is the block's layers in order
/// (`BlockKind` says where the activations go), and `shortcut` is `.identity`, `.projection`
/// (the layers named `shortcut.*`) or `.none` (MobileNetV2 without residual). A cell with several
/// inputs and a concatenated output extends this with a block kind whose output dimension is the
/// sum of its node dimensions; nothing outside the plan needs to walk the architecture to add one.
public struct LayerPlan: Sendable {
    public let architecture: Architecture
    /// Every parameterized layer, in construction (and parameter) order.
    public let layers: [PlannedLayer]
    /// Every residual block, in order; each holds a range of `layers`.
    public let blocks: [PlannedBlock]
    /// The channel dimension of each stage's residual stream.
    public let stageDimensions: [ChannelDimension]

    public init(_ a: Architecture) {
        architecture = a
        var builder = Builder()
        switch a.family {
        case .mlp:
            var input = ChannelDimension.features
            var features = a.input.channels * a.input.height * a.input.width
            for (i, width) in a.hidden.enumerated() {
                builder.add("hidden\(i)", .linear, input, features, .mlp(i), width, plane: (1, 1))
                (input, features) = (.mlp(i), width)
            }
            builder.add("classifier", .linear, input, features, .classes, a.classes, plane: (1, 1))
            stageDimensions = []
        case .resnet, .mobilenetv2:
            var plane = (Self.convOut(a.input.height, stride: a.stemStride), Self.convOut(a.input.width, stride: a.stemStride))
            let stemDimension: ChannelDimension = Self.startsWithIdentity(a) ? .stream(0) : .stem
            builder.add(
                "stem.conv", .conv(kernel: 3, stride: a.stemStride, depthwise: false), .image, a.input.channels, stemDimension, a.stemWidth,
                plane: plane)
            builder.add("stem.bn", .batchNorm, stemDimension, a.stemWidth, stemDimension, a.stemWidth, plane: plane)
            var current = stemDimension, channels = a.stemWidth
            var stages: [ChannelDimension] = []
            for (s, stage) in a.stages.enumerated() {
                let entersByIdentity = Self.isIdentity(inWidth: channels, outWidth: stage.width, stride: stage.stride)
                let stream: ChannelDimension = s > 0 && entersByIdentity ? stages[s - 1] : .stream(s)
                stages.append(stream)
                for (b, block) in stage.blocks.enumerated() {
                    let stride = b == 0 ? stage.stride : 1
                    plane = builder.addBlock(
                        a, stage: s, index: b, input: current, inChannels: channels, hidden: block.hidden,
                        output: stream, outChannels: stage.width, stride: stride, plane: plane)
                    (current, channels) = (stream, stage.width)
                }
            }
            stageDimensions = stages
            if a.family == .mobilenetv2 {
                builder.add("head.conv", .conv(kernel: 1, stride: 1, depthwise: false), current, channels, .head, a.headWidth, plane: plane)
                builder.add("head.bn", .batchNorm, .head, a.headWidth, .head, a.headWidth, plane: plane)
                (current, channels) = (.head, a.headWidth)
            }
            builder.add("classifier", .linear, current, channels, .classes, a.classes, plane: (1, 1))
        }
        layers = builder.layers
        blocks = builder.blocks
    }

    /// The channel dimension of stage `s`'s residual stream.
    public func dimension(ofStage s: Int) -> ChannelDimension { stageDimensions[s] }

    /// The layers of `block`.
    public func layers(of block: PlannedBlock) -> ArraySlice<PlannedLayer> { layers[block.layers] }

    /// Layers outside every block (stem, head, MLP layers, classifier), in order.
    public var unblockedLayers: [PlannedLayer] { layers.filter { $0.block == nil } }

    /// The blocks of stage `s`, in order.
    public func blocks(ofStage s: Int) -> [PlannedBlock] { blocks.filter { $0.stage == s } }

    /// The layer called `name`, or an error naming it.
    public func layer(named name: String) throws -> PlannedLayer {
        guard let layer = layers.first(where: { $0.name == name }) else { throw LayerPlanError("the layer plan has no layer \(name)") }
        return layer
    }

    /// Every tensor a network built from this plan holds (parameters, then batch-norm running
    /// statistics, each in layer order): the names of checkpoints and weight files.
    public var tensors: [(name: String, shape: [Int])] {
        layers.flatMap { $0.parameterShapes } + layers.flatMap { $0.bufferShapes }
    }

    /// MACs per image and parameters, summed over the layers (see `ResourceCount`).
    public var resources: ResourceCount {
        var r = ResourceCount()
        for layer in layers {
            let hw = layer.height * layer.width
            switch layer.operation {
            case let .conv(k, _, depthwise):
                let weights = k * k * (depthwise ? 1 : layer.inChannels) * layer.outChannels
                r.macs += weights * hw
                r.parameters += weights
            case .batchNorm:
                r.macs += layer.outChannels * hw
                r.parameters += 2 * layer.outChannels
            case .linear:
                r.macs += layer.inChannels * layer.outChannels
                r.parameters += layer.inChannels * layer.outChannels + layer.outChannels
            }
        }
        return r
    }

    /// Output size of a 3×3 convolution with padding 1 (also of a 1×1 with padding 0) at `stride`.
    public static func convOut(_ size: Int, stride: Int) -> Int { (size - 1) / stride + 1 }

    /// Whether a block from `inWidth` to `outWidth` channels at `stride` has an identity shortcut.
    public static func isIdentity(inWidth: Int, outWidth: Int, stride: Int) -> Bool { stride == 1 && inWidth == outWidth }

    /// Whether stage 0's first block has an identity shortcut (then the stem is part of stage 0's stream).
    public static func startsWithIdentity(_ a: Architecture) -> Bool {
        guard let first = a.stages.first else { return false }
        return isIdentity(inWidth: a.stemWidth, outWidth: first.width, stride: first.stride)
    }
}

/// A malformed plan lookup: names the layer or tensor that is missing.
public struct LayerPlanError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
