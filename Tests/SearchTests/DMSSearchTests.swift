import Datasets
import Foundation
import NN
import ReferenceBackend
import Search
import TensorCore
import Testing
import Training
import _TestSupport

@Suite struct DMSSearchTests {
    /// A single unit with a plain task: elements 0..<6 of 20 are useful (keeping each lowers the
    /// loss), the rest useless; under a target of 6 elements the unit must keep exactly 0..<6.
    @Test func unitKeepsExactlyTheUsefulElements() throws {
        let backend = ReferenceBackend()
        let n = 20, useful = 6
        let unit = try TopKUnit(key: .mlp(0), size: n, lambda: Float(n), backend: backend)
        let adam = try Adam(parameters: [unit.ratio], learningRate: 0.02, weightDecay: 0, backend: backend)
        var rng = SeededRandom(seed: 1)
        for step in 0..<400 {
            let m = try backend.download(unit.makeMask().value)
            // L_task = Σ_{i<6} w_i(1 − m_i) with noisy w_i > 0; ∂L/∂m_i = −w_i for useful, small noise otherwise.
            let g: [Float] = (0..<n).map { i in i < useful ? -(0.2 + 0.1 * rng.nextUnit()) : 0.01 * (rng.nextUnit() - 0.5) }
            let gTensor = try backend.upload(g, shape: [n])
            #expect(
                try backend.taylorImportanceUpdate(unit.importance, mask: unit.mask!.value, gradMask: gTensor, decay: 0.9),
                "finite scores are applied")
            // Resource: count Σm, target 6, λ_res = 2: ∂L_res/∂m_i = 2/count when above target.
            let count = Double(m.filter { $0 >= 0.5 }.count)
            let target = Double(n) * pow(Double(useful) / Double(n), min(Double(step) / 200, 1))
            var total = g
            if count > target { total = g.map { $0 + Float(2 / count) } }
            let da = try backend.softMaskGradRatio(mask: unit.mask!.value, gradMask: backend.upload(total, shape: [n]), lambda: unit.lambda)
            try adam.step([(unit.ratio, da)])
            try unit.clampRatio()
        }
        try unit.makeMask()
        let hard = try unit.hardMask()
        #expect(hard == (0..<n).map { $0 < useful }, "kept \(hard.enumerated().filter(\.element).map(\.offset))")
    }

    static func search(
        steps: Int, target fraction: Double, backend: any Backend = ReferenceBackend(), architecture: Architecture? = nil,
        seed: UInt64 = 3
    ) throws -> DMSSearch {
        let data = try stripesDataset(count: 256)
        let a = architecture ?? .mlp(hidden: [128, 128], input: .init(channels: 1, height: 8, width: 8), classes: 4)
        let network = try Network(a, backend: backend, seed: seed)
        var config = DMSConfiguration()
        config.steps = steps
        config.batchSize = 32
        config.learningRate = 0.05
        config.structureLearningRate = 0.005
        config.augment = false
        config.seed = seed
        return try DMSSearch(
            network: network, train: data, normalization: nil, resource: .macs,
            target: fraction * Double(a.resources.macs), configuration: config)
    }

    /// The searched network's hard MACs land within ±2% of the target, and its accuracy stays high
    /// (the stripes task needs few channels).
    @Test func hardResourceLandsOnTarget() throws {
        let search = try Self.search(steps: 200, target: 0.5)
        var last: SearchStepRecord?
        try search.run { last = $0 }
        let architecture = try search.exportArchitecture()
        let achieved = Double(architecture.resources.macs)
        let target = search.schedule.target
        #expect(abs(achieved - target) / target <= 0.02, "achieved \(achieved) vs target \(target); widths \(architecture.hidden)")
        #expect((last?.accuracy ?? 0) >= 0.9)
    }

    @Test func unreachableTargetsAreRefusedBeforeWork() throws {
        #expect(throws: SearchError.self) { try Self.search(steps: 1, target: 1e-6) }
        #expect(throws: SearchError.self) { try Self.search(steps: 1, target: 1.5) }
    }

    /// The pruned checkpoint evaluates exactly like the masked supernet with hard masks.
    @Test(arguments: ["resnet", "mobilenet", "mlp"])
    func prunedWeightsReproduceMaskedSupernet(family: String) throws {
        let backend = ReferenceBackend()
        let input = Architecture.Input(channels: 1, height: 8, width: 8)
        let a: Architecture =
            switch family {
            case "resnet": .cifarResNet(depth: 14, baseWidth: 6, input: input, classes: 4)
            case "mobilenet": .smallMobileNetV2(widthMultiplier: 0.25, input: input, classes: 4)
            default: .mlp(hidden: [12, 9], input: input, classes: 4)
            }
        let search = try Self.search(steps: 1, target: 0.9, backend: backend, architecture: a)
        // Give the supernet trained-looking batch-norm statistics and an arbitrary pruning state.
        var rng = SeededRandom(seed: 9)
        for (name, tensor) in search.network.buffers {
            let values = name.hasSuffix("running_var") ? rng.uniform(tensor.count, in: 0.5...2) : rng.uniform(tensor.count)
            try backend.copy(backend.upload(values, shape: tensor.shape), into: tensor)
        }
        for unit in search.units {
            try backend.copy(backend.upload(rng.uniform(unit.size, in: 0...1), shape: [unit.size]), into: unit.importance)
            try backend.copy(backend.upload([TopKUnit.clamp(0.45, size: unit.size)], shape: [1]), into: unit.ratio.value)
        }
        let (architecture, checkpoint) = try search.prunedCheckpoint()
        #expect(architecture.resources.macs < a.resources.macs)
        let pruned = try Network(architecture, backend: backend, seed: 0)
        try checkpoint.restore(pruned.namedState, into: backend)
        let x = try backend.upload(rng.uniform(3 * 64), shape: [3, 1, 8, 8])
        let tape = Tape(backend: backend, training: false)
        let masked = try backend.download(search.network.forward(tape.constant(x), on: tape, masks: search.hardMasks()).value)
        let small = try backend.download(pruned.forward(tape.constant(x), on: tape).value)
        // Same arithmetic minus zeros, in a different summation order: ulp-level differences.
        assertClose(small, masked, atol: 1e-5, rtol: 1e-4, "pruned vs masked supernet (\(family))")
    }

    /// The exported architecture is a valid training-engine architecture that trains.
    @Test func exportedArchitectureRetrains() throws {
        let search = try Self.search(steps: 30, target: 0.5)
        try search.run { _ in }
        let architecture = try search.exportArchitecture()
        let decoded = try Architecture.decode(try architecture.encoded())
        #expect(decoded == architecture)
        let data = try stripesDataset(count: 128)
        var config = TrainingConfiguration()
        config.epochs = 6; config.batchSize = 32; config.learningRate = 0.05; config.augment = false; config.warmupEpochs = 0
        config.schedule = .constant
        let trainer = try Trainer(
            network: try Network(decoded, backend: ReferenceBackend(), seed: 1), train: data, test: data,
            normalization: nil, configuration: config)
        var metrics: PassMetrics?
        for _ in 0..<6 { metrics = try trainer.trainEpoch() }
        let accuracy = try trainer.evaluate().accuracy
        #expect(accuracy > 0.9, "accuracy \(accuracy) after \(String(describing: metrics)); widths \(architecture.hidden)")
    }

    /// A search interrupted after 6 steps and resumed from its checkpoint ends bit-for-bit where an
    /// uninterrupted 12-step search ends (reference backend).
    @Test func resumedSearchMatchesUninterrupted() throws {
        struct Interrupt: Error {}
        let straight = try Self.search(steps: 12, target: 0.5)
        try straight.run { _ in }
        let first = try Self.search(steps: 12, target: 0.5)
        #expect(throws: Interrupt.self) { try first.run { record in if record.step == 5 { throw Interrupt() } } }
        #expect(first.step == 6)
        let saved = try Checkpoint.decode(try first.makeCheckpoint().encoded())
        let resumed = try Self.search(steps: 12, target: 0.5, seed: 3)
        try resumed.restore(from: saved)
        try resumed.run { _ in }
        let a = try straight.makeCheckpoint(), b = try resumed.makeCheckpoint()
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) {
            #expect(x.values.map(\.bitPattern) == y.values.map(\.bitPattern), "\(x.name) differs after resuming")
        }
        // A checkpoint for another target is refused.
        let other = try Self.search(steps: 12, target: 0.4)
        #expect(throws: CheckpointError.self) { try other.restore(from: saved) }
    }
}
