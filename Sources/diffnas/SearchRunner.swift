import Datasets
import Foundation
import NN
import ONNX
import Search
import TensorCore
import Training

/// Turns `diffnas search`'s options into a `SearchPlan`, runs the library's `SearchPipeline`
/// with progress bars, and prints the report. Everything that can be refused is checked before
/// any work starts.
struct SearchRunner {
    let command: SearchCommand
    let settings: SearchSettings

    func run() throws {
        let outDir = URL(fileURLWithPath: command.out ?? "runs/search-\(RunFolder.timestamp())")
        let splits = try DatasetLocation.load(command.data, limit: settings.limit, testLimit: Int.max)
        let base = try ArchitectureChoice.resolve(command.base, for: splits.train)
        let kind = ResourceKind(rawValue: command.resource)!
        let target = try TargetSpec.parse(command.target).value(base: kind.value(of: base))
        var supernet = base.scaled(width: settings.expandWidth, depth: settings.expandDepth)
        supernet.notes["name"] = "\(base.notes["name"] ?? "base")-supernet"
        var pretrained: Checkpoint?
        if command.pipeline == .pMinus, let path = command.weights {
            let checkpoint = try Checkpoint.read(contentsOf: URL(fileURLWithPath: path))
            guard let text = checkpoint.metadata["architecture"], let a = try? Architecture.decode(Data(text.utf8)) else {
                throw CLIError("\(path): not a `diffnas train` checkpoint (no architecture in it)")
            }
            supernet = a
            pretrained = checkpoint
        }
        let plan = makePlan(base: base, supernet: supernet, kind: kind, target: target)
        do { try SearchPipeline.checkTarget(plan) } catch let error as SearchError { throw CLIError("\(error)") }
        let holdsRun = SearchPipeline.holdsRun(outDir)
        if !command.resume && holdsRun {
            throw CLIError("\(outDir.path) already holds a search; pass --resume to continue it or choose another --out")
        }
        if command.resume && !holdsRun { throw CLIError("--resume: no search in \(outDir.path) (no plan.json)") }
        do { try SearchPipeline.checkResumable(plan, in: outDir) } catch let error as SearchError { throw CLIError("\(error)") } catch let
            error as CheckpointError
        { throw CLIError("\(error)") }

        do { try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create output folder \(outDir.path): \(FileErrorDescription.reason(error as NSError))")
        }
        let backend = try command.options.makeBackend(tuning: .tuneIfNeeded)
        let (normalized, normalization) = try splits.normalized()
        printError(
            "DMS \(plan.pipeline.rawValue) on \(splits.train.name), backend \(backend.deviceDescription); "
                + "base \(ResourceCount.human(Int(kind.value(of: base)))) \(kind.rawValue), supernet \(LayerWidths.depths(supernet)) "
                + "\(ResourceCount.human(Int(kind.value(of: supernet)))), target \(ResourceCount.human(Int(target))); \(plan.repeats) repeat(s), arms "
                + plan.arms.map(\.rawValue).joined(separator: ", "))
        var bar: ProgressBar?
        let pipeline = try SearchPipeline(plan: plan, splits: normalized, backend: backend, folder: outDir, pretrained: pretrained) {
            event in
            switch event {
            case .message(let text): printError(text)
            case let .phase(name, total): bar = ProgressBar(title: name, total: total)
            case let .searchStep(record, search):
                bar?.update(
                    record.step + 1,
                    String(
                        format: "loss %.3f acc %.2f %@ %@ → %@", record.taskLoss, record.accuracy,
                        kind.rawValue, ResourceCount.human(Int(record.hardResource)),
                        ResourceCount.human(Int(record.target))) + (search.depthFrozen(at: record.step) ? " depth frozen" : ""))
            case .trainStep(let r):
                bar?.update(r.batchIndex + 1, String(format: "loss %.4f acc %.3f %.0f img/s", r.loss, r.accuracy, r.imagesPerSecond))
            case let .epoch(name, record):
                printError(
                    String(
                        format: "%@ epoch %d/%d: train acc %.4f%@, %.0f img/s", name, record.epoch, record.epochs, record.train.accuracy,
                        record.validation.map { String(format: ", validation acc %.4f", $0.accuracy) } ?? "", record.train.imagesPerSecond))
            case .phaseFinished: bar?.finish(); bar = nil
            }
        }
        let report: SearchReport
        do { report = try pipeline.run() } catch let error as SearchError {
            bar?.finish()
            throw CLIError("\(error); what finished is kept in \(outDir.path) (--resume continues)")
        } catch let error as TrainingError {
            bar?.finish()
            throw CLIError("\(error); what finished is kept in \(outDir.path) (--resume continues)")
        }
        print(report.markdown())
        // The DMS result of repeat 1 as ONNX, with this run's input normalization as its first nodes.
        if plan.arms.contains(.dms), let weights = pipeline.finalWeights(repeat: 1, arm: .dms) {
            let architecture = pipeline.armFolder(repeat: 1, arm: .dms).appendingPathComponent("architecture.json")
            let (_, network) = try LoadedNetwork.load(weights: weights.path, arch: architecture.path, backend: backend)
            let onnx = outDir.appendingPathComponent("model.onnx")
            do {
                try ONNXExport.model(network, normalization: (normalization.mean, normalization.std)).write(to: onnx, options: .atomic)
            } catch let error as CocoaError {
                throw CLIError("cannot write \(onnx.path): \(FileErrorDescription.reason(error as NSError))")
            }
            print("ONNX model of the DMS result (repeat 1): \(onnx.path)")
        }
        print("results in \(outDir.path)")
    }

    func makePlan(base: Architecture, supernet: Architecture, kind: ResourceKind, target: Double) -> SearchPlan {
        var search = DMSConfiguration()
        search.steps = settings.searchSteps
        search.batchSize = settings.batchSize
        search.learningRate = settings.learningRate
        search.structureLearningRate = settings.structureLearningRate ?? min(max(2 / Float(settings.searchSteps), 0.002), 0.05)
        search.structureSchedule = command.structureSchedule
        let ablations = DMSAblation.allCases.filter(command.ablate.contains)
        search.ablations = ablations.isEmpty ? nil : ablations
        search.resourceWeight = command.lambdaRes
        search.widthLambda = command.widthLambda
        search.depthLambda = command.depthLambda
        search.checkpointInterval = max(10, min(50, settings.searchSteps / 10))
        var retrain = TrainingConfiguration()
        retrain.epochs = settings.retrainEpochs
        retrain.batchSize = max(settings.batchSize, 64)
        retrain.learningRate = settings.learningRate * 2
        retrain.warmupEpochs = min(0.5, Double(settings.retrainEpochs) / 4)
        var plan = SearchPlan(base: base, supernet: supernet, target: target, search: search, retrain: retrain)
        plan.pipeline = command.pipeline
        plan.resource = kind
        plan.pretrainEpochs = command.pipeline == .p ? settings.pretrainEpochs : 0
        plan.repeats = command.repeats
        plan.seed = command.options.seed
        plan.arms = command.noBaseline || command.pipeline == .pMinus ? [.dms] : Arm.allCases
        plan.validationFraction = command.validation
        plan.recalibrationImages = command.pipeline == .pMinus ? command.recalibrateBN : nil
        return plan
    }
}
