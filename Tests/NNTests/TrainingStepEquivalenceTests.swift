import NN
import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// One full training step (forward, loss, backward, SGD update) on the OpenCL backend against
/// the reference backend, compared per named tensor like llm.c's test_gpt2.
///
/// Tolerances: the loss to 1e-4 relative; gradients to atol 1e-4 + rtol 1e-3 — the two backends
/// sum convolutions and batch-norm statistics in different orders, which changes Float32
/// rounding by a few ulps per layer; 1e-3 relative leaves room for that through ~10 layers
/// while catching any indexing or formula error (those are O(1)).
@Suite(
    "training step: OpenCL matches reference",
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct TrainingStepEquivalenceTests {
    static func step(_ backend: any Backend, architecture: Architecture, batch: Int) throws -> [(String, [Float])] {
        let network = try Network(architecture, backend: backend, seed: 7)
        var rng = SeededRandom(seed: 8)
        let input = architecture.input
        let x = try backend.upload(
            rng.uniform(batch * input.channels * input.height * input.width),
            shape: [batch, input.channels, input.height, input.width])
        let labels = try backend.upload((0..<batch).map { Float(($0 * 7) % architecture.classes) }, shape: [batch])
        let tape = Tape(backend: backend, training: true)
        let (loss, _) = try tape.softmaxCrossEntropy(network.forward(tape.constant(x), on: tape), labels: labels)
        try tape.backward(from: loss)
        var outputs: [(String, [Float])] = [("loss", try backend.download(loss.value))]
        var gradients: [(Parameter, Tensor)] = []
        for p in network.parameters {
            let g = try #require(tape.gradient(of: p))
            outputs.append(("grad \(p.name)", try backend.download(g)))
            gradients.append((p, g))
        }
        let sgd = try SGD(parameters: network.parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, backend: backend)
        try sgd.step(gradients)
        for p in network.parameters { outputs.append(("updated \(p.name)", try backend.download(p.value))) }
        for b in network.buffers { outputs.append((b.name, try backend.download(b.tensor))) }
        return outputs
    }

    @Test(arguments: ["resnet", "mobilenetv2"])
    func fullStepMatches(family: String) throws {
        let input = Architecture.Input(channels: 1, height: 12, width: 12)
        let architecture =
            family == "resnet"
            ? Architecture.cifarResNet(depth: 8, baseWidth: 4, input: input, classes: 10)
            : Architecture.smallMobileNetV2(widthMultiplier: 0.25, input: input, classes: 10)
        let device = try Self.step(try SharedBackends.requireOpenCL(), architecture: architecture, batch: 4)
        let reference = try Self.step(SharedBackends.reference, architecture: architecture, batch: 4)
        #expect(device.map(\.0) == reference.map(\.0))
        for ((name, actual), (_, expected)) in zip(device, reference) {
            if name == "loss" {
                assertClose(actual, expected, atol: 0, rtol: 1e-4, name)
            } else {
                assertClose(actual, expected, atol: 1e-4, rtol: 1e-3, name)
            }
        }
    }
}

/// A small network must drive a fixed tiny batch to 100% training accuracy on both backends.
@Suite struct OverfitTests {
    static func overfit(_ backend: any Backend) throws -> Float {
        let architecture = Architecture.cifarResNet(depth: 8, baseWidth: 8, input: .init(channels: 1, height: 8, width: 8), classes: 4)
        let network = try Network(architecture, backend: backend, seed: 3)
        var rng = SeededRandom(seed: 4)
        let batch = 16
        let x = try backend.upload(rng.normal(batch * 64), shape: [batch, 1, 8, 8])
        let labelValues = (0..<batch).map { Float($0 % 4) }
        let labels = try backend.upload(labelValues, shape: [batch])
        let optimizer = try Adam(parameters: network.parameters, learningRate: 0.01, backend: backend)
        for _ in 0..<60 {
            let tape = Tape(backend: backend, training: true)
            let (loss, _) = try tape.softmaxCrossEntropy(network.forward(tape.constant(x), on: tape), labels: labels)
            try tape.backward(from: loss)
            try optimizer.step(network.parameters.map { ($0, tape.gradient(of: $0)!) })
        }
        let tape = Tape(backend: backend, training: true)
        let predictions = try backend.download(backend.argmax(network.forward(tape.constant(x), on: tape).value))
        return Float(zip(predictions, labelValues).filter { $0 == $1 }.count) / Float(batch)
    }

    @Test func referenceOverfits() throws {
        #expect(try Self.overfit(SharedBackends.reference) == 1)
    }

    @Test(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
    func openCLOverfits() throws {
        #expect(try Self.overfit(try SharedBackends.requireOpenCL()) == 1)
    }
}
