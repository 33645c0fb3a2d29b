import Datasets
import Foundation
import NN
import TensorCore
import Training

/// What one search step did, for progress, logs and plots.
public struct SearchStepRecord: Sendable {
    public let step: Int
    public let taskLoss: Float
    public let resourceLoss: Double
    /// Resource with hard counts (the straight-through forward value).
    public let hardResource: Double
    /// Resource with soft counts `Σ m` (for plots).
    public let softResource: Double
    public let target: Double
    public let accuracy: Float
    /// Per unit: `a` and the kept count `#(m > 0.5)`.
    public let units: [(key: UnitKey, ratio: Float, kept: Int)]
    /// `∂(L_task + λ_res·L_res)/∂a` of every updated unit at this step (what the structure optimizer received).
    public let ratioGradients: [UnitKey: Float]
}

/// Differentiable Model Scaling: searches every width and depth of a supernet with
/// differentiable top-k units under a resource target.
///
/// Each step: soft masks from the units; forward with masks; task loss; backward; Taylor
/// importance update from `∂L_task/∂m`; resource `r_c` (hard counts forward, soft gradient);
/// `L_res = λ_res·log(r_c/r_t)` when `r_c > r_t`; Adam on every `a` (then clamped); SGD on the
/// weights (unless searching structure only). Batches and every update depend only on the
/// seed and the step, so a resumed search continues exactly.
public final class DMSSearch {
    public let network: Network
    public let space: SearchSpace
    public let resourceModel: ResourceModel
    public let schedule: TargetSchedule
    public let configuration: DMSConfiguration
    public let units: [TopKUnit]
    public let loader: BatchLoader
    let backend: any Backend
    let weightOptimizer: SGD
    let structureOptimizer: Adam
    let learningRates: LearningRateSchedule
    /// Cosine decay of the structure learning rate: large moves while the target decays, fine
    /// corrections in the refine phase, so the final resource settles on the target.
    let structureLearningRates: LearningRateSchedule
    public internal(set) var step = 0

    /// - Parameters:
    ///   - target: the final resource target, absolute (MACs or parameters).
    public init(
        network: Network, train: Dataset, normalization: ChannelNormalization?, resource: ResourceKind,
        target: Double, configuration: DMSConfiguration
    ) throws {
        self.network = network
        backend = network.backend
        self.configuration = configuration
        space = SearchSpace(network.architecture)
        resourceModel = ResourceModel(space: space, kind: resource)
        try resourceModel.checkReachable(target)
        let full = resourceModel.full
        schedule = TargetSchedule(full: full, target: target, totalSteps: configuration.steps, decayFraction: configuration.decayFraction)
        let space = self.space
        units = try space.units.map { key, size in
            try TopKUnit(
                key: key, size: size, lambda: Float(size) * (key.isDepth ? configuration.depthLambda : configuration.widthLambda),
                minimumKept: space.minimumKept(of: key), halfElementStart: configuration.ablates(.ratioStart),
                backend: network.backend)
        }
        let input = network.architecture.input
        let augmentation = configuration.augment ? Augmentation.standard(imageSize: input.height) : .disabled
        loader = try BatchLoader(
            dataset: train, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
            augmentation: augmentation, normalization: normalization, seed: configuration.seed)
        weightOptimizer = try SGD(
            parameters: network.parameters, learningRate: configuration.learningRate,
            momentum: configuration.momentum, weightDecay: configuration.weightDecay, nesterov: true, backend: backend)
        // β1 = 0.5: the resource loss switches off as soon as r_c ≤ r_t, and with β1 = 0.9 the
        // accumulated momentum keeps pruning for ~10 more steps, overshooting the target by
        // several percent when the task does not pull back; 0.5 limits that to about one step.
        structureOptimizer = try Adam(
            parameters: units.map(\.ratio), learningRate: configuration.structureLearningRate,
            beta1: 0.5, weightDecay: 0, backend: backend)
        learningRates = LearningRateSchedule(
            kind: .cosine, baseRate: configuration.learningRate, totalSteps: configuration.steps,
            warmupSteps: min(configuration.steps / 20, 100))
        structureLearningRates = LearningRateSchedule(
            kind: configuration.structureSchedule == .cosine ? .cosine : .constant,
            baseRate: configuration.structureLearningRate,
            totalSteps: configuration.steps, minimumRate: configuration.structureLearningRate / 20)
    }

    func unit(_ key: UnitKey) -> TopKUnit? { units.first { $0.key == key } }

    /// The network masks of the current step from the units' masks.
    func networkMasks() -> NetworkMasks {
        var masks = NetworkMasks()
        masks.streamAfterEveryBlock = configuration.ablates(.streamOnce)
        for unit in units {
            guard let mask = unit.mask else { continue }
            switch unit.key {
            case .stem: masks.stem = mask
            case .stream:
                for (stage, key) in space.streamUnits.enumerated() where key == unit.key { masks.stream[stage] = mask }
            case let .hidden(s, b): masks.hidden[s, default: [:]][b] = mask
            case .head: masks.head = mask
            case .mlp(let i): masks.mlpHidden[i] = mask
            case .depth(let s):
                for (index, block) in (space.depthBlocks[s] ?? []).enumerated() { masks.depth[s, default: [:]][block] = (mask, index) }
            }
        }
        return masks
    }

    /// Hard counts and gates of the current masks.
    func hardState() throws -> (
        counts: [UnitKey: Double], gates: [UnitKey: [Double]], soft: [UnitKey: Double], softGates: [UnitKey: [Double]]
    ) {
        var counts: [UnitKey: Double] = [:], gates: [UnitKey: [Double]] = [:], soft: [UnitKey: Double] = [:],
            softGates: [UnitKey: [Double]] = [:]
        for unit in units {
            let m = try unit.mask.map { try backend.download($0.value) } ?? [Float](repeating: 1, count: unit.size)
            if unit.key.isDepth {
                gates[unit.key] = m.map { TopKUnit.keeps($0) ? 1 : 0 }
                softGates[unit.key] = m.map(Double.init)
            } else {
                counts[unit.key] = Double(m.filter(TopKUnit.keeps).count)
                soft[unit.key] = m.reduce(0) { $0 + Double($1) }
            }
        }
        return (counts, gates, soft, softGates)
    }

    /// Whether depth is frozen at `step`: once the target stops falling (the end of the decay
    /// phase) depth ratios no longer change and depth masks are hard 0/1, so the weights train
    /// for the blocks that will be exported (never under the `depth-freeze` ablation).
    public func depthFrozen(at step: Int) -> Bool { !configuration.ablates(.depthFreeze) && schedule.isHolding(at: step) }

    /// Whether `unit` is updated at `step` (a frozen depth unit is not).
    func isFrozen(_ unit: TopKUnit, at step: Int) -> Bool { unit.key.isDepth && depthFrozen(at: step) }

    /// One search step on `batch`.
    public func runStep(_ batch: Batch) throws -> SearchStepRecord {
        let x = try backend.upload(batch.images, shape: batch.shape)
        let labels = try backend.upload(batch.labels, shape: [batch.count])
        for unit in units { try unit.makeMask(hard: isFrozen(unit, at: step)) }
        let tape = Tape(backend: backend, training: true)
        let logits = try network.forward(tape.constant(x), on: tape, masks: networkMasks())
        let (loss, _) = try tape.softmaxCrossEntropy(logits, labels: labels)
        let taskLoss = try backend.download(loss.value)[0]
        guard taskLoss.isFinite else { throw SearchError.nonFiniteLoss(step: step, value: taskLoss) }
        try tape.backward(from: loss)

        let state = try hardState()
        let (hard, gradient) = resourceModel.evaluate(counts: state.counts, gates: state.gates)
        let soft = resourceModel.evaluate(counts: state.soft, gates: state.softGates).value
        let target = schedule.target(at: step)
        let resourceActive = hard > target
        let resourceLoss = resourceActive ? Double(configuration.resourceWeight) * log(hard / target) : 0

        var ratioGradients: [(Parameter, Tensor)] = []
        var gradientValues: [UnitKey: Float] = [:]
        for unit in units where !isFrozen(unit, at: step) {
            guard let mask = unit.mask else { continue }
            let taskGradient = try tape.gradient(of: mask) ?? backend.zeros([unit.size])
            try backend.taylorImportanceUpdate(
                unit.importance, mask: mask.value, gradMask: taskGradient, decay: configuration.importanceDecay)
            var total = taskGradient
            if resourceActive, let d = gradient[unit.key] {
                let scale = Double(configuration.resourceWeight) / hard
                total = try backend.add(taskGradient, try backend.upload(d.map { Float($0 * scale) }, shape: [unit.size]))
            }
            ratioGradients.append((unit.ratio, try backend.softMaskGradRatio(mask: mask.value, gradMask: total, lambda: unit.lambda)))
            gradientValues[unit.key] = try backend.download(ratioGradients.last!.1)[0]
        }
        structureOptimizer.learningRate = structureLearningRates.rate(at: step)
        try structureOptimizer.step(ratioGradients)
        for unit in units { try unit.clampRatio() }
        if configuration.trainWeights {
            weightOptimizer.learningRate = learningRates.rate(at: step)
            try weightOptimizer.step(network.parameters.compactMap { p in tape.gradient(of: p).map { (p, $0) } })
        }
        let predictions = try backend.download(backend.argmax(logits.value))
        let correct = zip(predictions, batch.labels).filter { $0 == $1 }.count
        let record = SearchStepRecord(
            step: step, taskLoss: taskLoss, resourceLoss: resourceLoss, hardResource: hard, softResource: soft, target: target,
            accuracy: Float(correct) / Float(batch.count),
            units: try units.map { u in
                (
                    key: u.key, ratio: try u.ratioValue(),
                    kept: u.key.isDepth ? Int(state.gates[u.key]?.reduce(0, +) ?? 0) : Int(state.counts[u.key] ?? 0)
                )
            }, ratioGradients: gradientValues)
        step += 1
        return record
    }

    /// Runs the remaining steps, calling `onStep` after each (checkpointing is the caller's).
    public func run(onStep: (SearchStepRecord) throws -> Void) throws {
        while step < configuration.steps {
            let perEpoch = loader.batchesPerEpoch
            guard perEpoch > 0 else {
                throw SearchError.invalid("the training split is smaller than one batch of \(configuration.batchSize)")
            }
            let epoch = step / perEpoch
            for batch in loader.batches(epoch: epoch, startingAt: step % perEpoch) {
                try onStep(try runStep(batch))
                if step >= configuration.steps { break }
            }
        }
        for unit in units { try unit.makeMask(hard: isFrozen(unit, at: step)) }
    }
}

/// Failures of a search, one line each.
public enum SearchError: Error, CustomStringConvertible, Equatable {
    case unreachableTarget(String)
    case nonFiniteLoss(step: Int, value: Float)
    case invalid(String)

    public var description: String {
        switch self {
        case .unreachableTarget(let m): m
        case let .nonFiniteLoss(step, value): "the search loss became \(value) at step \(step + 1); stopped (lower --lr?)"
        case .invalid(let m): m
        }
    }
}
