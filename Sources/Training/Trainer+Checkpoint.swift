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
        metadata["architecture"] = try model.identity()
        metadata["configuration"] = String(decoding: try Checkpoint.metadataEncoder.encode(configuration), as: UTF8.self)
        var checkpoint = Checkpoint(metadata: metadata)
        try checkpoint.add(model.namedState, from: backend)
        try checkpoint.add(optimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }, from: backend)
        return checkpoint
    }

    /// Restores a checkpoint made by `makeCheckpoint` of the same architecture and configuration;
    /// refuses (changing nothing) when anything differs.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.metadata["kind"] == "training" else { throw CheckpointError("not a training checkpoint") }
        guard let text = checkpoint.metadata["architecture"], try Self.sameIdentity(text, try model.identity()) else {
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
            model.namedState + optimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }, into: backend)
        completedEpochs = epochs
        step = steps
        optimizer.stepCount = optimizerSteps
    }

    /// Two stored identities name the same model: equal as architectures when both decode as one
    /// (key order and formatting aside), else equal as text.
    static func sameIdentity(_ a: String, _ b: String) throws -> Bool {
        if let x = try? Architecture.decode(Data(a.utf8)), let y = try? Architecture.decode(Data(b.utf8)) { return x == y }
        return a == b
    }
}
