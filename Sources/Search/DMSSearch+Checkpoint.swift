import Foundation
import NN
import TensorCore

extension DMSSearch {
    /// Everything the search needs to continue: weights, batch-norm statistics, both optimizers'
    /// state, each unit's importance and ratio, and the step.
    var namedSearchState: [(name: String, tensor: Tensor)] {
        network.namedState
            + weightOptimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }
            + structureOptimizer.state.map { (name: "structure-optimizer.\($0.name)", tensor: $0.tensor) }
            + units.flatMap {
                [(name: "unit.\($0.key).importance", tensor: $0.importance), (name: "unit.\($0.key).ratio", tensor: $0.ratio.value)]
            }
    }

    public func makeCheckpoint(extra: [String: String] = [:]) throws -> Checkpoint {
        var metadata = extra
        metadata["kind"] = "dms-search"
        metadata["step"] = "\(step)"
        metadata["weightOptimizerSteps"] = "\(weightOptimizer.stepCount)"
        metadata["structureOptimizerSteps"] = "\(structureOptimizer.stepCount)"
        metadata["architecture"] = String(decoding: try network.architecture.encoded(), as: UTF8.self)
        metadata["configuration"] = String(decoding: try Checkpoint.metadataEncoder.encode(configuration), as: UTF8.self)
        metadata["target"] = "\(schedule.target)"
        var checkpoint = Checkpoint(metadata: metadata)
        try checkpoint.add(namedSearchState, from: backend)
        return checkpoint
    }

    /// Continues from a checkpoint of the same search (same supernet, options and target).
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.metadata["kind"] == "dms-search" else { throw CheckpointError("not a DMS search checkpoint") }
        guard let text = checkpoint.metadata["architecture"], let stored = try? Architecture.decode(Data(text.utf8)),
            stored == network.architecture
        else {
            throw CheckpointError("checkpoint does not match: it was made for a different supernet")
        }
        if let text = checkpoint.metadata["configuration"],
            let stored = try? JSONDecoder().decode(DMSConfiguration.self, from: Data(text.utf8)), stored != configuration
        {
            throw CheckpointError("checkpoint does not match: it was made with different search options")
        }
        guard checkpoint.metadata["target"] == "\(schedule.target)" else {
            throw CheckpointError("checkpoint does not match: it was made for a different target")
        }
        guard let steps = checkpoint.metadata["step"].flatMap(Int.init),
            let weightSteps = checkpoint.metadata["weightOptimizerSteps"].flatMap(Int.init),
            let structureSteps = checkpoint.metadata["structureOptimizerSteps"].flatMap(Int.init)
        else {
            throw CheckpointError("checkpoint is missing its progress counters")
        }
        try checkpoint.restore(namedSearchState, into: backend)
        step = steps
        weightOptimizer.stepCount = weightSteps
        structureOptimizer.stepCount = structureSteps
    }
}
