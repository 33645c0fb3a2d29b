/// Multiply-accumulates and parameters of an architecture, counted analytically per layer:
/// conv `k_h·k_w·(C_in/groups)·C_out·H_out·W_out` MACs and `k_h·k_w·(C_in/groups)·C_out` weights;
/// batch norm `C·H·W` MACs (scale and shift) and `2C` parameters; linear `in·out` MACs and
/// `in·out + out` parameters. Matches `Network.parameterCount` exactly.
public struct ResourceCount: Sendable, Equatable, CustomStringConvertible {
    public var macs: Int
    public var parameters: Int

    public init(macs: Int = 0, parameters: Int = 0) { self.macs = macs; self.parameters = parameters }

    public var description: String { "\(ResourceCount.human(macs)) MACs, \(ResourceCount.human(parameters)) parameters" }

    /// `1.23M`-style rendering.
    public static func human(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fK", v / 1e3) }
        return "\(value)"
    }

    mutating func conv(_ cIn: Int, _ cOut: Int, kernel: Int, groups: Int = 1, outH: Int, outW: Int) {
        let weights = kernel * kernel * (cIn / groups) * cOut
        macs += weights * outH * outW
        parameters += weights
    }

    mutating func batchNorm(_ c: Int, h: Int, w: Int) {
        macs += c * h * w
        parameters += 2 * c
    }

    mutating func linear(_ inFeatures: Int, _ outFeatures: Int) {
        macs += inFeatures * outFeatures
        parameters += inFeatures * outFeatures + outFeatures
    }
}

extension Architecture {
    /// MACs per image and parameter count.
    public var resources: ResourceCount {
        var r = ResourceCount()
        switch family {
        case .mlp:
            var features = input.channels * input.height * input.width
            for width in hidden { r.linear(features, width); features = width }
            r.linear(features, classes)
        case .resnet, .mobilenetv2:
            var h = Architecture.convOut(input.height, kernel: 3, stride: stemStride, padding: 1)
            var w = Architecture.convOut(input.width, kernel: 3, stride: stemStride, padding: 1)
            r.conv(input.channels, stemWidth, kernel: 3, outH: h, outW: w)
            r.batchNorm(stemWidth, h: h, w: w)
            var channels = stemWidth
            for stage in stages {
                for (b, block) in stage.blocks.enumerated() {
                    let stride = b == 0 ? stage.stride : 1
                    let (oh, ow) = (Architecture.convOut(h, kernel: 3, stride: stride, padding: 1), Architecture.convOut(w, kernel: 3, stride: stride, padding: 1))
                    switch (family, self.block) {
                    case (.mobilenetv2, _):
                        r.conv(channels, block.hidden, kernel: 1, outH: h, outW: w); r.batchNorm(block.hidden, h: h, w: w)
                        r.conv(block.hidden, block.hidden, kernel: 3, groups: block.hidden, outH: oh, outW: ow); r.batchNorm(block.hidden, h: oh, w: ow)
                        r.conv(block.hidden, stage.width, kernel: 1, outH: oh, outW: ow); r.batchNorm(stage.width, h: oh, w: ow)
                    case (_, .bottleneck):
                        r.conv(channels, block.hidden, kernel: 1, outH: h, outW: w); r.batchNorm(block.hidden, h: h, w: w)
                        r.conv(block.hidden, block.hidden, kernel: 3, outH: oh, outW: ow); r.batchNorm(block.hidden, h: oh, w: ow)
                        r.conv(block.hidden, stage.width, kernel: 1, outH: oh, outW: ow); r.batchNorm(stage.width, h: oh, w: ow)
                        if stride != 1 || channels != stage.width {
                            r.conv(channels, stage.width, kernel: 1, outH: oh, outW: ow); r.batchNorm(stage.width, h: oh, w: ow)
                        }
                    default:
                        r.conv(channels, block.hidden, kernel: 3, outH: oh, outW: ow); r.batchNorm(block.hidden, h: oh, w: ow)
                        r.conv(block.hidden, stage.width, kernel: 3, outH: oh, outW: ow); r.batchNorm(stage.width, h: oh, w: ow)
                        if stride != 1 || channels != stage.width {
                            r.conv(channels, stage.width, kernel: 1, outH: oh, outW: ow); r.batchNorm(stage.width, h: oh, w: ow)
                        }
                    }
                    channels = stage.width
                    (h, w) = (oh, ow)
                }
            }
            if family == .mobilenetv2 {
                r.conv(channels, headWidth, kernel: 1, outH: h, outW: w); r.batchNorm(headWidth, h: h, w: w)
                channels = headWidth
            }
            r.linear(channels, classes)
        }
        return r
    }
}

import Foundation
