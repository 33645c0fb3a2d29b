extension Architecture {
    /// CIFAR-style ResNet-(6n+2): three stages of `n` basic blocks at widths w, 2w, 4w
    /// (ResNet-20: n = 3, w = 16), strides 1, 2, 2.
    public static func cifarResNet(depth: Int = 20, baseWidth: Int = 16, input: Input, classes: Int) -> Architecture {
        let n = max((depth - 2) / 6, 1)
        let stages = [(baseWidth, 1), (2 * baseWidth, 2), (4 * baseWidth, 2)].map { width, stride in
            Stage(width: width, stride: stride, blocks: Array(repeating: Block(hidden: width), count: n))
        }
        return Architecture(
            family: .resnet, block: .basic, input: input, classes: classes, stemWidth: baseWidth, stages: stages,
            notes: ["name": "resnet\(6 * n + 2)"])
    }

    /// A small MobileNetV2-style network for 28–32 px images: expansion 6 (1 in the first stage).
    public static func smallMobileNetV2(widthMultiplier: Double = 1, input: Input, classes: Int) -> Architecture {
        func scaled(_ c: Int) -> Int { max(1, Int((Double(c) * widthMultiplier).rounded())) }
        let config: [(expand: Int, width: Int, blocks: Int, stride: Int)] = [
            (1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 2, 2), (6, 96, 1, 1),
        ]
        var channels = scaled(32)
        var stages: [Stage] = []
        for c in config {
            let width = scaled(c.width)
            var blocks: [Block] = []
            for _ in 0..<c.blocks {
                blocks.append(Block(hidden: channels * c.expand))
                channels = width
            }
            stages.append(Stage(width: width, stride: c.stride, blocks: blocks))
        }
        return Architecture(
            family: .mobilenetv2, input: input, classes: classes, stemWidth: scaled(32), stages: stages,
            headWidth: scaled(320), notes: ["name": "mobilenetv2-small"])
    }

    /// A plain MLP.
    public static func mlp(hidden: [Int], input: Input, classes: Int) -> Architecture {
        Architecture(family: .mlp, input: input, classes: classes, hidden: hidden, notes: ["name": "mlp"])
    }

    /// Every width multiplied by `factor` (rounded, at least 1) and every stage's depth by
    /// `depthFactor` (rounded, at least 1): the uniform scaling baseline and DMS's supernet expansion.
    public func scaled(width factor: Double, depth depthFactor: Double = 1) -> Architecture {
        func w(_ c: Int) -> Int { max(1, Int((Double(c) * factor).rounded())) }
        var copy = self
        copy.stemWidth = stemWidth > 0 ? w(stemWidth) : 0
        copy.headWidth = headWidth > 0 ? w(headWidth) : 0
        copy.hidden = hidden.map(w)
        copy.stages = stages.map { stage in
            let count = max(1, Int((Double(stage.blocks.count) * depthFactor).rounded()))
            let blocks = (0..<count).map { i in Block(hidden: w(stage.blocks[min(i, stage.blocks.count - 1)].hidden)) }
            return Stage(width: w(stage.width), stride: stage.stride, blocks: blocks)
        }
        return copy
    }
}
