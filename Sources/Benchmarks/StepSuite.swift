import Dispatch
import NN
import OpenCLBackend
import ReferenceBackend
import TensorCore

/// One step of training or search, built on a backend: the step suite times `run` and checks
/// `outputs` of one run against the same step on the reference backend: the SGD training step
/// of a ResNet, and the DMS search step (forward, backward, both optimizer updates, importance
/// update) of the default search's supernet (StepSuite+Search.swift).
public struct StepInstance {
    /// One whole step (it may read values back to the host, as a training loop does).
    public var run: () throws -> Void
    /// Named results of the latest run (loss, gradients, state), for the check.
    public var outputs: () throws -> [(name: String, values: [Float])]

    public init(run: @escaping () throws -> Void, outputs: @escaping () throws -> [(name: String, values: [Float])]) {
        self.run = run; self.outputs = outputs
    }
}

/// A step to measure: what it is, its batch, and how to build it on a backend.
public struct StepWorkload {
    public var name: String
    public var detail: String
    public var batch: Int
    /// The batch of the reference check (the plain-loop reference at the full batch of a
    /// ResNet-20 would take minutes; the per-image computation is the same at any batch).
    public var checkBatch: Int
    public var make: (_ backend: any Backend, _ batch: Int) throws -> StepInstance

    public init(
        name: String, detail: String, batch: Int, checkBatch: Int,
        make: @escaping (_ backend: any Backend, _ batch: Int) throws -> StepInstance
    ) {
        self.name = name; self.detail = detail; self.batch = batch; self.checkBatch = checkBatch; self.make = make
    }
}

/// Device time of one kernel per step.
public struct KernelShare: Codable, Sendable {
    public var kernel: String
    public var millisecondsPerStep: Double
    public var launchesPerStep: Double
    /// Fraction of the step's total kernel time.
    public var share: Double
}

/// What the step suite measured for one workload.
public struct StepResult: Codable, Sendable {
    public var name: String
    public var detail: String
    public var batch: Int
    public var status: ContenderResult.Status
    public var reason: String?
    public var check: CheckOutcome?
    /// Wall-clock time per step (host included: tape, enqueueing, the loss read-back).
    public var time: TimingStatistics?
    /// `batch / median wall time`.
    public var imagesPerSecond: Double?
    /// Sum of the kernel events of one step (device busy time), mean over the timed steps.
    public var deviceMillisecondsPerStep: Double?
    /// Every kernel, slowest first.
    public var kernels: [KernelShare]
}

public enum StepSuite {
    /// The steps measured: ResNet-20 training on CIFAR-shaped input and the DMS search step of
    /// the default supernet, both at batch 128 (tiny networks at batch 8 for `--quick`).
    public static func workloads(quick: Bool) -> [StepWorkload] {
        if quick {
            let input = Architecture.Input(channels: 1, height: 12, width: 12)
            return [
                trainingStep(
                    name: "resnet8 SGD step", detail: "ResNet-8 width 4, 1×12×12, 10 classes, SGD momentum 0.9",
                    architecture: .cifarResNet(depth: 8, baseWidth: 4, input: input, classes: 10), batch: 8, checkBatch: 2),
                searchStep(
                    name: "DMS search step", detail: "ResNet-8 width 4 ×1.25 supernet, 1×12×12, target 50% MACs",
                    architecture: defaultSupernet(quick: true), batch: 8, checkBatch: 2),
            ] + cellSearchSteps(quick: true)
        }
        let input = Architecture.Input(channels: 3, height: 32, width: 32)
        return [
            trainingStep(
                name: "resnet20 SGD step", detail: "CIFAR ResNet-20, 3×32×32, 10 classes, SGD momentum 0.9, weight decay 5e-4",
                architecture: .cifarResNet(depth: 20, input: input, classes: 10), batch: 128, checkBatch: 2),
            searchStep(
                name: "DMS search step", detail: "default search supernet: ResNet-20 ×1.25 width, 1×28×28 (Fashion-MNIST), target 50% MACs",
                architecture: defaultSupernet(quick: false), batch: 128, checkBatch: 2),
            // The same supernet trained plainly: what the search step costs over ordinary training.
            trainingStep(
                name: "supernet SGD step", detail: "the DMS step's supernet without masks or structure update, SGD momentum 0.9",
                architecture: defaultSupernet(quick: false), batch: 128, checkBatch: 2),
        ] + cellSearchSteps(quick: false)
    }

    /// Forward, softmax cross-entropy (the loss read back, as `Trainer` does), backward and an
    /// SGD update of every parameter, on fixed seeded images and labels.
    public static func trainingStep(name: String, detail: String, architecture: Architecture, batch: Int, checkBatch: Int) -> StepWorkload {
        StepWorkload(name: name, detail: detail, batch: batch, checkBatch: checkBatch) { backend, batch in
            let network = try Network(architecture, backend: backend, seed: 7)
            var rng = SeededRandom(seed: 8)
            let input = architecture.input
            let x = try backend.upload(
                rng.uniform(batch * input.channels * input.height * input.width),
                shape: [batch, input.channels, input.height, input.width])
            let labels = try backend.upload((0..<batch).map { Float(($0 * 7) % architecture.classes) }, shape: [batch])
            let sgd = try SGD(parameters: network.parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, backend: backend)
            final class Latest { var loss: Float = .nan; var gradients: [(String, Tensor)] = [] }
            let latest = Latest()
            return StepInstance(
                run: {
                    let tape = Tape(backend: backend, training: true)
                    let (loss, _) = try tape.softmaxCrossEntropy(network.forward(tape.constant(x), on: tape), labels: labels)
                    latest.loss = try backend.download(loss.value)[0]
                    try tape.backward(from: loss)
                    let gradients = network.parameters.compactMap { p in tape.gradient(of: p).map { (p, $0) } }
                    try sgd.step(gradients)
                    latest.gradients = gradients.map { ("grad \($0.0.name)", $0.1) }
                },
                outputs: {
                    var list: [(name: String, values: [Float])] = [("loss", [latest.loss])]
                    for (name, tensor) in latest.gradients { list.append((name, try backend.download(tensor))) }
                    for p in network.parameters { list.append(("updated \(p.name)", try backend.download(p.value))) }
                    for b in network.buffers { list.append((b.name, try backend.download(b.tensor))) }
                    return list
                })
        }
    }

    /// Named tensors agree when `‖a − e‖₂ ≤ rtol·‖e‖₂` for each (1e-3: the two backends sum
    /// convolutions and batch statistics in different orders through ~20 layers; an indexing
    /// or formula error is O(1)). Norm-wise, because single elements of a deep network's
    /// gradients can cancel to nearly zero where a per-element relative bound means nothing.
    public static func compare(
        _ actual: [(name: String, values: [Float])], _ expected: [(name: String, values: [Float])],
        relativeTolerance: Double = 1e-3
    ) -> CheckOutcome {
        let method = "reference backend, ‖a − e‖ ≤ \(relativeTolerance)·‖e‖ per tensor"
        guard actual.map(\.name) == expected.map(\.name) else {
            return .failed(method, "outputs differ: \(actual.count) vs \(expected.count) named tensors")
        }
        var worst = (name: "", error: 0.0), maxAbs = 0.0, count = 0, failures: [String] = []
        for (a, e) in zip(actual, expected) {
            guard a.values.count == e.values.count else { return .failed(method, "\(a.name): size \(a.values.count) vs \(e.values.count)") }
            var difference = 0.0, norm = 0.0
            for (x, y) in zip(a.values, e.values) {
                let d = Double(x) - Double(y)
                difference += d * d; norm += Double(y) * Double(y)
                maxAbs = max(maxAbs, abs(d).isNaN ? .infinity : abs(d))
            }
            count += a.values.count
            let relative = difference.squareRoot() / max(norm.squareRoot(), 1e-30)
            if !(relative <= relativeTolerance) { failures.append("\(a.name) relative error \(relative)") }
            if relative > worst.error || relative.isNaN { worst = (a.name, relative) }
        }
        return CheckOutcome(
            passed: failures.isEmpty, method: method + "; worst \(worst.name) at \(worst.error)", checkedElements: count,
            maxAbsoluteError: maxAbs, detail: failures.prefix(5).joined(separator: "; "))
    }

    /// Checks one step against the reference at `checkBatch`, then times `batch`-sized steps:
    /// warm-up, then `repetitions` steps each timed by wall clock (synchronized), with a
    /// `KernelProfiler` attached for the per-kernel split.
    public static func measure(_ workload: StepWorkload, runner: BenchRunner) -> StepResult {
        let backend = runner.backend
        var result = StepResult(name: workload.name, detail: workload.detail, batch: workload.batch, status: .failed, kernels: [])
        do {
            let device = try workload.make(backend, workload.checkBatch)
            try device.run()
            let reference = try workload.make(runner.reference, workload.checkBatch)
            try reference.run()
            let check = compare(try device.outputs(), try reference.outputs())
            result.check = check
            guard check.passed else {
                result.reason = "wrong result at batch \(workload.checkBatch): \(check.detail)"
                return result
            }
            let step = try workload.make(backend, workload.batch)
            try step.run()
            for _ in 0..<runner.settings.warmups { try step.run() }
            try backend.synchronize()
            let saved = backend.profiler
            let profiler = KernelProfiler()
            backend.profiler = profiler
            defer { backend.profiler = saved }
            var samples: [Double] = []
            let repetitions = max(1, runner.settings.repetitions)
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                try step.run()
                try backend.synchronize()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let kernels = try profiler.summary()
            let total = kernels.reduce(0) { $0 + $1.milliseconds }
            let statistics = TimingStatistics(samples: samples)
            result.status = .ok
            result.time = statistics
            result.imagesPerSecond = Double(workload.batch) / (statistics.medianMilliseconds / 1000)
            result.deviceMillisecondsPerStep = total / Double(repetitions)
            result.kernels = kernels.map {
                KernelShare(
                    kernel: $0.kernel, millisecondsPerStep: $0.milliseconds / Double(repetitions),
                    launchesPerStep: Double($0.launches) / Double(repetitions), share: total > 0 ? $0.milliseconds / total : 0)
            }
        } catch {
            result.reason = "\(error)"
        }
        return result
    }
}
