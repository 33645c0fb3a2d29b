import Datasets
import Foundation
import NN
import ONNX
import Search
import TensorCore
import Testing
import Training
import _TestSupport

/// ONNX exports run in ONNX Runtime (`Tools/onnx/run_onnx.py`, in the virtual environment that
/// `Tools/scripts/test.sh` makes under `.build/onnx-venv`) and give DiffNAS's own logits on real
/// Fashion-MNIST test images: max |Δ| ≤ 1e-4 and the same predicted classes, for a trained ResNet,
/// a trained MobileNetV2, an MLP and a DMS-searched network. `onnx.checker` must pass.
@Suite(
    .serialized, .timeLimit(.minutes(10)),
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct ONNXRuntimeParityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/onnx-venv/bin/python3")
    static let fashion = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The first `train` training and `test` test images of Fashion-MNIST.
    static func data(train: Int, test: Int) throws -> (train: Dataset, test: Dataset) {
        let splits = try loadDataset(at: fashion)
        return (splits.train.subset(0..<train), splits.test.subset(0..<test))
    }

    /// Trains `architecture` for one epoch on `train` (so the batch-norm statistics and weights are
    /// a trained network's), on the OpenCL device.
    static func trained(_ architecture: Architecture, on train: Dataset) throws -> Network {
        let network = try Network(architecture, backend: try SharedBackends.requireOpenCL(), seed: 3)
        var config = TrainingConfiguration()
        config.epochs = 1; config.batchSize = 64; config.learningRate = 0.05; config.augment = false
        let trainer = try Trainer(network: network, train: train, test: train, normalization: nil, configuration: config)
        _ = try trainer.trainEpoch()
        return network
    }

    /// Exports `network`, runs it in ONNX Runtime on the raw images of `test`, and compares with
    /// DiffNAS's inference on the normalized images. Returns the largest difference.
    static func parity(_ network: Network, normalization: ChannelNormalization, test: Dataset, label: String) throws -> Float {
        let python = Self.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Issue.record("\(python.path) is missing: Tools/scripts/test.sh makes it (python3 -m venv, pip install onnx onnxruntime)")
            return .infinity
        }
        let dir = try makeTemporaryDirectory("diffnas-onnx")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model.onnx")
        try ONNXExport.model(network, normalization: (normalization.mean, normalization.std)).write(to: model)
        let shape = [test.count] + test.sampleShape
        try NPYFile.write(shape: shape, values: test.images, to: dir.appendingPathComponent("images.npy"))
        let logitsURL = dir.appendingPathComponent("logits.npy")
        let process = Process()
        process.executableURL = python
        process.arguments = [
            Self.root.appendingPathComponent("Tools/onnx/run_onnx.py").path, model.path,
            dir.appendingPathComponent("images.npy").path, logitsURL.path,
        ]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(label): ONNX Runtime failed: \(String(decoding: errors, as: UTF8.self))")
        let graph = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        #expect(graph["opset"] as? Int == 17, "\(label)")
        #expect((graph["inputs"] as? [String: [Any]])?["images"]?.first as? String == "N", "\(label): the batch must be dynamic")
        #expect((graph["outputs"] as? [String: [Any]])?["logits"]?.last as? Int == network.architecture.classes, "\(label)")

        let onnx = try NPYFile.read(contentsOf: logitsURL)
        let normalized = try normalization.apply(to: test)
        let backend = network.backend
        let tape = Tape(backend: backend, training: false)
        let logits = try network.forward(tape.constant(try backend.upload(normalized.images, shape: shape)), on: tape)
        let ours = try backend.download(logits.value)
        try #require(onnx.shape == [test.count, network.architecture.classes] && onnx.values.count == ours.count, "\(label)")
        let worst = zip(onnx.values, ours).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "\(label): max |ONNX Runtime − DiffNAS| = \(worst)")
        let classes = network.architecture.classes
        func argmax(_ v: [Float], _ n: Int) -> Int { (0..<classes).max { v[n * classes + $0] < v[n * classes + $1] }! }
        let differing = (0..<test.count).filter { argmax(onnx.values, $0) != argmax(ours, $0) }
        #expect(differing.isEmpty, "\(label): predictions differ for images \(differing)")
        print("onnx parity \(label): \(test.count) images, max |Δ| \(worst), \(String(decoding: output, as: UTF8.self))")
        return worst
    }

    static let input = Architecture.Input(channels: 1, height: 28, width: 28)

    @Test func trainedResNetMobileNetAndMLP() throws {
        let (train, test) = try Self.data(train: 512, test: 96)
        let normalization = ChannelNormalization(statisticsOf: train)
        let normalizedTrain = try normalization.apply(to: train)
        var bottleneck = Architecture.cifarResNet(depth: 8, baseWidth: 8, input: Self.input, classes: 10)
        bottleneck.block = .bottleneck
        let networks: [(String, Architecture)] = [
            ("resnet14", .cifarResNet(depth: 14, baseWidth: 8, input: Self.input, classes: 10)),
            ("resnet-bottleneck", bottleneck),
            ("mobilenetv2", .smallMobileNetV2(widthMultiplier: 0.25, input: Self.input, classes: 10)),
            ("mlp", .mlp(hidden: [64, 31], input: Self.input, classes: 10)),
        ]
        for (label, architecture) in networks {
            _ = try Self.parity(try Self.trained(architecture, on: normalizedTrain), normalization: normalization, test: test, label: label)
        }
    }

    /// A DMS search's export: irregular widths, removed blocks, and the supernet's weights cut down.
    @Test func searchedNetwork() throws {
        let (train, test) = try Self.data(train: 512, test: 96)
        let normalization = ChannelNormalization(statisticsOf: train)
        let base = Architecture.cifarResNet(depth: 14, baseWidth: 8, input: Self.input, classes: 10)
        let supernet = try Network(base.scaled(width: 1.5), backend: try SharedBackends.requireOpenCL(), seed: 4)
        var config = DMSConfiguration()
        config.steps = 24; config.batchSize = 32; config.augment = false; config.structureLearningRate = 0.05
        let search = try DMSSearch(
            network: supernet, train: try normalization.apply(to: train), normalization: nil, resource: .macs,
            target: 0.5 * Double(base.resources.macs), configuration: config)
        try search.run { _ in }
        let (architecture, pruned) = try search.prunedCheckpoint()
        #expect(architecture != base && architecture.resources.macs < base.scaled(width: 1.5).resources.macs)
        let network = try Network(architecture, backend: supernet.backend, seed: 0)
        try pruned.restore(network.namedState, into: supernet.backend)
        _ = try Self.parity(network, normalization: normalization, test: test, label: "dms-searched \(LayerWidths.depths(architecture))")
    }
}
