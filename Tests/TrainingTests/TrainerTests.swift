import Datasets
import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing
import Training
import _TestSupport

@Suite(.timeLimit(.minutes(10))) struct TrainerTests {
    static func data(_ count: Int, seed: UInt64) throws -> Dataset {
        var rng = SeededRandom(seed: seed)
        var images: [Float] = [], labels: [Int] = []
        for n in 0..<count {
            let label = n % 3
            labels.append(label)
            for y in 0..<8 { for _ in 0..<8 { images.append((y / 3 == label ? 0.9 : 0.1) + 0.2 * rng.nextUnit()) } }
        }
        return try Dataset(name: "bands", images: images, labels: labels, sampleShape: [1, 8, 8], classCount: 3)
    }

    static func trainer(epochs: Int) throws -> Trainer {
        var config = TrainingConfiguration()
        config.epochs = epochs; config.batchSize = 16; config.learningRate = 0.05; config.warmupEpochs = 0.5
        let architecture = Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 3)
        return try Trainer(
            network: try Network(architecture, backend: ReferenceBackend(), seed: 5), train: try data(48, seed: 1),
            test: try data(24, seed: 2), normalization: nil, configuration: config)
    }

    /// Two epochs in one go equal one epoch, a checkpoint, a new process's restore and one more epoch — bit for bit.
    @Test func resumeIsBitForBit() throws {
        let straight = try Self.trainer(epochs: 2)
        _ = try straight.trainEpoch()
        _ = try straight.trainEpoch()
        let first = try Self.trainer(epochs: 2)
        _ = try first.trainEpoch()
        let saved = try Checkpoint.decode(try first.makeCheckpoint().encoded())
        let resumed = try Self.trainer(epochs: 2)
        try resumed.restore(from: saved)
        #expect(resumed.completedEpochs == 1)
        _ = try resumed.trainEpoch()
        let a = try straight.makeCheckpoint(), b = try resumed.makeCheckpoint()
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) {
            #expect(x.values.map(\.bitPattern) == y.values.map(\.bitPattern), "\(x.name)")
        }
    }

    @Test func mismatchedCheckpointIsRefused() throws {
        let small = try Self.trainer(epochs: 1)
        var config = TrainingConfiguration()
        config.epochs = 1; config.batchSize = 16
        let other = try Trainer(
            network: try Network(
                .mlp(hidden: [5], input: .init(channels: 1, height: 8, width: 8), classes: 3),
                backend: ReferenceBackend(), seed: 1),
            train: try Self.data(16, seed: 1), test: try Self.data(8, seed: 2), normalization: nil, configuration: config)
        #expect(throws: CheckpointError.self) { try other.restore(from: try small.makeCheckpoint()) }
    }

    @Test func nonFiniteLossStopsTraining() throws {
        var config = TrainingConfiguration()
        config.epochs = 1; config.batchSize = 16; config.learningRate = 1e30; config.warmupEpochs = 0; config.schedule = .constant
        let trainer = try Trainer(
            network: try Network(
                .mlp(hidden: [8], input: .init(channels: 1, height: 8, width: 8), classes: 3),
                backend: ReferenceBackend(), seed: 1),
            train: try Self.data(64, seed: 1), test: try Self.data(8, seed: 2), normalization: nil, configuration: config)
        #expect(throws: TrainingError.self) { _ = try trainer.trainEpoch() }
    }
}
