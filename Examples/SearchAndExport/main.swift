// A tiny search from Swift code, with no CLI: DMS against uniform scaling and random search on
// a generated data set, then the DMS result evaluated and exported as ONNX and safetensors.
// `swift run diffnas-example [FOLDER]` (CI builds and runs it: Tests/CLITests/LibraryExampleRunTests).
import Datasets
import Foundation
import NN
import ONNX
import ReferenceBackend
import Search
import TensorCore
import Training

/// `count` 8×8 images of 4 classes: class k lights up rows 2k and 2k + 1.
func stripes(_ count: Int, seed: UInt64) throws -> Dataset {
    var rng = SeededRandom(seed: seed)
    var images: [Float] = [], labels: [Int] = []
    for n in 0..<count {
        labels.append(n % 4)
        for row in 0..<8 { for _ in 0..<8 { images.append((row / 2 == n % 4 ? 0.8 : 0.1) + 0.1 * rng.nextUnit()) } }
    }
    return try Dataset(name: "stripes", images: images, labels: labels, sampleShape: [1, 8, 8], classCount: 4)
}

let folder = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "diffnas-example-\(getpid())")
let raw = DatasetSplits(train: try stripes(128, seed: 1), test: try stripes(48, seed: 2))
let (splits, normalization) = try raw.normalized()

// 1. Search: DMS on a 1.5× wider MLP for half the base's MACs, with both baselines.
let base = Architecture.mlp(hidden: [32, 32], input: .init(channels: 1, height: 8, width: 8), classes: 4)
var search = DMSConfiguration()
search.steps = 20; search.batchSize = 16; search.augment = false
var retrain = TrainingConfiguration()
retrain.epochs = 2; retrain.batchSize = 16; retrain.augment = false
let plan = SearchPlan(
    base: base, supernet: base.scaled(width: 1.5), target: 0.5 * Double(base.resources.macs), search: search, retrain: retrain)
let backend = ReferenceBackend()
let pipeline = try SearchPipeline(plan: plan, splits: splits, backend: backend, folder: folder)
let report = try pipeline.run()
print(report.verdicts().joined(separator: "\n"))

// 2. The DMS result: load its retrained weights into its architecture and evaluate it.
let dms = pipeline.armFolder(repeat: 1, arm: .dms)
let architecture = try Architecture.load(contentsOf: dms.appendingPathComponent("architecture.json"))
let network = try Network(architecture, backend: backend, seed: 0)
guard let weights = pipeline.finalWeights(repeat: 1, arm: .dms) else { fatalError("the DMS arm left no weights in \(dms.path)") }
try Checkpoint.read(contentsOf: weights).restore(network.namedState, into: backend)
let evaluation = try Evaluation.report(network, on: splits.test, latencyBatches: [1], runs: 3)
print(
    String(
        format: "DMS result %@: test accuracy %.1f%%, %@ MACs", LayerWidths.of(architecture).map { "\($0.1)" }.joined(separator: "-"),
        evaluation.testAccuracy * 100, ResourceCount.human(evaluation.macs)))

// 3. Export: ONNX (takes pixels / 255; the normalization is in the graph) and safetensors.
try ONNXExport.model(network, normalization: (normalization.mean, normalization.std)).write(to: folder.appendingPathComponent("model.onnx"))
var state = Checkpoint(metadata: ["architecture": String(decoding: try architecture.encoded(), as: UTF8.self)])
try state.add(network.namedState, from: backend)
try state.safetensors().write(to: folder.appendingPathComponent("model.safetensors"))
print("wrote \(folder.appendingPathComponent("model.onnx").path) and model.safetensors")
