import ArgumentParser
import Datasets
import Foundation
import NN
import Training

/// `diffnas evaluate`: a trained network's accuracy, per-class accuracy and confusion matrix on
/// a test split, its size, and its inference latency on the chosen device.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Test accuracy, per-class accuracy, confusion matrix, size and latency of a trained network.",
        discussion: """
            --weights takes a checkpoint of `diffnas train` or `diffnas search` or a .safetensors file; the \
            architecture is --arch, else the one recorded in it. Images are normalized with the statistics \
            of the data folder's training split, as `diffnas train` does. Latency is the wall time of one \
            inference pass (logits downloaded), median of --runs after two warm-up passes, at batch 1 and \
            at --latency-batch.
            """
    )

    @Option(name: .long, help: "Architecture JSON (default: the one recorded in --weights).") var arch: String?
    @Option(name: .long, help: "Checkpoint (.bin) or .safetensors file.") var weights: String
    @Option(name: .long, help: "Data set folder (its test split is evaluated).") var data = DatasetLocation.defaultFashionMNIST
    @Option(name: .long, help: "Evaluation batch size.") var batch = 256
    @Option(name: .customLong("latency-batch"), help: "The larger batch size latency is measured at (besides 1).") var latencyBatch = 64
    @Option(name: .long, help: "Timed passes per latency measurement.") var runs = 20
    @Option(name: .long, help: "Write the confusion matrix as SVG to this file.") var svg: String?
    @Flag(name: .long, help: "Print the report as JSON on standard output.") var json = false
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        for (name, value) in [("--batch", batch), ("--latency-batch", latencyBatch), ("--runs", runs)] where value < 1 {
            throw ValidationError("\(name) must be ≥ 1")
        }
    }

    func run() throws {
        let splits = try DatasetLocation.load(data, limit: nil)
        let backend = try options.makeBackend()
        let (architecture, network) = try LoadedNetwork.load(weights: weights, arch: arch, backend: backend)
        let test = try splits.normalized().splits.test
        guard Array(test.sampleShape) == [architecture.input.channels, architecture.input.height, architecture.input.width] else {
            throw CLIError(
                "\(data): images are \(test.sampleShape) but the architecture takes [\(architecture.input.channels), \(architecture.input.height), \(architecture.input.width)]"
            )
        }
        guard test.classCount <= architecture.classes else {
            throw CLIError("\(data) has \(test.classCount) classes but the network predicts \(architecture.classes)")
        }
        if !json { printError("evaluating \(test.count) \(test.name) images on \(backend.deviceDescription)") }
        let report = try Evaluation.report(network, on: test, batchSize: batch, latencyBatches: [1, latencyBatch], runs: runs)
        if let svg {
            let picture = ConfusionMatrixSVG.render(
                report.confusion, classNames: test.classNames, title: "\(architecture.notes["name"] ?? "network") on \(test.name)")
            do { try Data(picture.utf8).write(to: URL(fileURLWithPath: svg), options: .atomic) } catch {
                throw CLIError("cannot write \(svg): \(FileErrorDescription.reason(error as NSError))")
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print(
            String(
                format: "test accuracy %.2f%% (%d images); %@ MACs, %@ parameters", report.testAccuracy * 100, report.images,
                ResourceCount.human(report.macs), ResourceCount.human(report.parameters)))
        let names = test.classNames.count == report.confusion.count ? test.classNames : report.confusion.indices.map(String.init)
        var table = TextTable(["true \\ predicted"] + report.confusion.indices.map(String.init) + ["accuracy"])
        for (t, row) in report.confusion.enumerated() {
            table.add(
                ["\(t) \(names[t])"] + row.map(String.init) + [report.perClassAccuracy[t].map { String(format: "%.1f%%", $0 * 100) } ?? "–"]
            )
        }
        print(table.render())
        for l in report.latency {
            print(
                String(
                    format: "latency batch %d: median %.3f ms (min %.3f, %d runs), %.0f images/s", l.batch, l.medianMilliseconds,
                    l.minimumMilliseconds, l.runs, l.imagesPerSecond))
        }
        if let svg { print("confusion matrix: \(svg)") }
    }
}
