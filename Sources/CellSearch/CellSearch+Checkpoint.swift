import Foundation
import NN
import TensorCore

extension CellSearch {
    /// Weights, batch-norm statistics, the w-optimizer's momentum, α/β with Adam's moments, the
    /// step and the history: everything `runStep` reads, so a restored search continues exactly.
    public func makeCheckpoint() throws -> Checkpoint {
        var metadata: [String: String] = [:]
        metadata["kind"] = "cell-search"
        metadata["step"] = "\(step)"
        metadata["weightOptimizerSteps"] = "\(weightOptimizer.stepCount)"
        metadata["architectureSteps"] = "\(architecture.steps)"
        metadata["configuration"] = String(decoding: try Checkpoint.metadataEncoder.encode(configuration), as: UTF8.self)
        metadata["records"] = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
        metadata["snapshots"] = String(decoding: try JSONEncoder().encode(snapshots), as: UTF8.self)
        var checkpoint = Checkpoint(metadata: metadata)
        try checkpoint.add(namedState, from: backend)
        // α in double precision: its bits as pairs of floats would be opaque; a string keeps them exact.
        metadata = checkpoint.metadata
        metadata["architecture"] = architecture.state.values.map { "\($0)" }.joined(separator: ",")
        checkpoint.metadata = metadata
        return checkpoint
    }

    var namedState: [(name: String, tensor: Tensor)] {
        network.parameters.map { (name: $0.name, tensor: $0.value) } + network.buffers
            + weightOptimizer.state.map { (name: "optimizer.\($0.name)", tensor: $0.tensor) }
    }

    /// Continues from a checkpoint of the same search (same configuration); refuses, changing
    /// nothing, when it was made by another.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.metadata["kind"] == "cell-search" else { throw CheckpointError("not a cell-search checkpoint") }
        guard let text = checkpoint.metadata["configuration"],
            let stored = try? JSONDecoder().decode(CellSearchConfiguration.self, from: Data(text.utf8)), stored == configuration
        else { throw CheckpointError("checkpoint does not match: it was made with different search options") }
        guard let steps = checkpoint.metadata["step"].flatMap(Int.init),
            let weightSteps = checkpoint.metadata["weightOptimizerSteps"].flatMap(Int.init),
            let architectureSteps = checkpoint.metadata["architectureSteps"].flatMap(Int.init),
            let alpha = checkpoint.metadata["architecture"]?.split(separator: ",").map({ Double($0) }), alpha.allSatisfy({ $0 != nil }),
            let records = checkpoint.metadata["records"].flatMap({ try? JSONDecoder().decode([CellSearchRecord].self, from: Data($0.utf8)) }
            ),
            let snapshots = checkpoint.metadata["snapshots"].flatMap({
                try? JSONDecoder().decode([ArchitectureSnapshot].self, from: Data($0.utf8))
            })
        else { throw CheckpointError("checkpoint is missing its progress or architecture weights") }
        var restored = architecture
        do { try restored.restore(values: alpha.map { $0! }, steps: architectureSteps) } catch {
            throw CheckpointError("checkpoint's architecture weights do not fit this search: \(error)")
        }
        try checkpoint.restore(namedState, into: backend)
        architecture = restored
        step = steps
        weightOptimizer.stepCount = weightSteps
        self.records = records
        self.snapshots = snapshots
    }

    /// Runs the rest of the current epoch, calling `progress` after each step; returns the epoch's summary.
    public func runEpoch(progress: (CellSearchRecord) -> Void = { _ in }) throws -> CellEpochSummary {
        let e = epoch
        while !finished && epoch == e { progress(try runStep()) }
        let mine = records.filter { $0.epoch == e }
        return CellEpochSummary(
            epoch: e, trainLoss: mine.map(\.trainLoss).reduce(0, +) / Double(max(mine.count, 1)),
            trainAccuracy: mine.map(\.trainAccuracy).reduce(0, +) / Double(max(mine.count, 1)),
            validationAccuracy: try supernetAccuracy(), genotype: try genotype().text, seconds: mine.map(\.seconds).reduce(0, +))
    }

    /// The supernet's accuracy on the first `evaluationImages` held-out images with the current
    /// mixing (GDAS: the argmax operation of each edge), in evaluation mode as the official `infer`
    /// (DARTS' cells use their running statistics; NAS-Bench-201's normalize by the batch).
    public func supernetAccuracy() throws -> Double? {
        let count = min(configuration.evaluationImages, validationLoader.dataset.count)
        guard count > 0 else { return nil }
        let data = validationLoader.dataset.subset(0..<count)
        var correct = 0
        var rng = SeededRandom(seed: 0)
        for start in stride(from: 0, to: count, by: configuration.batchSize) {
            let n = min(configuration.batchSize, count - start)
            let images = Array(data.images[(start * data.sampleSize)..<((start + n) * data.sampleSize)])
            let labels = data.labels[start..<start + n].map(Float.init)
            var leaves = try leaves(gradient: false, rng: &rng, temperature: nil)
            if configuration.method == .gdas {
                let choices = try (0..<cellTypes).map { t in
                    try architecture.alpha[t].map { row -> HardChoice in
                        let k = firstArgmax(row.map(Float.init))
                        let hard = row.indices.map { Float($0 == k ? 1 : 0) }
                        return HardChoice(index: k, weights: Variable(try backend.upload(hard, shape: [hard.count])))
                    }
                }
                leaves.mixing = .hard(normal: choices[0], reduce: cellTypes > 1 ? choices[1] : [])
            }
            let tape = Tape(backend: backend, training: false)
            let x = try backend.upload(images, shape: [n] + data.sampleShape)
            let logits = try network.forward(tape.constant(x), on: tape, mixing: leaves.mixing)
            let predictions = try backend.download(backend.argmax(logits.value))
            correct += zip(predictions, labels).filter { $0 == $1 }.count
        }
        return Double(correct) / Double(count)
    }
}

/// One epoch of a cell search.
public struct CellEpochSummary: Sendable, Equatable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var genotype: String
    public var seconds: Double
}
