/// A channel dimension of a network: the width a layer reads or writes. Channels joined by a
/// residual addition are one dimension (see `LayerPlan`), so a search has one width unit per
/// searchable dimension; `image`, `features` and `classes` are fixed by the data.
public enum ChannelDimension: Hashable, Sendable, CustomStringConvertible {
    /// The input image's channels.
    case image
    /// An MLP's flattened input, `C·H·W`.
    case features
    /// The logits.
    case classes
    /// The stem's output, when stage 0 starts with a projection block (else it is `stream(0)`).
    case stem
    /// The residual stream of stage `s` (shared with earlier stages entered by identity).
    case stream(Int)
    /// The inner width of block `b` of stage `s`.
    case hidden(Int, Int)
    /// MobileNetV2's final 1×1 convolution.
    case head
    /// MLP hidden layer `i`.
    case mlp(Int)

    /// Whether the data fixes this dimension (a search cannot change it).
    public var isFixed: Bool {
        switch self {
        case .image, .features, .classes: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .image: "image"
        case .features: "features"
        case .classes: "classes"
        case .stem: "stem"
        case .stream(let s): "stage\(s).width"
        case .hidden(let s, let b): "stage\(s).block\(b).hidden"
        case .head: "head.width"
        case .mlp(let i): "hidden\(i).width"
        }
    }
}

/// One parameterized layer of a plan.
public struct PlannedLayer: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// `kernel × kernel` convolution, padding `kernel / 2`, no bias; depthwise: one group per channel.
        case conv(kernel: Int, stride: Int, depthwise: Bool)
        /// Batch norm with affine scale and shift and running statistics.
        case batchNorm
        /// Fully connected with bias.
        case linear
    }
    /// The parameter prefix: `stage1.block0.conv1` (tensors are `<name>.weight`, …).
    public let name: String
    /// The name inside its block (`conv1`, `shortcut.bn`), or `name` outside blocks.
    public let localName: String
    public let operation: Operation
    public let input: ChannelDimension, output: ChannelDimension
    public let inChannels: Int, outChannels: Int
    /// Output plane (1×1 for linear layers).
    public let height: Int, width: Int
    /// Index into `LayerPlan.blocks` of the block the layer belongs to.
    public let block: Int?

    /// Parameter tensors: conv `[C_out, C_in/groups, k, k]`; batch norm weight and bias `[C]`;
    /// linear weight `[out, in]` and bias `[out]`.
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch operation {
        case let .conv(k, _, depthwise):
            [("\(name).weight", [outChannels, depthwise ? 1 : inChannels, k, k])]
        case .batchNorm:
            [("\(name).weight", [outChannels]), ("\(name).bias", [outChannels])]
        case .linear:
            [("\(name).weight", [outChannels, inChannels]), ("\(name).bias", [outChannels])]
        }
    }

    /// State tensors: batch norm `running_mean` and `running_var`, `[C]`.
    public var bufferShapes: [(name: String, shape: [Int])] {
        operation == .batchNorm ? [("\(name).running_mean", [outChannels]), ("\(name).running_var", [outChannels])] : []
    }

    public static func == (a: PlannedLayer, b: PlannedLayer) -> Bool {
        a.name == b.name && a.operation == b.operation && a.input == b.input && a.output == b.output
            && a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.height == b.height && a.width == b.width
            && a.block == b.block
    }
}

/// One residual block of a plan: `out = join(shortcut(x), f(x))`.
public struct PlannedBlock: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// conv1 bn1 relu conv2 bn2; join: relu(shortcut + f).
        case basic
        /// conv1 bn1 relu conv2 bn2 relu conv3 bn3; join: relu(shortcut + f).
        case bottleneck
        /// expand bn1 relu depthwise bn2 relu project bn3; join: shortcut + f (no activation).
        case invertedResidual
    }
    public enum Shortcut: Sendable, Equatable {
        /// `x` itself: the block can be removed (a depth mask gates `f`).
        case identity
        /// The `shortcut.conv`/`shortcut.bn` layers of the block.
        case projection
        /// No residual path (MobileNetV2 when the stride or width changes).
        case none
    }
    public let stage: Int, index: Int
    /// `stage<s>.block<b>`, the prefix of its layers' names.
    public let name: String
    public let kind: Kind
    public let shortcut: Shortcut
    public let input: ChannelDimension, hidden: ChannelDimension, output: ChannelDimension
    public let inChannels: Int, hiddenChannels: Int, outChannels: Int
    public let stride: Int
    /// Indices into `LayerPlan.layers`.
    public let layers: Range<Int>
}

extension LayerPlan {
    /// Accumulates layers and blocks in construction order.
    struct Builder {
        var layers: [PlannedLayer] = []
        var blocks: [PlannedBlock] = []
        var currentBlock: Int?
        var prefix = ""

        mutating func add(
            _ local: String, _ operation: PlannedLayer.Operation, _ input: ChannelDimension, _ inChannels: Int,
            _ output: ChannelDimension, _ outChannels: Int, plane: (Int, Int)
        ) {
            layers.append(
                PlannedLayer(
                    name: prefix + local, localName: local, operation: operation, input: input, output: output,
                    inChannels: inChannels, outChannels: outChannels, height: plane.0, width: plane.1, block: currentBlock))
        }

        /// Adds block `index` of stage `stage` with its layers; returns its output plane.
        mutating func addBlock(
            _ a: Architecture, stage: Int, index: Int, input: ChannelDimension, inChannels: Int, hidden: Int,
            output: ChannelDimension, outChannels: Int, stride: Int, plane: (Int, Int)
        ) -> (Int, Int) {
            let inner = ChannelDimension.hidden(stage, index)
            let out = (LayerPlan.convOut(plane.0, stride: stride), LayerPlan.convOut(plane.1, stride: stride))
            let identity = LayerPlan.isIdentity(inWidth: inChannels, outWidth: outChannels, stride: stride)
            let kind: PlannedBlock.Kind = a.family == .mobilenetv2 ? .invertedResidual : a.block == .bottleneck ? .bottleneck : .basic
            let shortcut: PlannedBlock.Shortcut = identity ? .identity : kind == .invertedResidual ? .none : .projection
            let first = layers.count
            currentBlock = blocks.count
            prefix = "stage\(stage).block\(index)."
            let conv3 = PlannedLayer.Operation.conv(kernel: 3, stride: stride, depthwise: false)
            let pointwise = PlannedLayer.Operation.conv(kernel: 1, stride: 1, depthwise: false)
            switch kind {
            case .invertedResidual:
                add("expand", pointwise, input, inChannels, inner, hidden, plane: plane)
                add("bn1", .batchNorm, inner, hidden, inner, hidden, plane: plane)
                add("depthwise", .conv(kernel: 3, stride: stride, depthwise: true), inner, hidden, inner, hidden, plane: out)
                add("bn2", .batchNorm, inner, hidden, inner, hidden, plane: out)
                add("project", pointwise, inner, hidden, output, outChannels, plane: out)
                add("bn3", .batchNorm, output, outChannels, output, outChannels, plane: out)
            case .bottleneck:
                add("conv1", pointwise, input, inChannels, inner, hidden, plane: plane)
                add("bn1", .batchNorm, inner, hidden, inner, hidden, plane: plane)
                add("conv2", conv3, inner, hidden, inner, hidden, plane: out)
                add("bn2", .batchNorm, inner, hidden, inner, hidden, plane: out)
                add("conv3", pointwise, inner, hidden, output, outChannels, plane: out)
                add("bn3", .batchNorm, output, outChannels, output, outChannels, plane: out)
            case .basic:
                add("conv1", conv3, input, inChannels, inner, hidden, plane: out)
                add("bn1", .batchNorm, inner, hidden, inner, hidden, plane: out)
                add("conv2", .conv(kernel: 3, stride: 1, depthwise: false), inner, hidden, output, outChannels, plane: out)
                add("bn2", .batchNorm, output, outChannels, output, outChannels, plane: out)
            }
            if shortcut == .projection {
                add("shortcut.conv", .conv(kernel: 1, stride: stride, depthwise: false), input, inChannels, output, outChannels, plane: out)
                add("shortcut.bn", .batchNorm, output, outChannels, output, outChannels, plane: out)
            }
            blocks.append(
                PlannedBlock(
                    stage: stage, index: index, name: "stage\(stage).block\(index)", kind: kind, shortcut: shortcut,
                    input: input, hidden: inner, output: output, inChannels: inChannels, hiddenChannels: hidden,
                    outChannels: outChannels, stride: stride, layers: first..<layers.count))
            currentBlock = nil
            prefix = ""
            return out
        }
    }
}
