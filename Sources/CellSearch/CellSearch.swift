import Datasets
import Foundation
import NN
import TensorCore

/// One iteration of a cell search, as recorded.
public struct CellSearchRecord: Sendable, Equatable, Codable {
    public var step: Int
    public var epoch: Int
    /// The w-step's training loss and accuracy on its batch.
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// The α-step's validation loss (nil while α is frozen).
    public var validationLoss: Double?
    public var learningRate: Double
    public var temperature: Double?
    /// Peak tensor storage of the backend during the iteration (both steps), bytes.
    public var peakBytes: Int
    public var seconds: Double
}

/// The search loop of the DARTS family on one `CellNetwork` supernet: each iteration takes an
/// α-step on a validation batch and a w-step on a training batch (GDAS: the w-step first), with
/// the training split halved into the two. `runStep` is one iteration; `runEpoch` a pass over the
/// training half. Everything is a function of (seed, step), so a checkpoint resumes exactly.
public final class CellSearch {
    public let configuration: CellSearchConfiguration
    public let network: any CellNetwork
    public let backend: any Backend
    public internal(set) var architecture: ArchitectureWeights
    let weightOptimizer: SGD
    public let trainLoader: BatchLoader
    public let validationLoader: BatchLoader
    /// Iterations done.
    public internal(set) var step = 0
    /// Every iteration so far, and α's probabilities every `recordInterval` steps.
    public internal(set) var records: [CellSearchRecord] = []
    public internal(set) var snapshots: [ArchitectureSnapshot] = []

    /// Cell types with their own α: normal only (NAS-Bench-201) or normal and reduction (DARTS).
    public var cellTypes: Int { configuration.space == .darts ? 2 : 1 }
    /// The incoming-edge count of each node (edge normalization groups).
    public var nodeInputs: [Int] {
        configuration.space == .nb201 ? Array(1...configuration.size.nodes) : (0..<configuration.size.nodes).map { 2 + $0 }
    }

    /// Each edge as "to←from" over the cell's states, in edge order: NAS-Bench-201 nodes 0…N
    /// (node 0 the cell input: 1←0, 2←0, 2←1, …); DARTS states 0 and 1 the two cell inputs and
    /// 2… the intermediate nodes (2←0, 2←1, 3←0, …).
    public var edgeNames: [String] { Self.edgeNames(space: configuration.space, nodes: configuration.size.nodes) }

    public static func edgeNames(space: CellSpace, nodes: Int) -> [String] {
        let first = space == .nb201 ? 1 : 2
        return (0..<nodes).flatMap { node in (0..<(node + first)).map { "\(first + node)←\($0)" } }
    }

    public init(_ configuration: CellSearchConfiguration, train: Dataset, validation: Dataset, backend: any Backend) throws {
        try configuration.validate()
        try require(
            train.sampleShape == validation.sampleShape && train.channels == configuration.size.inputChannels,
            "cell search: images \(train.sampleShape) do not match \(configuration.size.inputChannels) input channels")
        try require(train.count >= 1 && validation.count >= 1, "cell search: both halves of the training split need images")
        if configuration.space == .darts || configuration.method == .pcdarts {
            try require(
                train.height % 4 == 0 && train.width % 4 == 0,
                "cell search: the \(configuration.space.rawValue) supernet needs image sides divisible by 4, got \(train.height)×\(train.width)"
            )
        }
        self.configuration = configuration
        self.backend = backend
        let k = configuration.method == .pcdarts ? configuration.partialChannels : 1
        let size = configuration.size
        switch configuration.space {
        case .nb201:
            network = try NB201Network(
                size, operations: Array(repeating: CellSpace.nb201.operations, count: size.edgesPerCell(.nb201)), style: .search(.nb201),
                partialChannels: k, backend: backend, seed: configuration.seed)
        case .darts:
            network = try DARTSNetwork.supernet(size, partialChannels: k, backend: backend, seed: configuration.seed)
        }
        architecture = ArchitectureWeights(
            types: configuration.space == .darts ? 2 : 1, edges: network.edgesPerCell, operations: configuration.space.operations.count,
            edgeNormalization: configuration.method == .pcdarts, seed: configuration.seed ^ 0xA1FA)
        weightOptimizer = try SGD(
            parameters: network.parameters, learningRate: configuration.weightLearningRate, momentum: configuration.momentum,
            weightDecay: configuration.weightDecay, nesterov: configuration.nesterov, backend: backend)
        let augmentation = configuration.augment ? Augmentation.standard(imageSize: train.height) : .disabled
        trainLoader = try BatchLoader(
            dataset: train, batchSize: configuration.batchSize, shuffle: true, dropLast: true, augmentation: augmentation,
            seed: configuration.seed)
        validationLoader = try BatchLoader(
            dataset: validation, batchSize: configuration.batchSize, shuffle: true, dropLast: true, augmentation: augmentation,
            seed: configuration.seed ^ 0x5A11)
        try require(
            trainLoader.batchesPerEpoch >= 1 && validationLoader.batchesPerEpoch >= 1,
            "cell search: a half of \(min(train.count, validation.count)) images holds no full batch of \(configuration.batchSize)")
    }

    public var stepsPerEpoch: Int { trainLoader.batchesPerEpoch }
    public var totalSteps: Int { min(configuration.epochs * stepsPerEpoch, configuration.stepLimit ?? Int.max) }
    public var epoch: Int { step / stepsPerEpoch }
    public var finished: Bool { step >= totalSteps }

    /// One iteration: the batches of step `step`, both updates, the record.
    @discardableResult
    public func runStep() throws -> CellSearchRecord {
        try require(!finished, "cell search: all \(totalSteps) steps are done")
        let e = epoch, inEpoch = step % stepsPerEpoch
        let trainBatch = trainLoader.batch(inEpoch, epoch: e)
        let validationBatch = validationLoader.batch(inEpoch % validationLoader.batchesPerEpoch, epoch: e)
        let start = Date()
        backend.resetPeakMemory()
        let rate = configuration.weightRate(epoch: e)
        weightOptimizer.learningRate = rate
        let tau = configuration.method == .gdas ? configuration.temperature(epoch: e) : nil
        var rng = SeededRandom(seed: configuration.seed &+ 0x6D5A &* UInt64(step + 1))
        var validationLoss: Double?
        let updatesArchitecture = configuration.updatesArchitecture(epoch: e)
        let trained: (loss: Double, correct: Int)
        switch configuration.method {
        case .gdas:
            trained = try weightStep(trainBatch, rng: &rng, temperature: tau)
            if updatesArchitecture { validationLoss = try architectureStep(validationBatch, rng: &rng, temperature: tau) }
        case .darts, .pcdarts:
            if updatesArchitecture { validationLoss = try architectureStep(validationBatch, rng: &rng, temperature: nil) }
            trained = try weightStep(trainBatch, rng: &rng, temperature: nil)
        case .darts2:
            if updatesArchitecture {
                validationLoss = try unrolledArchitectureStep(train: trainBatch, validation: validationBatch, rate: rate)
            }
            trained = try weightStep(trainBatch, rng: &rng, temperature: nil)
        }
        try backend.synchronize()
        let record = CellSearchRecord(
            step: step, epoch: e, trainLoss: trained.loss, trainAccuracy: Double(trained.correct) / Double(trainBatch.count),
            validationLoss: validationLoss, learningRate: Double(rate), temperature: tau, peakBytes: backend.memoryUsage().peakBytes,
            seconds: Date().timeIntervalSince(start))
        records.append(record)
        step += 1
        if step % configuration.recordInterval == 0 || finished { snapshots.append(snapshot()) }
        return record
    }

    /// The probabilities of α (PC-DARTS: times β's) now.
    public func snapshot() -> ArchitectureSnapshot {
        ArchitectureSnapshot(step: step, weights: (0..<cellTypes).map { edgeOperationWeights(type: $0) })
    }

    /// `[edge][op]` weights the genotype is derived from: softmax(α), for PC-DARTS times softmax(β).
    public func edgeOperationWeights(type: Int) -> [[Double]] {
        let p = architecture.probabilities(type)
        guard configuration.method == .pcdarts else { return p }
        let b = architecture.edgeWeights(type, inputs: nodeInputs)
        return p.enumerated().map { e, row in row.map { $0 * b[e] } }
    }

    /// The genotype of the current α, derived as the official code does.
    public func genotype() throws -> Genotype {
        let weights = (0..<cellTypes).map { edgeOperationWeights(type: $0).map { $0.map(Float.init) } }
        switch configuration.space {
        case .nb201: return .nb201(try NB201Genotype.derive(from: weights[0], nodes: configuration.size.nodes))
        case .darts: return .darts(try DARTSGenotype.derive(normal: weights[0], reduce: weights[1], nodes: configuration.size.nodes))
        }
    }
}

/// α's probabilities at one step: `weights[type][edge][op]`.
public struct ArchitectureSnapshot: Sendable, Equatable, Codable {
    public let step: Int
    public let weights: [[[Double]]]

    public init(step: Int, weights: [[[Double]]]) { self.step = step; self.weights = weights }
}
