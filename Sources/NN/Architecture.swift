import Foundation

/// A network described declaratively: the file `diffnas train --arch` reads and the searches
/// export. JSON, versioned, validated on load (unknown keys, non-positive widths, strides that
/// shrink the image to nothing → one-line errors naming the field).
///
/// ```json
/// { "format": "diffnas-architecture", "version": 1, "family": "resnet", "block": "basic",
///   "input": { "channels": 1, "height": 28, "width": 28 }, "classes": 10,
///   "stem": { "width": 16 },
///   "stages": [ { "width": 16, "stride": 1, "blocks": [ { "hidden": 16 }, { "hidden": 16 } ] } ] }
/// ```
/// - `resnet`: CIFAR-style ResNet. Stem 3×3 conv + BN + ReLU; each stage's first block carries the
///   stride and a 1×1 projection shortcut when shape changes; `block` is `basic` (two 3×3 convs,
///   `hidden` = first conv's width) or `bottleneck` (1×1, 3×3, 1×1; `hidden` = inner width);
///   `width` is the stage's residual-stream width. Head: global average pool + linear.
/// - `mobilenetv2`: inverted residuals (1×1 expand to `hidden`, 3×3 depthwise, 1×1 project to
///   `width`; residual when stride 1 and widths match), stem 3×3 conv, `head.width` 1×1 conv, pool, linear.
/// - `mlp`: flatten, then `hidden` fully connected ReLU layers, then a linear classifier.
public struct Architecture: Equatable, Sendable {
    public static let format = "diffnas-architecture"
    public static let currentVersion = 1

    public enum Family: String, Sendable, CaseIterable { case resnet, mobilenetv2, mlp }
    public enum BlockKind: String, Sendable, CaseIterable { case basic, bottleneck }

    public struct Input: Equatable, Sendable {
        public var channels: Int, height: Int, width: Int
        public init(channels: Int, height: Int, width: Int) { self.channels = channels; self.height = height; self.width = width }
    }
    public struct Block: Equatable, Sendable {
        public var hidden: Int
        public init(hidden: Int) { self.hidden = hidden }
    }
    public struct Stage: Equatable, Sendable {
        public var width: Int
        public var stride: Int
        public var blocks: [Block]
        public init(width: Int, stride: Int, blocks: [Block]) { self.width = width; self.stride = stride; self.blocks = blocks }
    }

    public var family: Family
    public var block: BlockKind
    public var input: Input
    public var classes: Int
    /// Stem convolution width and stride (resnet, mobilenetv2).
    public var stemWidth: Int
    public var stemStride: Int
    public var stages: [Stage]
    /// Final 1×1 convolution width (mobilenetv2 only; 0 = none).
    public var headWidth: Int
    /// Hidden layer widths (mlp only).
    public var hidden: [Int]
    /// Free-form provenance (e.g. "searched-by": "dms", "target-macs": "…").
    public var notes: [String: String]

    public init(
        family: Family, block: BlockKind = .basic, input: Input, classes: Int, stemWidth: Int = 0, stemStride: Int = 1,
        stages: [Stage] = [], headWidth: Int = 0, hidden: [Int] = [], notes: [String: String] = [:]
    ) {
        self.family = family; self.block = block; self.input = input; self.classes = classes
        self.stemWidth = stemWidth; self.stemStride = stemStride; self.stages = stages
        self.headWidth = headWidth; self.hidden = hidden; self.notes = notes
    }

    /// Total number of residual blocks.
    public var blockCount: Int { stages.reduce(0) { $0 + $1.blocks.count } }
}

/// A malformed or inconsistent architecture: `field` is a path like `stages[1].blocks[0].hidden`.
public struct ArchitectureError: Error, CustomStringConvertible, Equatable, Sendable {
    public let field: String
    public let problem: String
    public init(field: String, problem: String) { self.field = field; self.problem = problem }
    public var description: String { "architecture: \(field): \(problem)" }
}
