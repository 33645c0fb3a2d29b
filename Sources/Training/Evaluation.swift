import Datasets
import Foundation
import NN
import TensorCore

/// What `diffnas evaluate` reports about a trained network: accuracy on a labelled split with its
/// per-class accuracy and confusion matrix, its size, and its inference latency on the backend.
public struct EvaluationReport: Codable, Sendable, Equatable {
    /// Correct predictions over images, a fraction (`test_accuracy` in the JSON).
    public var testAccuracy: Double
    public var images: Int
    /// `confusion[t][p]`: images of true class `t` predicted as class `p`.
    public var confusion: [[Int]]
    /// `confusion[c][c] / Σ_p confusion[c][p]`; nil for a class with no image.
    public var perClassAccuracy: [Double?]
    /// MACs per image and parameters (`Architecture.resources`).
    public var macs: Int, parameters: Int
    public var latency: [LatencyMeasurement]
    public var device: String

    enum CodingKeys: String, CodingKey {
        case testAccuracy = "test_accuracy", images, confusion, perClassAccuracy = "per_class_accuracy", macs, parameters, latency, device
    }
}

/// Inference time of one forward pass at one batch size.
public struct LatencyMeasurement: Codable, Sendable, Equatable {
    public var batch: Int
    /// Median and fastest of `runs` timed passes, milliseconds (after `warmup` untimed ones).
    public var medianMilliseconds: Double, minimumMilliseconds: Double
    public var runs: Int
    /// `batch / median`.
    public var imagesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case batch, medianMilliseconds = "median_ms", minimumMilliseconds = "min_ms", runs, imagesPerSecond = "images_per_second"
    }
}

/// Accuracy, confusion matrix and latency of a network in inference mode (batch norm with its
/// running statistics), on any backend.
public enum Evaluation {
    /// The confusion matrix of `predictions` against `labels` for `classes` classes; a label or
    /// prediction outside `0..<classes` is an error naming it.
    public static func confusion(predictions: [Int], labels: [Int], classes: Int) throws -> [[Int]] {
        try require(predictions.count == labels.count, "evaluation: \(predictions.count) predictions for \(labels.count) labels")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predictions, labels) {
            try require((0..<classes).contains(t), "evaluation: label \(t) is outside the network's \(classes) classes")
            try require((0..<classes).contains(p), "evaluation: prediction \(p) is outside \(classes) classes")
            matrix[t][p] += 1
        }
        return matrix
    }

    /// Predicted classes (argmax of the logits) and labels of every image of `data`, in order.
    public static func predictions(of network: Network, on data: Dataset, batchSize: Int) throws -> (predicted: [Int], labels: [Int]) {
        let loader = try BatchLoader(dataset: data, batchSize: batchSize, shuffle: false, dropLast: false, seed: 0)
        let backend = network.backend
        var predicted: [Int] = [], labels: [Int] = []
        for batch in loader.batches(epoch: 0) {
            let tape = Tape(backend: backend, training: false)
            let logits = try network.forward(tape.constant(try backend.upload(batch.images, shape: batch.shape)), on: tape)
            predicted += try backend.download(backend.argmax(logits.value)).map { Int($0) }
            labels += batch.labels.map { Int($0) }
        }
        return (predicted, labels)
    }

    /// Wall time of one inference pass on a batch of `batch` images (seeded noise), including the
    /// download of the logits, so every queued kernel has finished: median and fastest of `runs`.
    public static func latency(of network: Network, batch: Int, runs: Int, warmup: Int = 2) throws -> LatencyMeasurement {
        try require(batch >= 1 && runs >= 1, "evaluation: latency needs a batch ≥ 1 and runs ≥ 1")
        let input = network.architecture.input
        let shape = [batch, input.channels, input.height, input.width]
        var rng = SeededRandom(seed: 7)
        let images = try network.backend.upload(rng.normal(shape.reduce(1, *), std: 1), shape: shape)
        var times: [Double] = []
        for run in 0..<(warmup + runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let tape = Tape(backend: network.backend, training: false)
            let logits = try network.forward(tape.constant(images), on: tape)
            _ = try network.backend.download(logits.value)
            if run >= warmup { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        return LatencyMeasurement(
            batch: batch, medianMilliseconds: median, minimumMilliseconds: times[0], runs: runs,
            imagesPerSecond: median > 0 ? Double(batch) / (median / 1000) : 0)
    }

    /// The whole report: accuracy and confusion on `data`, resources, and latency at each of
    /// `latencyBatches` (`runs` timed passes each).
    public static func report(
        _ network: Network, on data: Dataset, batchSize: Int = 256, latencyBatches: [Int] = [1, 64], runs: Int = 20
    ) throws -> EvaluationReport {
        let classes = network.architecture.classes
        let (predicted, labels) = try predictions(of: network, on: data, batchSize: batchSize)
        let matrix = try confusion(predictions: predicted, labels: labels, classes: classes)
        let correct = (0..<classes).reduce(0) { $0 + matrix[$1][$1] }
        let perClass: [Double?] = matrix.enumerated().map { c, row in
            let total = row.reduce(0, +)
            return total > 0 ? Double(row[c]) / Double(total) : nil
        }
        let resources = network.architecture.resources
        return EvaluationReport(
            testAccuracy: Double(correct) / Double(max(labels.count, 1)), images: labels.count, confusion: matrix,
            perClassAccuracy: perClass, macs: resources.macs, parameters: resources.parameters,
            latency: try latencyBatches.map { try latency(of: network, batch: $0, runs: runs) },
            device: network.backend.deviceDescription)
    }
}
