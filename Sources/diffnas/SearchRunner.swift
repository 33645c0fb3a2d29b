import Datasets
import Foundation
import NN
import Search
import TensorCore
import Training

/// Runs a `diffnas search` end to end; every phase checkpoints into the output folder so that
/// `--resume` continues where an interrupted run stopped.
final class SearchRunner {
    let command: SearchCommand
    let settings: SearchSettings
    let outDir: URL
    var timings: [String: Double] = [:]

    init(command: SearchCommand, settings: SearchSettings) {
        self.command = command
        self.settings = settings
        outDir = URL(fileURLWithPath: command.out ?? "runs/search-\(RunFolder.timestamp())")
    }

    var searchCheckpointURL: URL { outDir.appendingPathComponent("search-checkpoint.bin") }

    func run() throws {
        // Everything that can be refused is checked before any work starts.
        let splits = try DatasetLocation.load(command.data, limit: settings.limit)
        let baseArchitecture = try ArchitectureChoice.resolve(command.base, for: splits.train)
        let kind = ResourceKind(rawValue: command.resource)!
        let spec = try TargetSpec.parse(command.target)
        let baseResources = baseArchitecture.resources
        let baseValue = Double(kind == .macs ? baseResources.macs : baseResources.parameters)
        let targetValue = spec.value(base: baseValue)
        var pretrained: Checkpoint?
        var supernetArchitecture = baseArchitecture.scaled(width: settings.expandWidth, depth: settings.expandDepth)
        supernetArchitecture.notes["name"] = "\(baseArchitecture.notes["name"] ?? "base")-supernet"
        if command.pipeline == .pMinus, let path = command.weights {
            let checkpoint = try Checkpoint.read(contentsOf: URL(fileURLWithPath: path))
            guard let text = checkpoint.metadata["architecture"], let a = try? Architecture.decode(Data(text.utf8)) else {
                throw CLIError("\(path): not a `diffnas train` checkpoint (no architecture in it)")
            }
            supernetArchitecture = a
            pretrained = checkpoint
        }
        if !command.resume && FileManager.default.fileExists(atPath: searchCheckpointURL.path) {
            throw CLIError("\(outDir.path) already holds a search; pass --resume to continue it or choose another --out")
        }
        if command.resume && !FileManager.default.fileExists(atPath: searchCheckpointURL.path) {
            throw CLIError("--resume: no search checkpoint at \(searchCheckpointURL.path)")
        }
        let backend = try command.options.makeBackend(tuning: .tuneIfNeeded)
        let (normalizedSplits, _) = try splits.normalized()
        let network = try Network(supernetArchitecture, backend: backend, seed: command.options.seed)
        if let pretrained { try pretrained.restore(network.namedState, into: backend) }
        var configuration = DMSConfiguration()
        configuration.steps = settings.searchSteps
        configuration.batchSize = settings.batchSize
        configuration.learningRate = settings.learningRate
        configuration.structureLearningRate = settings.structureLearningRate ?? min(max(2 / Float(settings.searchSteps), 0.002), 0.05)
        configuration.resourceWeight = command.lambdaRes
        configuration.widthLambda = command.widthLambda
        configuration.depthLambda = command.depthLambda
        configuration.trainWeights = command.pipeline != .pMinus
        configuration.seed = command.options.seed
        configuration.checkpointInterval = max(10, min(50, settings.searchSteps / 10))
        let search: DMSSearch
        do {
            search = try DMSSearch(network: network, train: normalizedSplits.train, normalization: nil, resource: kind,
                                   target: targetValue, configuration: configuration)
        } catch let error as SearchError {
            throw CLIError("\(error)")
        }
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let supernetValue = search.resourceModel.full
        printError("DMS \(command.pipeline.rawValue) on \(splits.train.name) (\(splits.train.count) train / \(splits.test.count) test), backend \(backend.deviceDescription)")
        printError("base \(baseArchitecture.notes["name"] ?? "") \(ResourceCount.human(Int(baseValue))) \(kind.rawValue); supernet \(ResourceCount.human(Int(supernetValue))); target \(ResourceCount.human(Int(targetValue))); \(search.units.count) units")

        // Phase 1 (p): pretrain the supernet.
        if command.pipeline == .p && settings.pretrainEpochs > 0 {
            _ = try trainPhase("pretrain", network: network, splits: normalizedSplits, epochs: settings.pretrainEpochs)
        }
        // Phase 2: search.
        let searchStart = Date()
        try runSearch(search)
        timings["search"] = Date().timeIntervalSince(searchStart) + (timings["search-before-resume"] ?? 0)
        let (searched, pruned) = try search.prunedCheckpoint()
        try searched.write(to: outDir.appendingPathComponent("architecture.json"))
        if command.pipeline != .np { try pruned.write(to: outDir.appendingPathComponent("pruned.bin")) }

        // Phase 3: the searched model (retrained, fine-tuned, or evaluated as pruned).
        let searchedNetwork = try Network(searched, backend: backend, seed: command.options.seed)
        let searchedResult: PhaseResult
        switch command.pipeline {
        case .np:
            searchedResult = try trainPhase("retrain", network: searchedNetwork, splits: normalizedSplits, epochs: settings.retrainEpochs)
        case .p:
            try pruned.restore(searchedNetwork.namedState, into: backend)
            searchedResult = try trainPhase("finetune", network: searchedNetwork, splits: normalizedSplits, epochs: settings.retrainEpochs)
        case .pMinus:
            try pruned.restore(searchedNetwork.namedState, into: backend)
            searchedResult = try evaluatePhase(searchedNetwork, splits: normalizedSplits)
        }
        // Phase 4: the base family uniformly scaled to the same resource, same recipe.
        var baseline: (Architecture, PhaseResult)?
        if !command.noBaseline && command.pipeline != .pMinus {
            let achieved = Double(kind == .macs ? searched.resources.macs : searched.resources.parameters)
            var uniform = UniformScaling.matching(baseArchitecture, resource: kind, value: achieved)
            uniform.notes["name"] = "\(baseArchitecture.notes["name"] ?? "base")-uniform"
            try uniform.write(to: outDir.appendingPathComponent("baseline-architecture.json"))
            let net = try Network(uniform, backend: backend, seed: command.options.seed)
            baseline = (uniform, try trainPhase("baseline", network: net, splits: normalizedSplits, epochs: settings.retrainEpochs))
        }
        try writeReport(search: search, base: baseArchitecture, searched: searched, searchedResult: searchedResult,
                        baseline: baseline, kind: kind, target: targetValue, dataName: splits.train.name, device: backend.deviceDescription)
    }

    /// The search loop with progress, a JSONL log per step and periodic checkpoints.
    func runSearch(_ search: DMSSearch) throws {
        let log: JSONLinesLog
        if command.resume {
            let checkpoint = try Checkpoint.read(contentsOf: searchCheckpointURL)
            try search.restore(from: checkpoint)
            timings["search-before-resume"] = Double(checkpoint.metadata["seconds"] ?? "") ?? 0
            printError("resuming the search at step \(search.step)/\(search.configuration.steps)")
            log = try JSONLinesLog(url: outDir.appendingPathComponent("search.jsonl"))
        } else {
            log = try JSONLinesLog(url: outDir.appendingPathComponent("search.jsonl"), truncate: true)
        }
        guard search.step < search.configuration.steps else { return }
        let bar = ProgressBar(title: "search", total: search.configuration.steps)
        let start = Date()
        let before = timings["search-before-resume"] ?? 0
        try search.run { record in
            var entry: [String: Any] = ["step": record.step + 1, "loss": Double(record.taskLoss), "resource_loss": record.resourceLoss,
                                        "hard": record.hardResource, "soft": record.softResource, "target": record.target,
                                        "accuracy": Double(record.accuracy)]
            for u in record.units { entry["a.\(u.key)"] = Double(u.ratio); entry["kept.\(u.key)"] = u.kept }
            try log.append(entry)
            bar.update(record.step + 1, String(format: "loss %.3f acc %.2f %@ %@ → %@", record.taskLoss, record.accuracy,
                                               search.resourceModel.kind.rawValue, ResourceCount.human(Int(record.hardResource)),
                                               ResourceCount.human(Int(record.target))))
            if (record.step + 1) % search.configuration.checkpointInterval == 0 || record.step + 1 == search.configuration.steps {
                let seconds = before + Date().timeIntervalSince(start)
                try search.makeCheckpoint(extra: ["seconds": "\(seconds)"]).write(to: searchCheckpointURL)
            }
        }
        bar.finish()
    }

    struct PhaseResult {
        var test: PassMetrics
        var seconds: Double
        var imagesPerSecond: Double
    }

    /// Trains `network` for `epochs` with per-epoch checkpoints in `outDir/name/`, resuming them.
    func trainPhase(_ name: String, network: Network, splits: DatasetSplits, epochs: Int) throws -> PhaseResult {
        let dir = outDir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = TrainingConfiguration()
        config.epochs = epochs
        config.batchSize = max(settings.batchSize, 64)
        config.learningRate = settings.learningRate * 2
        config.seed = command.options.seed
        config.warmupEpochs = min(0.5, Double(epochs) / 4)
        let trainer = try Trainer(network: network, train: splits.train, test: splits.test, normalization: nil, configuration: config)
        let checkpointURL = dir.appendingPathComponent("checkpoint.bin")
        var seconds = 0.0, images = 0
        if FileManager.default.fileExists(atPath: checkpointURL.path) {
            let checkpoint = try Checkpoint.read(contentsOf: checkpointURL)
            try trainer.restore(from: checkpoint)
            seconds = Double(checkpoint.metadata["seconds"] ?? "") ?? 0
            images = Int(checkpoint.metadata["images"] ?? "") ?? 0
        }
        let log = try JSONLinesLog(url: dir.appendingPathComponent("metrics.jsonl"))
        while trainer.completedEpochs < epochs {
            let epoch = trainer.completedEpochs
            let bar = ProgressBar(title: "\(name) epoch \(epoch + 1)/\(epochs)", total: trainer.trainLoader.batchesPerEpoch)
            let metrics: PassMetrics
            do {
                metrics = try trainer.trainEpoch { r in
                    bar.update(r.batchIndex + 1, String(format: "loss %.4f acc %.3f %.0f img/s", r.loss, r.accuracy, r.imagesPerSecond))
                }
            } catch let error as TrainingError {
                bar.finish()
                throw CLIError("\(name): \(error)")
            }
            bar.finish()
            seconds += metrics.seconds
            images += metrics.images
            let test = try trainer.evaluate()
            try trainer.makeCheckpoint(extra: ["seconds": "\(seconds)", "images": "\(images)"]).write(to: checkpointURL)
            try log.append(["epoch": epoch + 1, "train_loss": metrics.loss, "train_accuracy": metrics.accuracy,
                            "test_loss": test.loss, "test_accuracy": test.accuracy, "images_per_second": metrics.imagesPerSecond])
            printError(String(format: "%@ epoch %d/%d: train acc %.4f, test acc %.4f, %.0f img/s", name, epoch + 1, epochs,
                              metrics.accuracy, test.accuracy, metrics.imagesPerSecond))
        }
        timings[name] = seconds
        let test = try trainer.evaluate()
        return PhaseResult(test: test, seconds: seconds, imagesPerSecond: seconds > 0 ? Double(images) / seconds : 0)
    }

    func evaluatePhase(_ network: Network, splits: DatasetSplits) throws -> PhaseResult {
        let loader = try BatchLoader(dataset: splits.test, batchSize: 256, shuffle: false, augmentation: .disabled, normalization: nil, seed: 0)
        let test = try Trainer.evaluate(network, loader: loader)
        return PhaseResult(test: test, seconds: 0, imagesPerSecond: 0)
    }
}

/// The base family with every width multiplied by one factor, chosen so its resource is as
/// close as possible to a value (bisection on the factor, then the nearest rounding).
enum UniformScaling {
    static func matching(_ base: Architecture, resource: ResourceKind, value: Double) -> Architecture {
        func measure(_ f: Double) -> Double {
            let r = base.scaled(width: f).resources
            return Double(resource == .macs ? r.macs : r.parameters)
        }
        var lo = 0.01, hi = 4.0
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if measure(mid) < value { lo = mid } else { hi = mid }
        }
        let best = [lo, hi].min { abs(measure($0) - value) < abs(measure($1) - value) }!
        var scaled = base.scaled(width: best)
        scaled.notes["width-multiplier"] = String(format: "%.3f", best)
        return scaled
    }
}
