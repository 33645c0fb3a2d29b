import Foundation
import NN
import TensorCore

extension DMSSearch {
    /// The supernet's weights cut down to the searched architecture: for every layer, the kept
    /// input and output channels (most important first), for kept blocks only (renumbered).
    /// Loading the result into `Network(exportArchitecture())` gives a network whose inference
    /// outputs equal the supernet's under `hardMasks()`.
    public func prunedCheckpoint() throws -> (architecture: Architecture, checkpoint: Checkpoint) {
        let architecture = try exportArchitecture()
        var kept: [UnitKey: [Int]] = [:]
        for unit in units { kept[unit.key] = try keptIndices(unit) }
        func select(_ source: ChannelSource, full: Int) -> [Int] {
            switch source {
            case .fixed: Array(0..<full)
            case .unit(let key): kept[key]!
            }
        }
        // Old layer-name prefix → new prefix after removing blocks.
        var rename: [String: String] = [:]
        for s in network.architecture.stages.indices {
            for (newIndex, old) in try keptBlocks(stage: s).enumerated() { rename["stage\(s).block\(old)"] = "stage\(s).block\(newIndex)" }
        }
        func newName(_ layer: String) -> String? {
            guard layer.hasPrefix("stage") else { return layer }
            let parts = layer.split(separator: ".")
            let block = parts.prefix(2).joined(separator: ".")
            guard let renamed = rename[block] else { return nil }
            return ([renamed] + parts.dropFirst(2).map(String.init)).joined(separator: ".")
        }
        let values = Dictionary(uniqueKeysWithValues: try network.namedState.map { ($0.name, ($0.tensor.shape, try backend.download($0.tensor))) })
        var checkpoint = Checkpoint(metadata: ["kind": "pruned", "architecture": String(decoding: try architecture.encoded(), as: UTF8.self)])
        for layer in space.layers {
            guard let target = newName(layer.name) else { continue }
            switch layer.kind {
            case let .conv(_, depthwise):
                let (shape, w) = values["\(layer.name).weight"]!
                let outs = select(layer.output, full: shape[0])
                let ins = depthwise ? [0] : select(layer.input, full: shape[1])
                let plane = shape[2] * shape[3]
                var out: [Float] = []
                for o in outs { for i in ins { out += w[(o * shape[1] + i) * plane..<(o * shape[1] + i + 1) * plane] } }
                checkpoint.tensors.append(("\(target).weight", [outs.count, ins.count, shape[2], shape[3]], out))
            case .batchNorm:
                for suffix in ["weight", "bias", "running_mean", "running_var"] {
                    let (shape, v) = values["\(layer.name).\(suffix)"]!
                    let channels = select(layer.output, full: shape[0])
                    checkpoint.tensors.append(("\(target).\(suffix)", [channels.count], channels.map { v[$0] }))
                }
            case .linear:
                let (shape, w) = values["\(layer.name).weight"]!
                let outs = select(layer.output, full: shape[0]), ins = select(layer.input, full: shape[1])
                checkpoint.tensors.append(("\(target).weight", [outs.count, ins.count], outs.flatMap { o in ins.map { w[o * shape[1] + $0] } }))
                let (_, b) = values["\(layer.name).bias"]!
                checkpoint.tensors.append(("\(target).bias", [outs.count], outs.map { b[$0] }))
            }
        }
        return (architecture, checkpoint)
    }
}
