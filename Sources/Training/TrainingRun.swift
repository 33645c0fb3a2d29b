import Datasets
import Foundation
import NN
import TensorCore

/// What one finished epoch measured.
public struct EpochRecord: Sendable {
    public let epoch: Int
    public let epochs: Int
    public let train: PassMetrics
    public let validation: PassMetrics?
    public let test: PassMetrics?
}

/// The outcome of a whole training run: final metrics and the cost of training.
public struct TrainingRunResult: Codable, Equatable, Sendable {
    public var test: PassMetrics
    public var validation: PassMetrics?
    public var epochs: Int
    /// Seconds spent in training passes (summed over resumed parts; evaluation excluded).
    public var trainSeconds: Double
    public var trainImages: Int
    public var imagesPerSecond: Double { trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0 }

    public init(test: PassMetrics, validation: PassMetrics?, epochs: Int, trainSeconds: Double, trainImages: Int) {
        self.test = test; self.validation = validation; self.epochs = epochs; self.trainSeconds = trainSeconds;
        self.trainImages = trainImages
    }
}

/// The one resumable training loop: epochs of `trainer` with an atomic checkpoint after every
/// epoch in `folder/checkpoint.bin` (with the elapsed training time and images), one JSON line
/// per epoch in `folder/metrics.jsonl`, and an optional held-out validation split evaluated
/// after every epoch. A run killed at any point and started again on the same folder continues
/// from the last finished epoch, exactly (bit for bit on the reference backend).
public final class TrainingRun {
    public let trainer: Trainer
    public let folder: URL
    public let validationLoader: BatchLoader?
    /// Whether the test split is evaluated after every epoch (always after the last).
    public let evaluateTestEachEpoch: Bool
    var seconds = 0.0
    var images = 0

    public var checkpointURL: URL { folder.appendingPathComponent("checkpoint.bin") }
    public var metricsURL: URL { folder.appendingPathComponent("metrics.jsonl") }

    public init(trainer: Trainer, folder: URL, validation: Dataset? = nil, evaluateTestEachEpoch: Bool = true) throws {
        self.trainer = trainer
        self.folder = folder
        self.evaluateTestEachEpoch = evaluateTestEachEpoch
        validationLoader = try validation.map {
            try BatchLoader(
                dataset: $0, batchSize: trainer.configuration.evaluationBatchSize, shuffle: false, dropLast: false,
                augmentation: .disabled, normalization: nil, seed: 0)
        }
    }

    /// Restores `folder/checkpoint.bin` when it exists (refusing one of another architecture or
    /// recipe); returns whether it did. The metrics log is cut back to the restored epochs.
    @discardableResult
    public func resumeIfPossible() throws -> Bool {
        guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return false }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.read(contentsOf: checkpointURL)
            try trainer.restore(from: checkpoint)
        } catch let error as CheckpointError {
            throw CheckpointError("\(checkpointURL.path): \(error.message)")
        }
        seconds = Double(checkpoint.metadata["seconds"] ?? "") ?? 0
        images = Int(checkpoint.metadata["images"] ?? "") ?? 0
        try JSONLinesLog.keepFirstLines(trainer.completedEpochs, of: metricsURL)
        return true
    }

    /// Trains until `trainer.configuration.epochs` epochs are complete and evaluates the result.
    public func run(onStep: (StepReport) -> Void = { _ in }, onEpoch: (EpochRecord) -> Void = { _ in }) throws -> TrainingRunResult {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = try JSONLinesLog(url: metricsURL)
        let epochs = trainer.configuration.epochs
        var lastTest: PassMetrics?, lastValidation: PassMetrics?
        while trainer.completedEpochs < epochs {
            let epoch = trainer.completedEpochs
            let train = try trainer.trainEpoch(progress: onStep)
            seconds += train.seconds
            images += train.images
            let validation = try validationLoader.map { try Trainer.evaluate(trainer.model, loader: $0) }
            let test = evaluateTestEachEpoch || epoch + 1 == epochs ? try trainer.evaluate() : nil
            var line: [String: Any] = [
                "epoch": epoch + 1, "train_loss": train.loss, "train_accuracy": train.accuracy,
                "images_per_second": train.imagesPerSecond, "epoch_seconds": train.seconds,
                "learning_rate": Double(trainer.optimizer.learningRate), "steps": trainer.step,
            ]
            if let test { line["test_loss"] = test.loss; line["test_accuracy"] = test.accuracy }
            if let validation { line["validation_loss"] = validation.loss; line["validation_accuracy"] = validation.accuracy }
            // The line goes first: a kill between the two leaves one line too many, which
            // `resumeIfPossible` cuts back to the checkpoint's epochs; the other order would
            // leave an epoch that is trained and checkpointed but never logged.
            try log.append(line)
            try trainer.makeCheckpoint(extra: ["seconds": "\(seconds)", "images": "\(images)"]).write(to: checkpointURL)
            onEpoch(EpochRecord(epoch: epoch + 1, epochs: epochs, train: train, validation: validation, test: test))
            lastTest = test
            lastValidation = validation
        }
        let test = try lastTest ?? trainer.evaluate()
        let validation = try lastValidation ?? validationLoader.map { try Trainer.evaluate(trainer.model, loader: $0) }
        return TrainingRunResult(test: test, validation: validation, epochs: epochs, trainSeconds: seconds, trainImages: images)
    }
}
