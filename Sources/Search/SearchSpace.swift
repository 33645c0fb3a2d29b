import NN

/// Identifies one differentiable top-k unit of a supernet.
public enum UnitKey: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Stem output channels when not tied to stage 0's residual stream.
    case stem
    /// Residual-stream channels of stage `s` (shared by all its block outputs).
    case stream(Int)
    /// Inner width of block `b` of stage `s`.
    case hidden(Int, Int)
    /// MobileNetV2 head convolution width.
    case head
    /// MLP hidden layer `i`.
    case mlp(Int)
    /// Depth of stage `s`: one element per block with an identity shortcut.
    case depth(Int)

    public var description: String {
        switch self {
        case .stem: "stem"
        case .stream(let s): "stage\(s).width"
        case .hidden(let s, let b): "stage\(s).block\(b).hidden"
        case .head: "head.width"
        case .mlp(let i): "hidden\(i).width"
        case .depth(let s): "stage\(s).depth"
        }
    }

    public var isDepth: Bool { if case .depth = self { return true } else { return false } }

    public static func < (a: UnitKey, b: UnitKey) -> Bool { a.description < b.description }
}

/// Where a layer's channel count comes from: fixed, or the kept count of a width unit.
public enum ChannelSource: Hashable, Sendable {
    case fixed(Int)
    case unit(UnitKey)
}

/// One resource-bearing layer of the supernet, as the resource model and the export see it.
public struct LayerSlot: Sendable {
    public enum Kind: Sendable { case conv(kernel: Int, depthwise: Bool), batchNorm, linear }
    public let name: String
    public let kind: Kind
    public let input: ChannelSource
    public let output: ChannelSource
    /// Output spatial size (1×1 for linear layers).
    public let height: Int, width: Int
    /// The depth gate of the block the layer belongs to: (depth unit, element index).
    public let gate: (unit: UnitKey, index: Int)?
}

/// The search space DMS derives from a supernet architecture: its width and depth units (each
/// searched in steps of 1 from 1 to N) and every layer's channel sources.
///
/// Channels joined by a residual addition share one unit: each stage's stream unit masks every
/// block output of the stage (and the stem when stage 0 starts with an identity block). Each
/// block's inner width is its own unit. Each stage with blocks that have identity shortcuts gets a
/// depth unit over those blocks (the projection block that starts a stage always stays).
public struct SearchSpace: Sendable {
    public let architecture: Architecture
    /// Every unit with its element count N, in a stable order.
    public let units: [(key: UnitKey, size: Int)]
    /// For each depth unit: element index → block index within its stage.
    public let depthBlocks: [Int: [Int]]
    public let layers: [LayerSlot]
    /// The unit masking stage `s`'s stream (a stage entered through an identity block shares the
    /// previous stage's unit).
    public let streamUnits: [UnitKey]

    public init(_ a: Architecture) {
        architecture = a
        var units: [(UnitKey, Int)] = []
        var layers: [LayerSlot] = []
        var depthBlocks: [Int: [Int]] = [:]
        var streamUnits: [UnitKey] = []
        switch a.family {
        case .mlp:
            var input = ChannelSource.fixed(a.input.channels * a.input.height * a.input.width)
            for (i, width) in a.hidden.enumerated() {
                units.append((.mlp(i), width))
                layers.append(LayerSlot(name: "hidden\(i)", kind: .linear, input: input, output: .unit(.mlp(i)), height: 1, width: 1, gate: nil))
                input = .unit(.mlp(i))
            }
            layers.append(LayerSlot(name: "classifier", kind: .linear, input: input, output: .fixed(a.classes), height: 1, width: 1, gate: nil))
        case .resnet, .mobilenetv2:
            let stemTied = SearchSpace.startsWithIdentity(a)
            let stemUnit: UnitKey = stemTied ? .stream(0) : .stem
            if !stemTied { units.append((.stem, a.stemWidth)) }
            var h = Architecture.convOutSize(a.input.height, stride: a.stemStride)
            var w = Architecture.convOutSize(a.input.width, stride: a.stemStride)
            layers.append(LayerSlot(name: "stem.conv", kind: .conv(kernel: 3, depthwise: false), input: .fixed(a.input.channels), output: .unit(stemUnit), height: h, width: w, gate: nil))
            layers.append(LayerSlot(name: "stem.bn", kind: .batchNorm, input: .unit(stemUnit), output: .unit(stemUnit), height: h, width: w, gate: nil))
            var current: ChannelSource = .unit(stemUnit)
            var currentWidth = a.stemWidth
            for (s, stage) in a.stages.enumerated() {
                let entersByIdentity = SearchSpace.isIdentity(a, inWidth: currentWidth, outWidth: stage.width, stride: stage.stride)
                let streamKey: UnitKey = s > 0 && entersByIdentity ? streamUnits[s - 1] : .stream(s)
                streamUnits.append(streamKey)
                if streamKey == .stream(s) { units.append((.stream(s), stage.width)) }
                var identityBlocks: [Int] = []
                for (b, block) in stage.blocks.enumerated() {
                    let stride = b == 0 ? stage.stride : 1
                    let identity = SearchSpace.isIdentity(a, inWidth: currentWidth, outWidth: stage.width, stride: stride)
                    if identity { identityBlocks.append(b) }
                    units.append((.hidden(s, b), block.hidden))
                    let gate: (UnitKey, Int)? = identity ? (.depth(s), identityBlocks.count - 1) : nil
                    let (oh, ow) = (Architecture.convOutSize(h, stride: stride), Architecture.convOutSize(w, stride: stride))
                    let hid = ChannelSource.unit(.hidden(s, b)), out = ChannelSource.unit(streamKey)
                    let p = "stage\(s).block\(b)"
                    func conv(_ n: String, _ k: Int, _ i: ChannelSource, _ o: ChannelSource, _ hh: Int, _ ww: Int, dw: Bool = false) {
                        layers.append(LayerSlot(name: "\(p).\(n)", kind: .conv(kernel: k, depthwise: dw), input: i, output: o, height: hh, width: ww, gate: gate))
                    }
                    func bn(_ n: String, _ c: ChannelSource, _ hh: Int, _ ww: Int) {
                        layers.append(LayerSlot(name: "\(p).\(n)", kind: .batchNorm, input: c, output: c, height: hh, width: ww, gate: gate))
                    }
                    switch (a.family, a.block) {
                    case (.mobilenetv2, _):
                        conv("expand", 1, current, hid, h, w); bn("bn1", hid, h, w)
                        conv("depthwise", 3, hid, hid, oh, ow, dw: true); bn("bn2", hid, oh, ow)
                        conv("project", 1, hid, out, oh, ow); bn("bn3", out, oh, ow)
                    case (_, .bottleneck):
                        conv("conv1", 1, current, hid, h, w); bn("bn1", hid, h, w)
                        conv("conv2", 3, hid, hid, oh, ow); bn("bn2", hid, oh, ow)
                        conv("conv3", 1, hid, out, oh, ow); bn("bn3", out, oh, ow)
                    default:
                        conv("conv1", 3, current, hid, oh, ow); bn("bn1", hid, oh, ow)
                        conv("conv2", 3, hid, out, oh, ow); bn("bn2", out, oh, ow)
                    }
                    if a.family == .resnet && !identity {
                        conv("shortcut.conv", 1, current, out, oh, ow); bn("shortcut.bn", out, oh, ow)
                    }
                    current = out
                    currentWidth = stage.width
                    (h, w) = (oh, ow)
                }
                if !identityBlocks.isEmpty {
                    units.append((.depth(s), identityBlocks.count))
                    depthBlocks[s] = identityBlocks
                }
            }
            if a.family == .mobilenetv2 {
                units.append((.head, a.headWidth))
                layers.append(LayerSlot(name: "head.conv", kind: .conv(kernel: 1, depthwise: false), input: current, output: .unit(.head), height: h, width: w, gate: nil))
                layers.append(LayerSlot(name: "head.bn", kind: .batchNorm, input: .unit(.head), output: .unit(.head), height: h, width: w, gate: nil))
                current = .unit(.head)
            }
            layers.append(LayerSlot(name: "classifier", kind: .linear, input: current, output: .fixed(a.classes), height: 1, width: 1, gate: nil))
        }
        self.units = units
        self.layers = layers
        self.streamUnits = streamUnits
        self.depthBlocks = depthBlocks
    }

    /// Whether stage 0's first block has an identity shortcut (then the stem belongs to stage 0's stream).
    static func startsWithIdentity(_ a: Architecture) -> Bool {
        guard let first = a.stages.first else { return false }
        return isIdentity(a, inWidth: a.stemWidth, outWidth: first.width, stride: first.stride)
    }

    static func isIdentity(_ a: Architecture, inWidth: Int, outWidth: Int, stride: Int) -> Bool {
        stride == 1 && inWidth == outWidth
    }

    /// Element count of `key`.
    public func size(of key: UnitKey) -> Int { units.first { $0.key == key }?.size ?? 0 }

    /// The fewest elements unit `key` may keep: 1 (≥ 1 channel per layer, ≥ 1 block per stage),
    /// or 0 for the depth unit of a stage that starts with a projection block, which always stays.
    public func minimumKept(of key: UnitKey) -> Int {
        guard case .depth(let s) = key, let gated = depthBlocks[s] else { return 1 }
        return gated.count < architecture.stages[s].blocks.count ? 0 : 1
    }
}

extension SearchSpace {
    /// The architecture this space describes at given kept counts: `widths[key]` channels for
    /// every width unit, and for every stage the indices of the blocks that stay (ungated blocks
    /// must be among them). Used by the DMS export and by the random baseline.
    public func architecture(widths: [UnitKey: Int], blocks: [Int: [Int]]) throws -> Architecture {
        func width(_ key: UnitKey) throws -> Int {
            guard let n = widths[key] else { throw SearchError.invalid("no width given for unit \(key)") }
            guard n >= 1 && n <= size(of: key) else { throw SearchError.invalid("unit \(key): width \(n) is outside 1…\(size(of: key))") }
            return n
        }
        var a = architecture
        switch architecture.family {
        case .mlp:
            a.hidden = try architecture.hidden.indices.map { try width(.mlp($0)) }
        case .resnet, .mobilenetv2:
            a.stemWidth = try width(SearchSpace.startsWithIdentity(architecture) ? streamUnits[0] : .stem)
            a.stages = try architecture.stages.enumerated().map { s, stage in
                let kept = blocks[s] ?? Array(stage.blocks.indices)
                let gated = Set(depthBlocks[s] ?? [])
                for b in stage.blocks.indices where !gated.contains(b) && !kept.contains(b) {
                    throw SearchError.invalid("stage \(s): block \(b) has no identity shortcut and cannot be removed")
                }
                guard !kept.isEmpty else { throw SearchError.invalid("stage \(s): at least one block must stay") }
                return Architecture.Stage(width: try width(streamUnits[s]), stride: stage.stride,
                                          blocks: try kept.sorted().map { Architecture.Block(hidden: try width(.hidden(s, $0))) })
            }
            if architecture.family == .mobilenetv2 { a.headWidth = try width(.head) }
        }
        try a.validate()
        return a
    }
}

extension Architecture {
    /// Output size of a 3×3 convolution with padding 1 and `stride` (also that of the 1×1 shortcut).
    static func convOutSize(_ size: Int, stride: Int) -> Int { (size - 1) / stride + 1 }
}
