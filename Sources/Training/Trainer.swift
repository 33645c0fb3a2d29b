import Datasets
import Foundation
import NN
import TensorCore

/// Loss and accuracy over a pass.
public struct PassMetrics: Codable, Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double
    public var images: Int
    public var seconds: Double
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}

/// Progress of one training step, for progress bars and logs.
public struct StepReport: Sendable {
    public let epoch: Int
    public let batchIndex: Int
    public let batchesPerEpoch: Int
    public let loss: Float
    public let accuracy: Float
    public let learningRate: Float
    public let imagesPerSecond: Double
}

/// Trains a `Network` with SGD or AdamW on batches from a `BatchLoader`, evaluating on a test
/// split. The order of batches, augmentation and every update depend only on the seed and the
/// epoch, so a run restored from a checkpoint continues exactly as an uninterrupted one (bit
/// for bit on the reference backend).
public final class Trainer {
    /// What is trained (a `Network`, or a cell network from a genotype).
    public let model: any TrainableModel
    public let backend: any Backend
    public let configuration: TrainingConfiguration
    public let trainLoader: BatchLoader
    public let testLoader: BatchLoader
    public let optimizer: any Optimizer
    public let schedule: LearningRateSchedule
    /// Epochs fully completed (the next epoch to run).
    public internal(set) var completedEpochs = 0
    /// Optimizer steps taken.
    public internal(set) var step = 0

    public convenience init(
        network: Network, train: Dataset, test: Dataset, normalization: ChannelNormalization?,
        configuration: TrainingConfiguration
    ) throws {
        try self.init(model: network, train: train, test: test, normalization: normalization, configuration: configuration)
    }

    public init(
        model network: any TrainableModel, train: Dataset, test: Dataset, normalization: ChannelNormalization?,
        configuration: TrainingConfiguration
    ) throws {
        let input = network.inputShape
        guard train.sampleShape == input else {
            throw TrainingError.incompatibleData("the data's images are \(train.sampleShape) but the model expects \(input)")
        }
        guard train.classCount <= network.classCount else {
            throw TrainingError.incompatibleData("the data has \(train.classCount) classes but the model has \(network.classCount)")
        }
        self.model = network
        backend = network.backend
        self.configuration = configuration
        let augmentation = configuration.augmentation(imageSize: input[1])
        trainLoader = try BatchLoader(
            dataset: train, batchSize: configuration.batchSize, shuffle: true, dropLast: false,
            augmentation: augmentation, normalization: normalization, seed: configuration.seed)
        testLoader = try BatchLoader(
            dataset: test, batchSize: configuration.evaluationBatchSize, shuffle: false, dropLast: false,
            augmentation: .disabled, normalization: normalization, seed: configuration.seed)
        switch configuration.optimizer {
        case .sgd:
            optimizer = try SGD(
                parameters: network.parameters, learningRate: configuration.learningRate, momentum: configuration.momentum,
                weightDecay: configuration.weightDecay, nesterov: configuration.nesterov, backend: backend)
        case .adamw:
            optimizer = try Adam(
                parameters: network.parameters, learningRate: configuration.learningRate,
                weightDecay: configuration.weightDecay, decoupledWeightDecay: true, backend: backend)
        }
        schedule = configuration.learningRateSchedule(stepsPerEpoch: trainLoader.batchesPerEpoch)
    }

    /// One optimizer step on a batch: returns the loss and the number of correct predictions.
    public func trainStep(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let x = try backend.upload(batch.images, shape: batch.shape)
        let labels = try backend.upload(batch.labels, shape: [batch.count])
        let tape = Tape(backend: backend, training: true)
        let (logits, auxiliary) = try model.classify(tape.constant(x), on: tape)
        var (loss, _) = try tape.softmaxCrossEntropy(logits, labels: labels)
        for (extra, weight) in auxiliary {
            loss = try tape.add(loss, tape.scale(try tape.softmaxCrossEntropy(extra, labels: labels).loss, by: weight))
        }
        let lossValue = try backend.download(loss.value)[0]
        guard lossValue.isFinite else {
            throw TrainingError.nonFiniteLoss(epoch: completedEpochs, step: step, value: lossValue)
        }
        try tape.backward(from: loss)
        optimizer.learningRate = schedule.rate(at: step)
        try optimizer.step(model.parameters.compactMap { p in tape.gradient(of: p).map { (p, $0) } })
        step += 1
        let predictions = try backend.download(backend.argmax(logits.value))
        return (lossValue, zip(predictions, batch.labels).filter { $0 == $1 }.count)
    }

    /// Trains one epoch (the next one), calling `progress` after every step.
    public func trainEpoch(progress: (StepReport) -> Void = { _ in }) throws -> PassMetrics {
        let epoch = completedEpochs
        model.willTrainEpoch(epoch, of: configuration.epochs)
        let start = Date()
        var lossSum = 0.0, correct = 0, images = 0
        for batch in trainLoader.batches(epoch: epoch) {
            let (loss, right) = try trainStep(batch)
            lossSum += Double(loss) * Double(batch.count)
            correct += right
            images += batch.count
            let elapsed = Date().timeIntervalSince(start)
            progress(
                StepReport(
                    epoch: epoch, batchIndex: batch.index, batchesPerEpoch: trainLoader.batchesPerEpoch,
                    loss: loss, accuracy: Float(right) / Float(batch.count), learningRate: optimizer.learningRate,
                    imagesPerSecond: elapsed > 0 ? Double(images) / elapsed : 0))
        }
        try backend.synchronize()
        completedEpochs += 1
        return PassMetrics(
            loss: lossSum / Double(max(images, 1)), accuracy: Double(correct) / Double(max(images, 1)),
            images: images, seconds: Date().timeIntervalSince(start))
    }

    /// Loss and accuracy on the test split with batch norm in inference mode.
    public func evaluate() throws -> PassMetrics {
        try Trainer.evaluate(model, loader: testLoader)
    }

    /// Loss and accuracy of any trainable model over every batch of `loader` (inference mode).
    public static func evaluate(_ model: any TrainableModel, loader: BatchLoader) throws -> PassMetrics {
        try evaluate(backend: model.backend, loader: loader) { x, tape in try model.classify(x, on: tape).logits }
    }

    /// Loss and accuracy of `network` over every batch of `loader` (epoch 0 order).
    public static func evaluate(
        _ network: Network, loader: BatchLoader, masks: (Tape) throws -> NetworkMasks = { _ in NetworkMasks() }
    ) throws -> PassMetrics {
        try evaluate(backend: network.backend, loader: loader) { x, tape in try network.forward(x, on: tape, masks: try masks(tape)) }
    }

    /// The evaluation loop: `logits` on an evaluation tape per batch, mean loss and accuracy.
    static func evaluate(
        backend: any Backend, loader: BatchLoader, logits: (Variable, Tape) throws -> Variable
    ) throws -> PassMetrics {
        let start = Date()
        var lossSum = 0.0, correct = 0, images = 0
        for batch in loader.batches(epoch: 0) {
            let tape = Tape(backend: backend, training: false)
            let output = try logits(tape.constant(try backend.upload(batch.images, shape: batch.shape)), tape)
            let labels = try backend.upload(batch.labels, shape: [batch.count])
            let (loss, _) = try backend.softmaxCrossEntropy(logits: output.value, labels: labels)
            lossSum += Double(try backend.download(loss)[0]) * Double(batch.count)
            let predictions = try backend.download(backend.argmax(output.value))
            correct += zip(predictions, batch.labels).filter { $0 == $1 }.count
            images += batch.count
        }
        return PassMetrics(
            loss: lossSum / Double(max(images, 1)), accuracy: Double(correct) / Double(max(images, 1)),
            images: images, seconds: Date().timeIntervalSince(start))
    }
}
