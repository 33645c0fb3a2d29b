import ArgumentParser
import CellSearch
import Datasets
import Foundation
import NN
import OpenCLBackend
import TensorCore
import Training

/// `diffnas train`: train an architecture on a data set, with checkpoints and a metrics log.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network from an architecture file or a built-in family.",
        discussion: """
            --arch takes an architecture JSON file (as `diffnas search` exports) or a built-in name: \
            \(ArchitectureChoice.builtInNames.joined(separator: ", ")). Built-ins adapt to the data's image size and classes.
            A genotype JSON file (genotype.json of a cell search) trains its evaluation network: \
            --channels/--cells/--nodes size it (NAS-Bench-201 default C = 16, 5 cells per stage; DARTS C = 36, \
            20 cells), --auxiliary and --drop-path are DARTS' options, --image-side averages the data down.
            The output folder receives checkpoint.bin (every epoch, atomically), metrics.jsonl (one line \
            per epoch), architecture.json and report.json.
            """
    )

    @Option(name: .long, help: "Architecture JSON file or built-in name.")
    var arch = "resnet20"

    @Option(name: .long, help: "Data set folder (IDX, CIFAR-10 binary or .npy folder).")
    var data = DatasetLocation.defaultFashionMNIST

    @Option(name: .long, help: "Epochs.") var epochs = 10
    @Option(name: .long, help: "Batch size.") var batch = 128
    @Option(name: .long, help: "Peak learning rate.") var lr: Float = 0.1
    @Option(name: .long, help: "Optimizer: sgd or adamw.") var optimizer: String = "sgd"
    @Option(name: .long, help: "Learning-rate schedule: cosine, step or constant.") var schedule: String = "cosine"
    @Option(name: .long, help: "Warm-up epochs (fractional allowed).") var warmup: Double = 0.5
    @Option(name: .long, help: "SGD momentum.") var momentum: Float = 0.9
    @Option(name: .customLong("weight-decay"), help: "Weight decay.") var weightDecay: Float = 5e-4
    @Flag(name: .customLong("no-augment"), help: "Disable random crop and flip.") var noAugment = false
    @Option(name: .long, help: "Side of DARTS' cutout square on training images (0: none; DARTS uses 16 on 32×32).") var cutout = 0
    @Option(name: .long, help: "Use only the first N training images (and N/6 test images) — for quick runs.") var limit: Int?
    @Option(name: .long, help: "Output folder.") var out: String?
    @Flag(name: .long, help: "Continue the run whose checkpoint is in --out.") var resume = false
    @Flag(name: .long, help: "Print per-kernel device time at the end (OpenCL backend).") var profile = false
    @Option(name: .long, help: "Genotype networks: channels C.") var channels: Int?
    @Option(name: .long, help: "Genotype networks: cells per stage (nb201) or in all (darts).") var cells: Int?
    @Flag(name: .long, help: "Genotype networks (darts): the auxiliary head, loss weight 0.4.") var auxiliary = false
    @Option(name: .customLong("drop-path"), help: "Genotype networks (darts): drop-path probability at the last epoch.") var dropPath:
        Float = 0
    @Option(name: .customLong("image-side"), help: "Genotype networks: average the images down to this side (multiple of 4).")
    var imageSide: Int?
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be ≥ 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be ≥ 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard TrainingConfiguration.OptimizerKind(rawValue: optimizer) != nil else {
            throw ValidationError("--optimizer must be sgd or adamw")
        }
        guard LearningRateSchedule.Kind(rawValue: schedule) != nil else {
            throw ValidationError("--schedule must be cosine, step or constant")
        }
        guard warmup >= 0, weightDecay >= 0, momentum >= 0, momentum < 1 else {
            throw ValidationError("--warmup and --weight-decay must be ≥ 0 and --momentum in [0, 1)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        guard cutout >= 0 else { throw ValidationError("--cutout must be ≥ 0") }
        if resume && out == nil { throw ValidationError("--resume needs --out, the folder of the run to continue") }
        if profile && options.backend != .opencl {
            throw ValidationError("--profile reads OpenCL profiling events; it needs --backend opencl")
        }
    }

    var trainingConfiguration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs; c.batchSize = batch; c.learningRate = lr
        c.optimizer = TrainingConfiguration.OptimizerKind(rawValue: optimizer)!
        c.schedule = LearningRateSchedule.Kind(rawValue: schedule)!
        c.warmupEpochs = warmup; c.momentum = momentum; c.weightDecay = weightDecay
        c.augment = !noAugment; c.cutout = cutout; c.seed = options.seed
        return c
    }

    func run() throws {
        if arch.hasSuffix(".json"), FileManager.default.fileExists(atPath: arch),
            let object = (try? Data(contentsOf: URL(fileURLWithPath: arch))).flatMap({
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }),
            object["space"] != nil
        {
            let genotype: Genotype
            do { genotype = try Genotype.load(URL(fileURLWithPath: arch)) } catch let error as TensorError { throw CLIError("\(error)") }
            return try trainGenotype(genotype)
        }
        let splits = try DatasetLocation.load(data, limit: limit)
        let architecture = try ArchitectureChoice.resolve(arch, for: splits.train)
        let outDir = URL(fileURLWithPath: out ?? "runs/train-\(RunFolder.timestamp())")
        let checkpointURL = outDir.appendingPathComponent("checkpoint.bin")
        try RunFolder.prepare(outDir, checkpoint: checkpointURL, resume: resume)

        let backend = try options.makeBackend(tuning: .tuneIfNeeded)
        let network = try Network(architecture, backend: backend, seed: options.seed)
        let (normalized, _) = try splits.normalized()
        let trainer = try Trainer(
            network: network, train: normalized.train, test: normalized.test, normalization: nil,
            configuration: trainingConfiguration)
        let run = try startRun(trainer, in: outDir, checkpoint: checkpointURL)
        try architecture.write(to: outDir.appendingPathComponent("architecture.json"))
        let resources = architecture.resources
        printError(
            "training \(architecture.notes["name"] ?? architecture.family.rawValue) (\(resources)) on \(splits.train.name): "
                + "\(splits.train.count) train / \(splits.test.count) test images, backend \(backend.deviceDescription)")
        let profiler = profile ? KernelProfiler() : nil
        (backend as? OpenCLBackend)?.profiler = profiler

        var bar: ProgressBar?
        let result: TrainingRunResult
        do {
            result = try run.run(
                onStep: { r in
                    if bar == nil { bar = ProgressBar(title: "epoch \(r.epoch + 1)/\(epochs)", total: r.batchesPerEpoch) }
                    bar?.update(
                        r.batchIndex + 1,
                        String(format: "loss %.4f acc %.3f lr %.4f %.0f img/s", r.loss, r.accuracy, r.learningRate, r.imagesPerSecond))
                },
                onEpoch: { record in
                    bar?.finish(); bar = nil
                    let test = record.test!
                    print(
                        String(
                            format: "epoch %d/%d  train loss %.4f acc %.4f  test loss %.4f acc %.4f  %.0f img/s  %@",
                            record.epoch, epochs, record.train.loss, record.train.accuracy, test.loss, test.accuracy,
                            record.train.imagesPerSecond, ProgressBar.duration(record.train.seconds)))
                })
        } catch let error as TrainingError {
            bar?.finish()
            let kept =
                FileManager.default.fileExists(atPath: checkpointURL.path)
                ? "; the last good checkpoint is kept in \(checkpointURL.path)" : ""
            throw CLIError("\(error)\(kept)")
        }
        let final = result.test
        let trainSeconds = result.trainSeconds, trainImages = result.trainImages
        let report: [String: Any] = [
            "architecture": architecture.notes["name"] ?? architecture.family.rawValue, "test_accuracy": final.accuracy,
            "test_loss": final.loss, "parameters": resources.parameters, "macs": resources.macs, "epochs": epochs,
            "train_images_per_second": trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0, "train_seconds": trainSeconds,
            "device": backend.deviceDescription, "data": splits.train.name,
        ]
        try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            .write(to: outDir.appendingPathComponent("report.json"), options: .atomic)
        print(
            String(
                format: "final: test accuracy %.2f%%, %@ parameters, %@ MACs/image, %.0f img/s training; results in %@",
                final.accuracy * 100, ResourceCount.human(resources.parameters), ResourceCount.human(resources.macs),
                trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0, outDir.path))
        if let profiler { print(try ProfileReport.render(profiler)) }
    }

    /// Trains a genotype's evaluation network with the same loop, checkpoints and log.
    func trainGenotype(_ genotype: Genotype) throws {
        let raw = try DatasetLocation.load(data, limit: limit)
        let side = imageSide ?? (raw.train.height % 4 == 0 ? raw.train.height : 16)
        let splits: DatasetSplits
        do {
            splits = DatasetSplits(train: try CellData.resized(raw.train, side: side), test: try CellData.resized(raw.test, side: side))
        } catch let error as TensorError { throw CLIError("\(error)") }
        var size =
            genotype.space == .nb201
            ? CellNetworkSize(channels: 16, cells: 5, nodes: 3) : CellNetworkSize(channels: 36, cells: 20, nodes: 4)
        if case .nb201(let g) = genotype { size.nodes = g.nodes }
        if case .darts(let g) = genotype { size.nodes = g.normal.count / 2 }
        if let channels { size.channels = channels }
        if let cells { size.cells = cells }
        size.inputChannels = splits.train.channels
        size.classes = splits.train.classCount
        let outDir = URL(fileURLWithPath: out ?? "runs/train-\(RunFolder.timestamp())")
        let checkpointURL = outDir.appendingPathComponent("checkpoint.bin")
        try RunFolder.prepare(outDir, checkpoint: checkpointURL, resume: resume)
        let backend = try options.makeBackend(tuning: .tuneIfNeeded)
        let model: GenotypeNetwork
        do {
            model = try GenotypeNetwork(
                genotype, size: size, imageSize: side, auxiliary: auxiliary, dropPath: dropPath, backend: backend, seed: options.seed)
        } catch let error as TensorError { throw CLIError("\(error)") }
        let (normalized, _) = try splits.normalized()
        let trainer = try Trainer(
            model: model, train: normalized.train, test: normalized.test, normalization: nil, configuration: trainingConfiguration)
        let run = try startRun(trainer, in: outDir, checkpoint: checkpointURL)
        try JSONEncoder().encode(genotype).write(to: outDir.appendingPathComponent("genotype.json"), options: .atomic)
        printError(
            "training \(genotype.text) (C = \(size.channels), \(size.cells) cells, \(ResourceCount.human(model.network.parameterCount)) parameters) "
                + "on \(splits.train.name) at \(side)×\(side), backend \(backend.deviceDescription)")
        var bar: ProgressBar?
        let result: TrainingRunResult
        do {
            result = try run.run(
                onStep: { r in
                    if bar == nil { bar = ProgressBar(title: "epoch \(r.epoch + 1)/\(epochs)", total: r.batchesPerEpoch) }
                    bar?.update(r.batchIndex + 1, String(format: "loss %.4f acc %.3f %.0f img/s", r.loss, r.accuracy, r.imagesPerSecond))
                },
                onEpoch: { record in
                    bar?.finish(); bar = nil
                    print(
                        String(
                            format: "epoch %d/%d  train loss %.4f acc %.4f  test acc %.4f", record.epoch, epochs, record.train.loss,
                            record.train.accuracy, record.test?.accuracy ?? .nan))
                })
        } catch let error as TrainingError {
            bar?.finish()
            throw CLIError("\(error); the last good checkpoint is kept in \(checkpointURL.path)")
        }
        let report: [String: Any] = [
            "genotype": genotype.text, "test_accuracy": result.test.accuracy, "test_loss": result.test.loss,
            "parameters": model.network.parameterCount, "epochs": epochs, "train_seconds": result.trainSeconds,
            "device": backend.deviceDescription, "data": splits.train.name,
        ]
        try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            .write(to: outDir.appendingPathComponent("report.json"), options: .atomic)
        print(String(format: "final: test accuracy %.2f%%; results in %@", result.test.accuracy * 100, outDir.path))
    }

    /// The training run in `outDir`: resumed from its checkpoint with `--resume`, else a fresh metrics log.
    func startRun(_ trainer: Trainer, in outDir: URL, checkpoint: URL) throws -> TrainingRun {
        let run = try TrainingRun(trainer: trainer, folder: outDir)
        if resume {
            try run.resumeIfPossible()
            printError("resuming after epoch \(trainer.completedEpochs) from \(checkpoint.path)")
        } else {
            try? FileManager.default.removeItem(at: run.metricsURL)
        }
        return run
    }
}
