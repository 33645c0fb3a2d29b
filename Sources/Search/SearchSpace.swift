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

/// One resource-bearing layer of the supernet, as the resource model and the export see it: a
/// layer of the `LayerPlan` with its channel dimensions mapped to units.
public struct LayerSlot: Sendable {
    public let layer: PlannedLayer
    public let input: ChannelSource
    public let output: ChannelSource
    /// The depth gate of the block the layer belongs to: (depth unit, element index).
    public let gate: (unit: UnitKey, index: Int)?

    public var name: String { layer.name }
    /// Output plane (1×1 for linear layers).
    public var height: Int { layer.height }
    public var width: Int { layer.width }

    init(_ layer: PlannedLayer, gate: (unit: UnitKey, index: Int)?) {
        self.layer = layer
        input = UnitKey(layer.input).map(ChannelSource.unit) ?? .fixed(layer.inChannels)
        output = UnitKey(layer.output).map(ChannelSource.unit) ?? .fixed(layer.outChannels)
        self.gate = gate
    }
}

extension UnitKey {
    /// The width unit searching `dimension`; nil for dimensions the data fixes.
    public init?(_ dimension: ChannelDimension) {
        switch dimension {
        case .image, .features, .classes: return nil
        case .stem: self = .stem
        case .stream(let s): self = .stream(s)
        case let .hidden(s, b): self = .hidden(s, b)
        case .head: self = .head
        case .mlp(let i): self = .mlp(i)
        }
    }
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

    /// The layer plan the space is derived from.
    public let plan: LayerPlan

    public init(_ a: Architecture) {
        architecture = a
        let plan = LayerPlan(a)
        self.plan = plan
        var units: [(UnitKey, Int)] = []
        var depthBlocks: [Int: [Int]] = [:]
        // Index into plan.blocks → (depth unit, element) for blocks with an identity shortcut.
        var gates: [Int: (unit: UnitKey, index: Int)] = [:]
        switch a.family {
        case .mlp:
            for (i, width) in a.hidden.enumerated() { units.append((.mlp(i), width)) }
        case .resnet, .mobilenetv2:
            if plan.layers.first?.output == .stem { units.append((.stem, a.stemWidth)) }
            for (s, stage) in a.stages.enumerated() {
                if plan.dimension(ofStage: s) == .stream(s) { units.append((.stream(s), stage.width)) }
                var identityBlocks: [Int] = []
                for (i, block) in plan.blocks.enumerated() where block.stage == s {
                    if block.shortcut == .identity {
                        gates[i] = (.depth(s), identityBlocks.count)
                        identityBlocks.append(block.index)
                    }
                    units.append((.hidden(s, block.index), block.hiddenChannels))
                }
                if !identityBlocks.isEmpty {
                    units.append((.depth(s), identityBlocks.count))
                    depthBlocks[s] = identityBlocks
                }
            }
            if a.family == .mobilenetv2 { units.append((.head, a.headWidth)) }
        }
        self.units = units
        self.layers = plan.layers.map { LayerSlot($0, gate: $0.block.flatMap { gates[$0] }) }
        self.streamUnits = plan.stageDimensions.compactMap(UnitKey.init)
        self.depthBlocks = depthBlocks
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
            a.stemWidth = try width(LayerPlan.startsWithIdentity(architecture) ? streamUnits[0] : .stem)
            a.stages = try architecture.stages.enumerated().map { s, stage in
                let kept = blocks[s] ?? Array(stage.blocks.indices)
                let gated = Set(depthBlocks[s] ?? [])
                for b in stage.blocks.indices where !gated.contains(b) && !kept.contains(b) {
                    throw SearchError.invalid("stage \(s): block \(b) has no identity shortcut and cannot be removed")
                }
                guard !kept.isEmpty else { throw SearchError.invalid("stage \(s): at least one block must stay") }
                return Architecture.Stage(
                    width: try width(streamUnits[s]), stride: stage.stride,
                    blocks: try kept.sorted().map { Architecture.Block(hidden: try width(.hidden(s, $0))) })
            }
            if architecture.family == .mobilenetv2 { a.headWidth = try width(.head) }
        }
        try a.validate()
        return a
    }
}
