import Foundation
import NN
import TensorCore

extension Trainer {
    /// Model, batch-norm statistics, optimizer state and progress counters.
    public func makeCheckpoint(extra: [String: String] = [:]) throws -> Checkpoint {
        var metadata = extra
        metadata["kind"] = "training"
        metadata["completedEpochs"] = "\(completedEpochs)"
        metadata["step"] = "\(step)"
        metadata["optimizerSteps"] = "\(optimizer.stepCount)"
        metadata["architecture"] = String(decoding: try network.architecture.encoded(), as: UTF8.self)
        metadata["configuration"] = String(decoding: try Checkpoint.metadataEncoder.encode(configuration), as: UTF8.self)
        var checkpoint = Checkpoint(metadata: metadata)
        try checkpoint.add(network.namedState, from: backend)
        try checkpoint.add(optimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }, from: backend)
        return checkpoint
    }

    /// Restores a checkpoint made by `makeCheckpoint` of the same architecture and configuration;
    /// refuses (changing nothing) when anything differs.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.metadata["kind"] == "training" else { throw CheckpointError("not a training checkpoint") }
        guard let text = checkpoint.metadata["architecture"],
            let stored = try? Architecture.decode(Data(text.utf8)), stored == network.architecture
        else {
            throw CheckpointError("checkpoint does not match: it was made for a different architecture")
        }
        if let text = checkpoint.metadata["configuration"],
            let stored = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
        {
            var a = stored, b = configuration
            a.epochs = 0; b.epochs = 0  // extending a run with more epochs is allowed
            guard a == b else { throw CheckpointError("checkpoint does not match: it was made with different training options") }
        }
        guard let epochs = checkpoint.metadata["completedEpochs"].flatMap(Int.init),
            let steps = checkpoint.metadata["step"].flatMap(Int.init),
            let optimizerSteps = checkpoint.metadata["optimizerSteps"].flatMap(Int.init)
        else {
            throw CheckpointError("checkpoint is missing its progress counters")
        }
        try checkpoint.restore(
            network.namedState + optimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }, into: backend)
        completedEpochs = epochs
        step = steps
        optimizer.stepCount = optimizerSteps
    }
}
