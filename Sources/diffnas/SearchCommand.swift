import ArgumentParser
import CellSearch
import Datasets
import Foundation
import NN
import Search
import TensorCore
import Training

extension Pipeline: ExpressibleByArgument {}
extension CellSpace: ExpressibleByArgument {}

/// `--method`: DMS (width/depth scaling) or a cell search of the DARTS family.
enum SearchMethod: String, ExpressibleByArgument, CaseIterable {
    case dms, darts, darts2, pcdarts, gdas
    var cellMethod: CellMethod? { CellMethod(rawValue: rawValue) }
}
extension StructureSchedule: ExpressibleByArgument {}
extension DMSAblation: ExpressibleByArgument {}

/// Search sizes: the default finishes in about 25 minutes on a 2-core CPU through PoCL.
enum Preset: String, ExpressibleByArgument, CaseIterable {
    case quick, paper
}

/// `diffnas search`: DMS end to end — search, export, retrain, compare with uniform scaling and
/// random search at equal resource, over paired repeats.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Differentiable Model Scaling: search widths and depths under a resource target, retrain, and report.",
        discussion: """
            With no arguments: a complete default search on Fashion-MNIST to 25% of the base ResNet-20's \
            MACs (np pipeline: search a wider and deeper random-init supernet, retrain the found \
            architecture from scratch), against two baselines trained with the same recipe and seed: the \
            base uniformly scaled to the same MACs, and a random architecture of the same search space at \
            the same MACs. --repeats K runs K paired repeats (seeds seed…seed+K−1) and reports the paired \
            differences with 95% intervals. The output folder holds report.md/report.json, \
            architecture.json, widths.svg, search.svg, kept.svg and one folder per repeat with every \
            checkpoint and log. --resume continues an interrupted run (and may add repeats).
            --target: a fraction of the base model (0.25) or an absolute count (300M, 1.2M, 25K) of --resource.
            --method darts|darts2|pcdarts|gdas runs a cell search of the DARTS family instead, on --space \
            nb201 (default) or darts: the training split is halved into the w and α halves, the genotype is \
            derived as the official code does, retrained from scratch on the whole training split and tested; \
            the folder holds report.md/report.json, genotype.json, alpha-*.svg, weights.svg, cells.svg, \
            search.ckpt and retrain/. The quick preset is the reduced search of ../shared/darts-family.md \
            (16×16 images; NB201 C = 8, 2 cells per stage; DARTS C = 8, 5 cells).
            """
    )

    @Option(name: .long, help: "Method: dms (default), darts, darts2, pcdarts or gdas.") var method: SearchMethod = .dms
    @Option(name: .long, help: "Cell space of the darts/darts2/pcdarts/gdas methods: nb201 (default) or darts.") var space: CellSpace?
    @Option(name: .long, help: "Cell methods: channels C of the search network.") var channels: Int?
    @Option(name: .long, help: "Cell methods: cells per stage (nb201) or in all (darts) of the search network.") var cells: Int?
    @Option(name: .customLong("search-epochs"), help: "Cell methods: search epochs over the w half.") var searchEpochs: Int?
    @Option(name: .customLong("image-side"), help: "Cell methods: image side the data is averaged down to (multiple of 4).") var imageSide:
        Int?
    @Option(
        name: .long, help: "Cell methods: side of the cutout square when retraining (0: none; paper preset on darts: half the image side).")
    var cutout: Int?
    @Option(name: .long, help: "Pipeline: np (default), p, or p-.") var pipeline: Pipeline = .np
    @Option(name: .long, help: "Preset sizes: quick (default, ~25 min on 2 CPU cores) or paper.") var preset: Preset = .quick
    @Option(name: .long, help: "Base family: resnet20, resnet32, resnet56, mobilenetv2, mlp, or an architecture JSON file.") var base =
        "resnet20"
    @Option(name: .long, help: "Data set folder.") var data = DatasetLocation.defaultFashionMNIST
    @Option(name: .long, help: "Resource target: fraction of the base (0.25) or absolute (300M, 1.2M).") var target = "0.25"
    @Option(name: .long, help: "Resource: macs or parameters.") var resource: String = "macs"
    @Option(name: .customLong("expand-width"), help: "Supernet width factor over the base (np, p).") var expandWidth: Double?
    @Option(name: .customLong("expand-depth"), help: "Supernet depth factor over the base (np, p).") var expandDepth: Double?
    @Option(name: .customLong("search-steps"), help: "Search steps (batches).") var searchSteps: Int?
    @Option(name: .customLong("pretrain-epochs"), help: "Supernet pretraining epochs (p).") var pretrainEpochs: Int?
    @Option(name: .customLong("retrain-epochs"), help: "Retraining epochs for the searched and baseline models.") var retrainEpochs: Int?
    @Option(name: .long, help: "Batch size.") var batch: Int?
    @Option(name: .long, help: "Use only the first N training images (the whole test split is still used: comparisons need it).") var limit:
        Int?
    @Option(name: .long, help: "Weight learning rate.") var lr: Float?
    @Option(name: .customLong("structure-lr"), help: "Adam learning rate of the pruning ratios.") var structureLR: Float?
    @Option(name: .customLong("structure-schedule"), help: "Structure learning-rate schedule: cosine (default) or constant.")
    var structureSchedule: StructureSchedule = .cosine
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Undo one correction of the method to measure it (repeatable): ratio-start, depth-freeze or stream-once.",
            valueName: "fix"))
    var ablate: [DMSAblation] = []
    @Option(name: .long, help: "Paired repeats of every arm (seeds seed … seed+K−1).") var repeats = 1
    @Option(name: .long, help: "Fraction of the training split held out for validation (0 to use it all).") var validation = 1.0 / 12
    @Option(name: .customLong("lambda-res"), help: "Weight of the resource loss.") var lambdaRes: Float = 1
    @Option(name: .customLong("width-lambda"), help: "λ multiplier for widths (λ = k·N).") var widthLambda: Float = 1
    @Option(name: .customLong("depth-lambda"), help: "λ multiplier for depths (λ = k·N).") var depthLambda: Float = 4
    @Option(name: .long, help: "Pretrained supernet checkpoint from `diffnas train` (p-).") var weights: String?
    @Option(
        name: .customLong("recalibrate-bn"),
        help:
            "p-: training images whose batch statistics replace the pruned network's batch-norm running statistics (0 keeps the supernet's)."
    )
    var recalibrateBN = 10_000
    @Flag(name: .customLong("no-baseline"), help: "Skip the baselines (uniform scaling and random search).") var noBaseline = false
    @Option(name: .long, help: "Output folder.") var out: String?
    @Flag(name: .long, help: "Continue the interrupted run in --out.") var resume = false
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if method.cellMethod != nil {
            if pipeline != .np || weights != nil || expandWidth != nil || expandDepth != nil || pretrainEpochs != nil || structureLR != nil
                || base != "resnet20" || noBaseline || repeats != 1 || !ablate.isEmpty
            {
                throw ValidationError(
                    "--method \(method.rawValue) is a cell search: --pipeline, --base, --expand-*, --pretrain-epochs, --structure-lr, --weights, --repeats, --ablate and --no-baseline belong to --method dms"
                )
            }
            for (name, value) in [
                ("--channels", channels), ("--cells", cells), ("--search-epochs", searchEpochs), ("--search-steps", searchSteps),
                ("--retrain-epochs", retrainEpochs), ("--batch", batch), ("--limit", limit),
            ] {
                if let value, value < 1 { throw ValidationError("\(name) must be ≥ 1") }
            }
            if let cutout, cutout < 0 { throw ValidationError("--cutout must be ≥ 0") }
            if let imageSide, imageSide < 4 || imageSide % 4 != 0 { throw ValidationError("--image-side must be a multiple of 4") }
            if resume && out == nil { throw ValidationError("--resume needs --out, the folder of the run to continue") }
            return
        }
        if space != nil || channels != nil || cells != nil || searchEpochs != nil || imageSide != nil || cutout != nil {
            throw ValidationError(
                "--space, --channels, --cells, --search-epochs, --image-side and --cutout belong to the cell methods (--method darts|darts2|pcdarts|gdas)"
            )
        }
        guard ResourceKind(rawValue: resource) != nil else { throw ValidationError("--resource must be macs or parameters") }
        guard (try? TargetSpec.parse(target)) != nil else {
            throw ValidationError("--target \(target): give a fraction in (0, 1] such as 0.5, or an absolute count such as 300M, 1.2M, 25K")
        }
        for (name, value) in [("--expand-width", expandWidth), ("--expand-depth", expandDepth)] {
            if let value, !(value >= 1 && value <= 4) { throw ValidationError("\(name) must be between 1 and 4") }
        }
        for (name, value) in [
            ("--search-steps", searchSteps), ("--retrain-epochs", retrainEpochs), ("--batch", batch), ("--limit", limit),
            ("--repeats", repeats),
        ] {
            if let value, value < 1 { throw ValidationError("\(name) must be ≥ 1") }
        }
        if let pretrainEpochs, pretrainEpochs < 0 { throw ValidationError("--pretrain-epochs must be ≥ 0") }
        if pipeline == .pMinus && weights == nil {
            throw ValidationError(
                "pipeline p- optimizes only the structure of pretrained weights: pass --weights CHECKPOINT (from `diffnas train`)")
        }
        if pipeline != .pMinus && weights != nil { throw ValidationError("--weights is used by pipeline p- only") }
        if recalibrateBN < 0 { throw ValidationError("--recalibrate-bn must be ≥ 0") }
        if pipeline == .pMinus && (expandWidth ?? 1) != 1 {
            throw ValidationError("pipeline p- searches the pretrained network itself; --expand-width does not apply")
        }
        if resume && out == nil { throw ValidationError("--resume needs --out, the folder of the run to continue") }
        guard validation >= 0 && validation < 1 else { throw ValidationError("--validation must be a fraction in [0, 1)") }
        guard lambdaRes > 0, widthLambda > 0, depthLambda > 0 else {
            throw ValidationError("--lambda-res, --width-lambda and --depth-lambda must be positive")
        }
    }

    /// Settings after applying the preset to every option left unset.
    var settings: SearchSettings {
        var s = SearchSettings.preset(preset)
        if pipeline == .pMinus { s.expandWidth = 1; s.expandDepth = 1; s.searchSteps = min(s.searchSteps, 300) }
        if let expandWidth { s.expandWidth = expandWidth }
        if let expandDepth { s.expandDepth = expandDepth }
        if let searchSteps { s.searchSteps = searchSteps }
        if let pretrainEpochs { s.pretrainEpochs = pretrainEpochs }
        if let retrainEpochs { s.retrainEpochs = retrainEpochs }
        if let batch { s.batchSize = batch }
        if let limit { s.limit = limit }
        if let lr { s.learningRate = lr }
        if let structureLR { s.structureLearningRate = structureLR }
        return s
    }

    func run() throws {
        if let cellMethod = method.cellMethod {
            try CellSearchRunner(command: self, method: cellMethod).run()
        } else {
            try SearchRunner(command: self, settings: settings).run()
        }
    }
}

/// Sizes and rates of a search run.
struct SearchSettings {
    /// The default supernet can grow: ResNet-20's 3-3-3 becomes 5-5-5 blocks, 1.25× wider.
    var expandWidth = 1.25, expandDepth = 5.0 / 3
    var searchSteps = 600
    var pretrainEpochs = 1
    /// 3 epochs of the full split keep the default run near 25 minutes on 2 CPU cores (search
    /// 8m47s, the three trainings 5–9 min each, measured); comparisons should pass more.
    var retrainEpochs = 3
    var batchSize = 64
    var limit: Int?
    var learningRate: Float = 0.05
    /// nil: `2/steps` (within [0.002, 0.05]), enough for `a` to follow the target schedule.
    var structureLearningRate: Float?

    static func preset(_ preset: Preset) -> SearchSettings {
        switch preset {
        case .quick: return SearchSettings()
        case .paper:
            return SearchSettings(
                expandWidth: 1.5, expandDepth: 1.5, searchSteps: 2000, pretrainEpochs: 20, retrainEpochs: 30,
                batchSize: 128, limit: nil, learningRate: 0.1, structureLearningRate: nil)
        }
    }
}

/// A resource target: a fraction of the base model, or an absolute count.
enum TargetSpec: Equatable {
    case fraction(Double)
    case absolute(Double)

    static func parse(_ text: String) throws -> TargetSpec {
        let t = text.trimmingCharacters(in: .whitespaces)
        let suffixes: [Character: Double] = ["K": 1e3, "k": 1e3, "M": 1e6, "m": 1e6, "G": 1e9, "g": 1e9]
        if let last = t.last, let scale = suffixes[last], let v = Double(t.dropLast()), v > 0, v.isFinite { return .absolute(v * scale) }
        guard let v = Double(t), v > 0, v.isFinite else { throw CLIError("--target \(text) is not a number") }
        if v <= 1 { return .fraction(v) }
        return .absolute(v)
    }

    func value(base: Double) -> Double {
        switch self {
        case .fraction(let f): f * base
        case .absolute(let a): a
        }
    }
}
