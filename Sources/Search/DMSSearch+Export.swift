import Foundation
import NN
import TensorCore

extension DMSSearch {
    /// The kept elements of `unit` (`m > 0.5`), most important first (rank order, so ties
    /// follow the same index rule as the normalization).
    public func keptIndices(_ unit: TopKUnit) throws -> [Int] {
        if unit.mask == nil { try unit.makeMask() }
        let hard = try unit.hardMask()
        let rank = try backend.download(backend.rankNormalize(unit.importance))
        return (0..<unit.size).filter { hard[$0] }.sorted { rank[$0] > rank[$1] }
    }

    /// The searched architecture: every width is its unit's kept count; gated blocks whose
    /// mask is not above 0.5 are removed.
    public func exportArchitecture() throws -> Architecture {
        var counts: [UnitKey: Int] = [:]
        for unit in units where !unit.key.isDepth { counts[unit.key] = try keptIndices(unit).count }
        var blocks: [Int: [Int]] = [:]
        for s in network.architecture.stages.indices { blocks[s] = try keptBlocks(stage: s) }
        var a = try space.architecture(widths: counts, blocks: blocks)
        a.notes["searched-by"] = "dms"
        a.notes["name"] = "dms-\(network.architecture.notes["name"] ?? network.architecture.family.rawValue)"
        return a
    }

    /// Indices of the blocks of stage `s` that survive: every ungated block, and gated ones
    /// whose depth mask is kept.
    public func keptBlocks(stage s: Int) throws -> [Int] {
        let count = network.architecture.stages[s].blocks.count
        guard let gated = space.depthBlocks[s], let unit = unit(.depth(s)) else { return Array(0..<count) }
        let keptElements = Set(try keptIndices(unit))
        return (0..<count).filter { b in
            guard let element = gated.firstIndex(of: b) else { return true }
            return keptElements.contains(element)
        }
    }

    /// Hard 0/1 masks of the current state (for evaluating the masked supernet as the pruned network).
    public func hardMasks() throws -> NetworkMasks {
        for unit in units { try unit.makeMask(hard: isFrozen(unit, at: step)) }
        var masks = networkMasks()
        func hard(_ v: Variable) throws -> Variable {
            Variable(try backend.upload(try backend.download(v.value).map { TopKUnit.keeps($0) ? 1 : 0 }, shape: v.shape))
        }
        masks.stem = try masks.stem.map(hard)
        masks.head = try masks.head.map(hard)
        for (k, v) in masks.stream { masks.stream[k] = try hard(v) }
        for (k, v) in masks.mlpHidden { masks.mlpHidden[k] = try hard(v) }
        masks.hidden = try masks.hidden.mapValues { try $0.mapValues(hard) }
        // A depth unit's mask is shared by its blocks: harden it once.
        var depthHard: [ObjectIdentifier: Variable] = [:]
        masks.depth = try masks.depth.mapValues { blocks in
            try blocks.mapValues { entry in
                let id = ObjectIdentifier(entry.mask)
                let mask = try depthHard[id] ?? hard(entry.mask)
                depthHard[id] = mask
                return (mask, entry.index)
            }
        }
        return masks
    }
}
