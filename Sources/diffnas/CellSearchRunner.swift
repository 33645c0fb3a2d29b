import CellSearch
import Datasets
import Foundation
import NN
import TensorCore
import Training

/// `diffnas search --method darts|darts2|pcdarts|gdas`: turns the options into a `CellSearchPlan`,
/// runs the library's `CellSearchPipeline` with progress bars, and prints the report.
struct CellSearchRunner {
    let command: SearchCommand
    let method: CellMethod

    func run() throws {
        let space = command.space ?? .nb201
        let outDir = URL(fileURLWithPath: command.out ?? "runs/\(method.rawValue)-\(space.rawValue)-\(RunFolder.timestamp())")
        let holdsRun = CellSearchPipeline.holdsRun(outDir)
        if !command.resume && holdsRun {
            throw CLIError("\(outDir.path) already holds a search; pass --resume to continue it or choose another --out")
        }
        if command.resume && !holdsRun { throw CLIError("--resume: no cell search in \(outDir.path) (no plan.json)") }
        // The shared notes' budgets: NAS-Bench-201 on 10k + 10k images, DARTS on 5k + 5k.
        let quick = command.preset == .quick
        let limit = command.limit ?? (quick ? (space == .nb201 ? 20_000 : 10_000) : nil)
        let raw = try DatasetLocation.load(command.data, limit: limit, testLimit: Int.max)
        let side = command.imageSide ?? (quick ? 16 : 32)
        let resized: DatasetSplits
        do {
            resized = DatasetSplits(train: try CellData.resized(raw.train, side: side), test: try CellData.resized(raw.test, side: side))
        } catch let error as TensorError { throw CLIError("\(error)") }
        let (splits, _) = try resized.normalized()

        let batch = command.batch
        let half = splits.train.count / 2
        var configuration = CellSearchConfiguration.official(method, space: space)
        if quick {
            let probeBatch = batch ?? CellSearchConfiguration.reduced(method, space: space, epochs: 1, stepsPerEpoch: 1).batchSize
            let epochs = command.searchEpochs ?? Self.quickEpochs(method, space)
            let stepsPerEpoch = max(1, half / probeBatch)
            let steps = min(command.searchSteps ?? Int.max, epochs * stepsPerEpoch)
            configuration = CellSearchConfiguration.reduced(method, space: space, epochs: epochs, stepsPerEpoch: steps / epochs)
        } else if let searchEpochs = command.searchEpochs {
            configuration.epochs = searchEpochs
        }
        if let batch { configuration.batchSize = batch }
        if let channels = command.channels { configuration.size.channels = channels }
        if let cells = command.cells { configuration.size.cells = cells }
        if let lr = command.lr { configuration.weightLearningRate = lr }
        configuration.size.inputChannels = splits.train.channels
        configuration.size.classes = splits.train.classCount
        configuration.stepLimit = command.searchSteps
        configuration.seed = command.options.seed
        do { try configuration.validate() } catch let error as TensorError { throw CLIError("\(error)") }

        var retrainSize = configuration.size
        if quick {
            // Twice the search width; NAS-Bench-201 keeps the cells per stage, DARTS retrains 8 cells.
            retrainSize.channels = 2 * configuration.size.channels
            if space == .darts { retrainSize.cells = max(configuration.size.cells, 8) }
        } else {
            retrainSize =
                space == .nb201 ? CellNetworkSize(channels: 16, cells: 5, nodes: 3) : CellNetworkSize(channels: 36, cells: 20, nodes: 4)
            retrainSize.inputChannels = configuration.size.inputChannels
            retrainSize.classes = configuration.size.classes
        }
        var retrain = TrainingConfiguration()
        retrain.epochs = command.retrainEpochs ?? (quick ? 3 : 600)
        retrain.batchSize = 96
        retrain.learningRate = 0.025
        retrain.momentum = 0.9
        retrain.weightDecay = 3e-4
        retrain.nesterov = false
        retrain.warmupEpochs = 0
        retrain.seed = command.options.seed
        // DARTS retrains with cutout 16 on 32×32 CIFAR: half the side, in the paper preset.
        retrain.cutout = command.cutout ?? (space == .darts && !quick ? side / 2 : 0)
        let plan = CellSearchPlan(
            configuration: configuration, imageSide: side, retrainSize: retrainSize, retrain: retrain,
            auxiliary: space == .darts && !quick, dropPath: space == .darts && !quick ? 0.2 : 0,
            checkpointInterval: max(10, min(50, configuration.epochs * max(1, half / configuration.batchSize) / 20)))

        do { try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create output folder \(outDir.path): \(FileErrorDescription.reason(error as NSError))")
        }
        let backend = try command.options.makeBackend(tuning: .tuneIfNeeded)
        printError(
            "\(method.rawValue) on \(space.rawValue) (\(splits.train.name) at \(side)×\(side), \(half) + \(splits.train.count - half) images, "
                + "C = \(configuration.size.channels), \(configuration.size.cells) cells, batch \(configuration.batchSize), "
                + "\(configuration.epochs) epochs), backend \(backend.deviceDescription)")
        var bar: ProgressBar?
        let pipeline: CellSearchPipeline
        do {
            pipeline = try CellSearchPipeline(plan: plan, train: splits.train, test: splits.test, backend: backend, folder: outDir) {
                event in
                switch event {
                case .message(let text): printError(text)
                case let .phase(name, total): bar = ProgressBar(title: name, total: total)
                case let .searchStep(record, search):
                    let inEpoch = record.step % search.stepsPerEpoch + 1
                    bar?.update(
                        inEpoch,
                        String(
                            format: "loss %.3f acc %.2f%@ %.0f MiB", record.trainLoss, record.trainAccuracy,
                            record.temperature.map { String(format: " τ %.2f", $0) } ?? "", Double(record.peakBytes) / 1_048_576))
                case .epoch(let e):
                    printError(
                        String(
                            format: "search epoch %d: train acc %.3f%@, genotype %@", e.epoch + 1, e.trainAccuracy,
                            e.validationAccuracy.map { String(format: ", supernet held-out acc %.3f", $0) } ?? "", e.genotype))
                case .trainStep(let r):
                    bar?.update(r.batchIndex + 1, String(format: "loss %.4f acc %.3f %.0f img/s", r.loss, r.accuracy, r.imagesPerSecond))
                case .retrainEpoch(let record):
                    bar?.finish(); bar = nil
                    printError(
                        String(
                            format: "retrain epoch %d/%d: train acc %.4f, %.0f img/s", record.epoch, record.epochs, record.train.accuracy,
                            record.train.imagesPerSecond))
                case .phaseFinished: bar?.finish(); bar = nil
                }
            }
        } catch let error as TensorError { throw CLIError("\(error)") }
        let result: CellSearchResult
        do { result = try pipeline.run() } catch let error as CellSearchError {
            bar?.finish()
            throw CLIError("\(error); what finished is kept in \(outDir.path) (--resume continues)")
        } catch let error as CheckpointError {
            bar?.finish()
            throw CLIError("\(error)")
        } catch let error as TrainingError {
            bar?.finish()
            throw CLIError("\(error); what finished is kept in \(outDir.path) (--resume continues)")
        }
        print(result.markdown())
        print("genotype: \(pipeline.genotypeURL.path) (retrain it with `diffnas train --arch \(pipeline.genotypeURL.path)`)")
        print("results in \(outDir.path)")
    }

    /// Search epochs of the quick preset, sized to about half an hour on 2 CPU cores.
    static func quickEpochs(_ method: CellMethod, _ space: CellSpace) -> Int {
        switch (method, space) {
        case (.gdas, .nb201): 20
        case (.darts2, _): 2
        case (_, .nb201): 8
        case (_, .darts): 3
        }
    }
}
