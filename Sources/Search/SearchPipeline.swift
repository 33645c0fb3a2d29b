import Datasets
import Foundation
import NN
import TensorCore
import Training

/// What a running pipeline reports, for progress bars and logs.
public enum SearchEvent {
    case message(String)
    /// A phase with `total` steps begins (search steps, or batches of a training epoch).
    case phase(name: String, total: Int)
    case searchStep(SearchStepRecord, search: DMSSearch)
    case trainStep(StepReport)
    case epoch(name: String, EpochRecord)
    case phaseFinished
}

/// A DMS search end to end, as a library: for each of the plan's paired repeats, search the
/// supernet (pretraining it first for pipeline p), export the architecture, then train every arm
/// — DMS, uniform scaling, random search at equal resource — with the same recipe and seed, and
/// finally write the report. Every phase checkpoints into `folder`, and `run()` on a folder that
/// holds an interrupted run continues it (finished phases are read back, not redone).
///
/// Layout: `plan.json`, `report.md`, `report.json`, `architecture.json` (repeat 1's DMS result),
/// and per repeat `repeat-R/search/` (checkpoint, `search.jsonl`, `architecture.json`, charts),
/// `repeat-R/<arm>/` (`architecture.json`, `checkpoint.bin`, `metrics.jsonl`, `result.json`).
public final class SearchPipeline {
    public let plan: SearchPlan
    public let folder: URL
    let backend: any Backend
    let train: Dataset, validation: Dataset?, test: Dataset
    let pretrained: Checkpoint?
    let onEvent: (SearchEvent) -> Void

    /// - Parameters:
    ///   - splits: normalized train and test splits; the plan's validation fraction is held out of train.
    ///   - pretrained: the supernet's weights for pipeline p-.
    public init(
        plan: SearchPlan, splits: DatasetSplits, backend: any Backend, folder: URL, pretrained: Checkpoint? = nil,
        onEvent: @escaping (SearchEvent) -> Void = { _ in }
    ) throws {
        self.plan = plan; self.folder = folder; self.backend = backend; self.pretrained = pretrained; self.onEvent = onEvent
        if plan.validationFraction > 0 {
            let parts = try splits.train.split(validationFraction: plan.validationFraction, seed: 0)
            train = parts.train
            validation = parts.validation.count > 0 ? parts.validation : nil
        } else {
            train = splits.train
            validation = nil
        }
        test = splits.test
        guard plan.repeats >= 1 else { throw SearchError.invalid("repeats must be ≥ 1") }
        guard plan.pipeline != .pMinus || pretrained != nil else { throw SearchError.invalid("pipeline p- needs pretrained weights") }
        // Refuse impossible targets before any work: the search space's minimum and the supernet.
        _ = try SearchPipeline.checkTarget(plan)
    }

    public var planURL: URL { folder.appendingPathComponent("plan.json") }
    func repeatFolder(_ r: Int) -> URL { folder.appendingPathComponent("repeat-\(r)") }

    /// Where repeat `r`'s `arm` keeps its architecture, checkpoint (`checkpoint.bin`, or for p-
    /// the evaluated `pruned.bin`) and logs.
    public func armFolder(repeat r: Int, arm: Arm) -> URL { repeatFolder(r).appendingPathComponent(arm.rawValue) }

    /// The final weights of repeat `r`'s `arm`: the trained checkpoint, or p-'s pruned weights.
    public func finalWeights(repeat r: Int, arm: Arm) -> URL? {
        ["checkpoint.bin", "pruned.bin"].map { armFolder(repeat: r, arm: arm).appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The resource model of the plan's supernet, after checking the target lies in
    /// `[minimum, full]` of the search space.
    @discardableResult
    public static func checkTarget(_ plan: SearchPlan) throws -> ResourceModel {
        let model = ResourceModel(space: SearchSpace(plan.supernet), kind: plan.resource)
        try model.checkReachable(plan.target)
        return model
    }

    /// Refuses to continue the run in `folder` when it was made with other settings (only the
    /// repeat count may change); passes when the folder holds no run.
    public static func checkResumable(_ plan: SearchPlan, in folder: URL) throws {
        let url = folder.appendingPathComponent("plan.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let stored: SearchPlan
        do { stored = try JSONDecoder().decode(SearchPlan.self, from: Data(contentsOf: url)) } catch {
            throw SearchError.invalid("\(url.path): not a readable search plan")
        }
        guard plan.canResume(stored) else {
            throw SearchError.invalid("\(folder.path) holds a run with different settings (\(url.lastPathComponent)); choose another --out")
        }
        // Every checkpoint the run would continue from must read back whole before any work starts.
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "bin" {
            do { _ = try Checkpoint.read(contentsOf: file) } catch let error as CheckpointError {
                let message = error.message.contains(file.path) ? error.message : "\(file.path): \(error.message)"
                throw CheckpointError("\(message); remove it to redo that phase")
            }
        }
    }

    /// Whether `folder` holds a run (its plan).
    public static func holdsRun(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("plan.json").path)
    }

    /// Runs (or continues) every repeat and writes the report; returns it.
    @discardableResult
    public func run() throws -> SearchReport {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SearchPipeline.checkResumable(plan, in: folder)
        try writeJSON(plan, to: planURL)
        var results: [ArmResult] = []
        var first: (DMSSearch, Architecture)?
        for r in 1...plan.repeats {
            let (search, searched, searchSeconds) = try runSearch(repeat: r)
            if r == 1 {
                first = (search, searched)
                try searched.write(to: folder.appendingPathComponent("architecture.json"))
            }
            for arm in plan.arms where plan.pipeline != .pMinus || arm == .dms {
                results.append(try runArm(arm, repeat: r, search: search, searched: searched, searchSeconds: searchSeconds))
            }
        }
        var report = SearchReport(
            plan: plan, results: results, dataName: train.name, trainCount: train.count,
            validationCount: validation?.count ?? 0, testCount: test.count, device: backend.deviceDescription)
        if let (search, _) = first {
            report.widths = try SearchCharts.widthRows(search: search, base: plan.base)
            try SearchCharts.write(
                search: search, base: plan.base, log: repeatFolder(1).appendingPathComponent("search/search.jsonl"), to: folder)
        }
        try report.write(to: folder)
        return report
    }

    // MARK: the search of one repeat

    func runSearch(repeat r: Int) throws -> (DMSSearch, Architecture, Double) {
        let dir = repeatFolder(r).appendingPathComponent("search")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let seed = plan.seed(ofRepeat: r)
        let network = try Network(plan.supernet, backend: backend, seed: seed)
        let checkpointURL = dir.appendingPathComponent("search-checkpoint.bin")
        let resuming = FileManager.default.fileExists(atPath: checkpointURL.path)
        if let pretrained { try pretrained.restore(network.namedState, into: backend) }
        if plan.pipeline == .p && plan.pretrainEpochs > 0 && !resuming {
            var config = plan.retrain
            config.epochs = plan.pretrainEpochs
            config.seed = seed
            _ = try trainNetwork(
                network, name: "repeat \(r) pretrain", folder: repeatFolder(r).appendingPathComponent("pretrain"), configuration: config)
        }
        var configuration = plan.search
        configuration.seed = seed
        configuration.trainWeights = plan.pipeline != .pMinus
        let search = try DMSSearch(
            network: network, train: train, normalization: nil, resource: plan.resource,
            target: plan.target, configuration: configuration)
        var before = 0.0
        if resuming {
            do {
                let checkpoint = try Checkpoint.read(contentsOf: checkpointURL)
                try search.restore(from: checkpoint)
                before = Double(checkpoint.metadata["seconds"] ?? "") ?? 0
            } catch let error as CheckpointError {
                throw CheckpointError("\(checkpointURL.path): \(error.message)")
            }
        }
        let logURL = dir.appendingPathComponent("search.jsonl")
        if resuming { try JSONLinesLog.keepFirstLines(search.step, of: logURL) }
        let log = try JSONLinesLog(url: logURL, truncate: !resuming)
        let start = Date()
        if search.step < configuration.steps {
            onEvent(
                .message(
                    resuming
                        ? "repeat \(r): resuming the search at step \(search.step)/\(configuration.steps)"
                        : "repeat \(r)/\(plan.repeats): searching (seed \(seed))"))
            onEvent(.phase(name: "repeat \(r) search", total: configuration.steps))
            try search.run { record in
                var entry: [String: Any] = [
                    "step": record.step + 1, "loss": Double(record.taskLoss), "resource_loss": record.resourceLoss,
                    "hard": record.hardResource, "soft": record.softResource, "target": record.target,
                    "accuracy": Double(record.accuracy),
                ]
                for u in record.units { entry["a.\(u.key)"] = Double(u.ratio); entry["kept.\(u.key)"] = u.kept }
                try log.append(entry)
                onEvent(.searchStep(record, search: search))
                let done = record.step + 1
                if done % configuration.checkpointInterval == 0 || done == configuration.steps {
                    try search.makeCheckpoint(extra: ["seconds": "\(before + Date().timeIntervalSince(start))"]).write(to: checkpointURL)
                }
            }
            onEvent(.phaseFinished)
        }
        let seconds = before + (search.step > 0 ? Date().timeIntervalSince(start) : 0)
        let stored = (try? Checkpoint.read(contentsOf: checkpointURL)).flatMap { Double($0.metadata["seconds"] ?? "") } ?? seconds
        let searched = try search.exportArchitecture()
        try searched.write(to: dir.appendingPathComponent("architecture.json"))
        try SearchCharts.write(search: search, base: plan.base, log: logURL, to: dir)
        return (search, searched, stored)
    }

    // MARK: the arms of one repeat

    func runArm(_ arm: Arm, repeat r: Int, search: DMSSearch, searched: Architecture, searchSeconds: Double) throws -> ArmResult {
        let dir = armFolder(repeat: r, arm: arm)
        let resultURL = dir.appendingPathComponent("result.json")
        if let data = try? Data(contentsOf: resultURL), let done = try? JSONDecoder().decode(ArmResult.self, from: data) { return done }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let seed = plan.seed(ofRepeat: r)
        let achieved = plan.resource.value(of: searched)
        let architecture: Architecture
        var note: String?
        switch arm {
        case .dms: architecture = searched
        case .uniform:
            var a = UniformScaling.matching(plan.base, resource: plan.resource, value: achieved)
            a.notes["name"] = "\(plan.base.notes["name"] ?? "base")-uniform"
            architecture = a
            let deviation = (plan.resource.value(of: a) - achieved) / achieved
            if abs(deviation) > 0.01 {
                note = String(format: "uniform scaling lands %+.1f%% from the DMS result (widths are whole channels)", deviation * 100)
            }
        case .random:
            architecture = try RandomArchitecture.sample(from: search.space, resource: plan.resource, value: achieved, seed: seed)
        }
        try architecture.write(to: dir.appendingPathComponent("architecture.json"))
        let network = try Network(architecture, backend: backend, seed: seed)
        var config = plan.retrain
        config.seed = seed
        let name = "repeat \(r) \(arm.rawValue)"
        let outcome: TrainingRunResult
        switch (arm, plan.pipeline) {
        case (.dms, .pMinus):
            let (_, pruned) = try search.prunedCheckpoint()
            try pruned.restore(network.namedState, into: backend)
            if let images = plan.recalibrationImages, images > 0 {
                let loader = try BatchLoader(
                    dataset: train, batchSize: config.batchSize, shuffle: true, dropLast: false, augmentation: .disabled,
                    normalization: nil, seed: seed)
                let used = try BatchNormRecalibration.recalibrate(network, loader: loader, maximumImages: images)
                note = "batch-norm statistics re-estimated on \(used) training images (the pruned weights unchanged)"
            }
            // The weights as evaluated (with the re-estimated statistics) are the exported ones.
            var evaluated = Checkpoint(metadata: pruned.metadata)
            try evaluated.add(network.namedState, from: backend)
            try evaluated.write(to: dir.appendingPathComponent("pruned.bin"))
            outcome = try evaluateOnly(network, configuration: config)
        case (.dms, .p):
            let (_, pruned) = try search.prunedCheckpoint()
            try pruned.write(to: dir.appendingPathComponent("pruned.bin"))
            if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint.bin").path) {
                try pruned.restore(network.namedState, into: backend)
            }
            outcome = try trainNetwork(network, name: name, folder: dir, configuration: config)
        default:
            outcome = try trainNetwork(network, name: name, folder: dir, configuration: config)
        }
        let resources = architecture.resources
        let result = ArmResult(
            arm: arm, repeatIndex: r, seed: seed, macs: resources.macs, parameters: resources.parameters,
            depths: LayerWidths.depths(architecture), testAccuracy: outcome.test.accuracy,
            validationAccuracy: outcome.validation?.accuracy, trainSeconds: outcome.trainSeconds,
            searchSeconds: arm == .dms ? searchSeconds : nil, note: note)
        try writeJSON(result, to: resultURL)
        onEvent(
            .message(
                String(
                    format: "%@: test accuracy %.2f%%%@ (%@ %@)", name, result.testAccuracy * 100,
                    result.validationAccuracy.map { String(format: ", validation %.2f%%", $0 * 100) } ?? "",
                    ResourceCount.human(resources.macs), "MACs")))
        return result
    }

    /// Trains with the one resumable loop, reporting progress.
    func trainNetwork(_ network: Network, name: String, folder: URL, configuration: TrainingConfiguration) throws -> TrainingRunResult {
        let trainer = try Trainer(network: network, train: train, test: test, normalization: nil, configuration: configuration)
        let run = try TrainingRun(trainer: trainer, folder: folder, validation: validation, evaluateTestEachEpoch: false)
        try run.resumeIfPossible()
        var phaseOpen = false
        let result = try run.run(
            onStep: { report in
                if !phaseOpen {
                    self.onEvent(.phase(name: "\(name) epoch \(report.epoch + 1)/\(configuration.epochs)", total: report.batchesPerEpoch))
                    phaseOpen = true
                }
                self.onEvent(.trainStep(report))
            },
            onEpoch: { record in
                self.onEvent(.phaseFinished)
                phaseOpen = false
                self.onEvent(.epoch(name: name, record))
            })
        return result
    }

    func evaluateOnly(_ network: Network, configuration: TrainingConfiguration) throws -> TrainingRunResult {
        func evaluate(_ data: Dataset) throws -> PassMetrics {
            let loader = try BatchLoader(
                dataset: data, batchSize: configuration.evaluationBatchSize, shuffle: false, dropLast: false,
                augmentation: .disabled, normalization: nil, seed: 0)
            return try Trainer.evaluate(network, loader: loader)
        }
        return TrainingRunResult(
            test: try evaluate(test), validation: try validation.map(evaluate), epochs: 0, trainSeconds: 0, trainImages: 0)
    }
}

/// Writes `value` as pretty, key-sorted JSON, atomically.
func writeJSON(_ value: some Encodable, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: url, options: .atomic)
}
