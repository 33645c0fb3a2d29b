import Datasets
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NN
import ReferenceBackend
import TensorCore
import Testing
import Training

/// `Evaluation` against hand counts and against the trainer's own evaluation loop.
@Suite struct EvaluationTests {
    @Test func confusionCountsByHand() throws {
        // true 0 0 1 2 2 2, predicted 0 1 1 2 0 2 → row 0: [1, 1, 0], row 1: [0, 1, 0], row 2: [1, 0, 2].
        let m = try Evaluation.confusion(predictions: [0, 1, 1, 2, 0, 2], labels: [0, 0, 1, 2, 2, 2], classes: 3)
        #expect(m == [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
        #expect(throws: TensorError.self) { try Evaluation.confusion(predictions: [0], labels: [3], classes: 3) }
        #expect(throws: TensorError.self) { try Evaluation.confusion(predictions: [0, 1], labels: [0], classes: 3) }
    }

    /// A briefly trained network: the report's accuracy is the trainer's (an independent loop),
    /// the matrix holds every image once, and per-class accuracy is its diagonal over its rows.
    @Test func reportAgreesWithTheTrainer() throws {
        let trainer = try TrainerTests.trainer(epochs: 2)
        for _ in 0..<2 { _ = try trainer.trainEpoch() }
        let test = try TrainerTests.data(24, seed: 2)
        let network = try #require(trainer.model as? Network)
        let report = try Evaluation.report(network, on: test, batchSize: 7, latencyBatches: [1, 5], runs: 3)
        let reference = try trainer.evaluate()
        #expect(report.testAccuracy == reference.accuracy)
        #expect(report.images == 24 && report.confusion.flatMap { $0 }.reduce(0, +) == 24)
        for (c, row) in report.confusion.enumerated() {
            #expect(report.perClassAccuracy[c] == Double(row[c]) / Double(row.reduce(0, +)))
        }
        #expect(report.macs == network.architecture.resources.macs)
        #expect(
            report.latency.map(\.batch) == [1, 5]
                && report.latency.allSatisfy { $0.runs == 3 && $0.minimumMilliseconds <= $0.medianMilliseconds })
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["test_accuracy"] as? Double == report.testAccuracy)
    }

    @Test func svgHasOneCellPerEntry() throws {
        let svg = ConfusionMatrixSVG.render([[3, 1], [0, 4]], classNames: ["a<b", "c"])
        #expect(svg.components(separatedBy: "<rect").count - 1 == 4)
        #expect(svg.contains("a&lt;b") && svg.contains("75.0%") && svg.contains("100.0%"))
        _ = try XMLDocument(xmlString: svg)
    }
}
