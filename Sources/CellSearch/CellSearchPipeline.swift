import Datasets
import Foundation
import NN
import TensorCore
import Training

/// Everything a cell search run does: the search, the image side, and how the genotype is retrained.
public struct CellSearchPlan: Sendable, Equatable, Codable {
    public var configuration: CellSearchConfiguration
    /// Side of the (square) images the search and the retraining read.
    public var imageSide: Int
    /// The evaluation network the genotype is retrained as.
    public var retrainSize: CellNetworkSize
    public var retrain: TrainingConfiguration
    /// DARTS space only: the auxiliary head (weight 0.4) and the drop-path probability.
    public var auxiliary: Bool
    public var dropPath: Float
    /// Steps between search checkpoints (and at every epoch end).
    public var checkpointInterval: Int

    public init(
        configuration: CellSearchConfiguration, imageSide: Int, retrainSize: CellNetworkSize, retrain: TrainingConfiguration,
        auxiliary: Bool = false, dropPath: Float = 0, checkpointInterval: Int = 25
    ) {
        self.configuration = configuration; self.imageSide = imageSide; self.retrainSize = retrainSize; self.retrain = retrain
        self.auxiliary = auxiliary; self.dropPath = dropPath; self.checkpointInterval = checkpointInterval
    }
}

/// What a cell search run reports.
public struct CellSearchResult: Sendable, Equatable, Codable {
    public var plan: CellSearchPlan
    public var device: String
    public var genotype: String
    public var epochs: [CellEpochSummary]
    public var searchSeconds: Double
    /// Training-half images the search consumed per second (one batch per iteration; DARTS' second
    /// order runs five passes per iteration, the first-order methods two).
    public var searchImagesPerSecond: Double
    /// The largest and the median of each iteration's peak tensor storage.
    public var peakBytes: Int
    public var medianPeakBytes: Int
    public var retrained: TrainingRunResult
    public var retrainedParameters: Int
}

/// Progress of a cell search run.
public enum CellSearchEvent {
    case message(String)
    case phase(String, total: Int)
    case searchStep(CellSearchRecord, CellSearch)
    case epoch(CellEpochSummary)
    case trainStep(StepReport)
    case retrainEpoch(EpochRecord)
    case phaseFinished
}

/// A cell search end to end in `folder`: search with checkpoints (`search.ckpt`, every
/// `checkpointInterval` steps and each epoch), the genotype (`genotype.json`), the figures
/// (`alpha-normal.svg`, `alpha-reduce.svg`, `weights.svg`, `cells.svg`), the retraining of the
/// genotype on the whole training split (`retrain/`, itself resumable) and `report.md`/`report.json`.
/// Started again on the same folder it continues where it stopped.
public final class CellSearchPipeline {
    public let plan: CellSearchPlan
    public let folder: URL
    let search: CellSearch
    let train: Dataset
    let test: Dataset
    let backend: any Backend
    let events: (CellSearchEvent) -> Void

    public var planURL: URL { folder.appendingPathComponent("plan.json") }
    public var checkpointURL: URL { folder.appendingPathComponent("search.ckpt") }
    public var genotypeURL: URL { folder.appendingPathComponent("genotype.json") }
    var epochsURL: URL { folder.appendingPathComponent("search-epochs.json") }

    /// `train` and `test` normalized and at `plan.imageSide`; the search splits `train` in halves.
    public init(
        plan: CellSearchPlan, train: Dataset, test: Dataset, backend: any Backend, folder: URL,
        events: @escaping (CellSearchEvent) -> Void = { _ in }
    ) throws {
        try require(
            train.height == plan.imageSide && test.height == plan.imageSide,
            "cell search: the images are \(train.height)×\(train.width), the plan reads \(plan.imageSide)×\(plan.imageSide)")
        self.plan = plan; self.folder = folder; self.train = train; self.test = test; self.backend = backend; self.events = events
        let halves = try train.split(validationFraction: 0.5, seed: plan.configuration.seed)
        search = try CellSearch(plan.configuration, train: halves.train, validation: halves.validation, backend: backend)
    }

    /// Whether `folder` holds a cell search run.
    public static func holdsRun(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("plan.json").path)
    }

    public func run() throws -> CellSearchResult {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if Self.holdsRun(folder) {
            let stored = try JSONDecoder().decode(CellSearchPlan.self, from: Data(contentsOf: planURL))
            guard stored == plan else { throw CheckpointError("\(planURL.path) holds a run with other options; choose another --out") }
        } else {
            try Checkpoint.metadataEncoder.encode(plan).write(to: planURL, options: .atomic)
        }
        var summaries: [CellEpochSummary] = []
        if FileManager.default.fileExists(atPath: checkpointURL.path) {
            try search.restore(from: try Checkpoint.read(contentsOf: checkpointURL))
            summaries = (try? JSONDecoder().decode([CellEpochSummary].self, from: Data(contentsOf: epochsURL))) ?? []
            summaries = summaries.filter { $0.epoch < search.epoch || (search.finished && $0.epoch < plan.configuration.epochs) }
            events(.message("resuming the search at step \(search.step) of \(search.totalSteps)"))
        }
        // Search.
        while !search.finished {
            let e = search.epoch
            events(.phase("search epoch \(e + 1)/\(plan.configuration.epochs)", total: search.stepsPerEpoch))
            let summary = try search.runEpoch { record in
                self.events(.searchStep(record, self.search))
                if self.search.step % self.plan.checkpointInterval == 0 { try? self.saveSearch(summaries) }
            }
            events(.phaseFinished)
            summaries.append(summary)
            try saveSearch(summaries)
            events(.epoch(summary))
        }
        let genotype = try search.genotype()
        try JSONEncoder.pretty.encode(genotype).write(to: genotypeURL, options: .atomic)
        try writeFigures(genotype)
        // Retraining from scratch on the whole training split.
        let model = try GenotypeNetwork(
            genotype, size: plan.retrainSize, imageSize: plan.imageSide, auxiliary: plan.auxiliary, dropPath: plan.dropPath,
            backend: backend, seed: plan.configuration.seed)
        let trainer = try Trainer(model: model, train: train, test: test, normalization: nil, configuration: plan.retrain)
        let run = try TrainingRun(trainer: trainer, folder: folder.appendingPathComponent("retrain"), evaluateTestEachEpoch: false)
        try run.resumeIfPossible()
        events(.message("retraining \(genotype.text) (\(ResourceCount.human(model.network.parameterCount)) parameters)"))
        var started = false
        let retrained = try run.run(
            onStep: { r in
                if !started || r.batchIndex == 0 {
                    if started { self.events(.phaseFinished) }
                    self.events(.phase("retrain epoch \(r.epoch + 1)/\(self.plan.retrain.epochs)", total: r.batchesPerEpoch))
                    started = true
                }
                self.events(.trainStep(r))
            }, onEpoch: { self.events(.retrainEpoch($0)) })
        if started { events(.phaseFinished) }
        let records = search.records
        let peaks = records.map(\.peakBytes).sorted()
        let seconds = records.map(\.seconds).reduce(0, +)
        let result = CellSearchResult(
            plan: plan, device: backend.deviceDescription, genotype: genotype.text, epochs: summaries, searchSeconds: seconds,
            searchImagesPerSecond: seconds > 0 ? Double(records.count * plan.configuration.batchSize) / seconds : 0,
            peakBytes: peaks.last ?? 0, medianPeakBytes: peaks.isEmpty ? 0 : peaks[peaks.count / 2], retrained: retrained,
            retrainedParameters: model.network.parameterCount)
        try JSONEncoder.pretty.encode(result).write(to: folder.appendingPathComponent("report.json"), options: .atomic)
        try Data(result.markdown().utf8).write(to: folder.appendingPathComponent("report.md"), options: .atomic)
        return result
    }

    /// The summaries first, then the checkpoint: the checkpoint is the commit point, and a resume
    /// keeps only the summaries of epochs it completed, so a kill between the two writes loses
    /// nothing (the other order lost the summary of the epoch that had just ended).
    func saveSearch(_ summaries: [CellEpochSummary]) throws {
        try JSONEncoder.pretty.encode(summaries).write(to: epochsURL, options: .atomic)
        try search.makeCheckpoint().write(to: checkpointURL)
    }

    func writeFigures(_ genotype: Genotype) throws {
        let space = plan.configuration.space
        let types = search.cellTypes == 2 ? ["normal", "reduce"] : ["normal"]
        var heat = ""
        for (t, name) in types.enumerated() {
            let title = "\(plan.configuration.method.rawValue) on \(space.rawValue): \(name) cell, mean weight per operation"
            try Data(CellSearchCharts.alphaLines(search.snapshots, space: space, type: t, title: title).utf8)
                .write(to: folder.appendingPathComponent("alpha-\(name).svg"), options: .atomic)
            let edgesTitle = "\(plan.configuration.method.rawValue) on \(space.rawValue): \(name) cell, each edge's weights"
            try Data(
                CellSearchCharts.edgePanels(
                    search.snapshots, space: space, type: t, edgeNames: search.edgeNames, title: edgesTitle,
                    columns: space == .nb201 ? 3 : 4
                ).utf8
            ).write(to: folder.appendingPathComponent("alpha-edges-\(name).svg"), options: .atomic)
            if t == 0 {
                let names = search.edgeNames.map { "edge \($0)" }
                heat = CellSearchCharts.heatMap(
                    search.edgeOperationWeights(type: 0), space: space, edgeNames: names, title: "final weights, \(name) cell")
            }
        }
        try Data(heat.utf8).write(to: folder.appendingPathComponent("weights.svg"), options: .atomic)
        try Data(CellSearchCharts.cellGraph(genotype, title: genotype.space == .nb201 ? "NAS-Bench-201 cell" : "DARTS cells").utf8)
            .write(to: folder.appendingPathComponent("cells.svg"), options: .atomic)
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}

extension CellSearchResult {
    /// The human report.
    public func markdown() -> String {
        let c = plan.configuration
        func mib(_ b: Int) -> String { String(format: "%.1f MiB", Double(b) / 1_048_576) }
        var s = "# \(c.method.rawValue) on \(c.space.rawValue)\n\n"
        s +=
            "Device: \(device). Search network C = \(c.size.channels), \(c.size.cells) cells, \(c.size.nodes) nodes, \(plan.imageSide)×\(plan.imageSide) images, "
        s += "batch \(c.batchSize), \(c.epochs) epochs; α Adam lr \(c.architectureLearningRate)"
        s +=
            c.method == .pcdarts ? ", K = \(c.partialChannels), α frozen for \(Int(c.architectureWarmupFraction * 100))% of the epochs" : ""
        s += c.method == .gdas ? ", τ \(c.temperatureMax) → \(c.temperatureMin)" : ""
        s += ".\n\n"
        s += "**Genotype:** `\(genotype)`\n\n"
        s += String(
            format: "**Retrained** (%@ parameters, %d epochs on the whole training split): test accuracy **%.2f%%**.\n\n",
            ResourceCount.human(retrainedParameters), retrained.epochs, retrained.test.accuracy * 100)
        s += String(
            format: "Search: %@, %.0f training images/s; peak tensor memory per step %@ (median %@).\n\n", formatDuration(searchSeconds),
            searchImagesPerSecond, mib(peakBytes), mib(medianPeakBytes))
        s += "| epoch | train loss | train acc | supernet held-out acc | genotype | time |\n|---|---|---|---|---|---|\n"
        for e in epochs {
            s += String(
                format: "| %d | %.3f | %.3f | %@ | `%@` | %@ |\n", e.epoch + 1, e.trainLoss, e.trainAccuracy,
                e.validationAccuracy.map { String(format: "%.3f", $0) } ?? "–", e.genotype, formatDuration(e.seconds))
        }
        s +=
            "\nFigures: alpha-normal.svg\(c.space == .darts ? ", alpha-reduce.svg" : "") (mean weights over the search), alpha-edges-normal.svg\(c.space == .darts ? ", alpha-edges-reduce.svg" : "") (each edge's weights over the search), weights.svg (final weights), cells.svg (the cell).\n"
        return s
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
        ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}
