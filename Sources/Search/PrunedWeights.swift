import Foundation
import NN
import TensorCore

extension DMSSearch {
    /// The supernet's weights cut down to the searched architecture: for every layer, the kept
    /// input and output channels (most important first), for kept blocks only (renumbered).
    /// Loading the result into `Network(exportArchitecture())` gives a network whose inference
    /// outputs equal the supernet's under `hardMasks()`.
    ///
    /// Both ends are layer plans: each supernet layer of a kept block is paired with the layer of
    /// the same local name in the exported plan's block, and every tensor is checked against the
    /// shape that plan gives it; a mismatch is an error naming the layer.
    public func prunedCheckpoint() throws -> (architecture: Architecture, checkpoint: Checkpoint) {
        let architecture = try exportArchitecture()
        let source = space.plan, target = LayerPlan(architecture)
        var kept: [UnitKey: [Int]] = [:]
        for unit in units { kept[unit.key] = try keptIndices(unit) }
        func select(_ channels: ChannelSource, full: Int, layer: String) throws -> [Int] {
            switch channels {
            case .fixed: return Array(0..<full)
            case .unit(let key):
                guard let indices = kept[key] else { throw SearchError.invalid("pruned export: \(layer): the search has no unit \(key)") }
                return indices
            }
        }
        // Supernet block (index into source.blocks) → the exported plan's block.
        var renamed: [Int: PlannedBlock] = [:]
        for s in network.architecture.stages.indices {
            let keptBlocks = try keptBlocks(stage: s), exported = target.blocks(ofStage: s)
            guard keptBlocks.count == exported.count else {
                throw SearchError.invalid(
                    "pruned export: stage \(s) keeps \(keptBlocks.count) blocks but the exported architecture has \(exported.count)")
            }
            for (old, new) in zip(keptBlocks, exported) {
                if let i = source.blocks.firstIndex(where: { $0.stage == s && $0.index == old }) { renamed[i] = new }
            }
        }
        func targetLayer(_ layer: PlannedLayer) throws -> PlannedLayer? {
            guard let b = layer.block else { return try target.layer(named: layer.name) }
            guard let block = renamed[b] else { return nil }
            guard let match = target.layers(of: block).first(where: { $0.localName == layer.localName }) else {
                throw SearchError.invalid("pruned export: \(block.name) has no layer \(layer.localName) (from \(layer.name))")
            }
            return match
        }
        let values = Dictionary(
            uniqueKeysWithValues: try network.namedState.map { ($0.name, ($0.tensor.shape, try backend.download($0.tensor))) })
        func tensor(_ name: String) throws -> (shape: [Int], values: [Float]) {
            guard let found = values[name] else { throw SearchError.invalid("pruned export: the supernet has no tensor \(name)") }
            return found
        }
        let expected = Dictionary(uniqueKeysWithValues: target.tensors.map { ($0.name, $0.shape) })
        var checkpoint = Checkpoint(metadata: [
            "kind": "pruned", "architecture": String(decoding: try architecture.encoded(), as: UTF8.self),
        ])
        func append(_ name: String, _ shape: [Int], _ data: [Float]) throws {
            guard expected[name] == shape else {
                throw SearchError.invalid(
                    "pruned export: \(name) is \(shape) but the exported plan expects \(expected[name].map { "\($0)" } ?? "no such tensor")"
                )
            }
            checkpoint.tensors.append((name, shape, data))
        }
        for slot in space.layers {
            guard let out = try targetLayer(slot.layer) else { continue }
            let name = slot.name
            switch slot.layer.operation {
            case let .conv(_, _, depthwise):
                let (shape, w) = try tensor("\(name).weight")
                let outs = try select(slot.output, full: shape[0], layer: name)
                let ins = depthwise ? [0] : try select(slot.input, full: shape[1], layer: name)
                let plane = shape[2] * shape[3]
                var data: [Float] = []
                for o in outs { for i in ins { data += w[(o * shape[1] + i) * plane..<(o * shape[1] + i + 1) * plane] } }
                try append("\(out.name).weight", [outs.count, ins.count, shape[2], shape[3]], data)
            case .batchNorm:
                for suffix in ["weight", "bias", "running_mean", "running_var"] {
                    let (shape, v) = try tensor("\(name).\(suffix)")
                    let channels = try select(slot.output, full: shape[0], layer: name)
                    try append("\(out.name).\(suffix)", [channels.count], channels.map { v[$0] })
                }
            case .linear:
                let (shape, w) = try tensor("\(name).weight")
                let outs = try select(slot.output, full: shape[0], layer: name), ins = try select(slot.input, full: shape[1], layer: name)
                try append("\(out.name).weight", [outs.count, ins.count], outs.flatMap { o in ins.map { w[o * shape[1] + $0] } })
                let (_, b) = try tensor("\(name).bias")
                try append("\(out.name).bias", [outs.count], outs.map { b[$0] })
            }
        }
        return (architecture, checkpoint)
    }
}
