import Datasets
import Foundation
import NN
import OpenCLBackend

/// Where data comes from, with one-line errors.
enum DatasetLocation {
    static let defaultFashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Loads train and test splits, optionally only the first `limit` training images and the
    /// first `testLimit` test images (default `limit/6`, at least 1; `Int.max` keeps them all).
    static func load(_ path: String, limit: Int?, testLimit: Int? = nil) throws -> DatasetSplits {
        var splits: DatasetSplits
        do { splits = try loadDataset(at: URL(fileURLWithPath: path)) } catch let error as DatasetError {
            if path == defaultFashionMNIST && !FileManager.default.fileExists(atPath: path) {
                throw CLIError(
                    "the default data set is missing: install it with `apt-get install dataset-fashion-mnist` (or Tools/scripts/install-deps.sh), or pass --data PATH"
                )
            }
            throw CLIError("\(error)")
        }
        if let limit {
            splits = DatasetSplits(
                train: splits.train.subset(0..<min(limit, splits.train.count)),
                test: splits.test.subset(0..<min(testLimit ?? max(limit / 6, 1), splits.test.count)))
        }
        return splits
    }
}

/// Built-in architecture names and architecture files.
enum ArchitectureChoice {
    static let builtInNames = ["resnet20", "resnet32", "resnet56", "mobilenetv2", "mlp"]

    /// A built-in adapted to the data's image shape and class count, or a file checked against them.
    static func resolve(_ name: String, for data: Dataset) throws -> Architecture {
        let input = Architecture.Input(channels: data.channels, height: data.height, width: data.width)
        let classes = max(data.classCount, 2)
        switch name {
        case "resnet20": return .cifarResNet(depth: 20, input: input, classes: classes)
        case "resnet32": return .cifarResNet(depth: 32, input: input, classes: classes)
        case "resnet56": return .cifarResNet(depth: 56, input: input, classes: classes)
        case "mobilenetv2": return .smallMobileNetV2(input: input, classes: classes)
        case "mlp": return .mlp(hidden: [256, 128], input: input, classes: classes)
        default:
            guard FileManager.default.fileExists(atPath: name) else {
                throw CLIError("--arch \(name): no such file, and not a built-in (\(builtInNames.joined(separator: ", ")))")
            }
            let architecture: Architecture
            do { architecture = try Architecture.load(contentsOf: URL(fileURLWithPath: name)) } catch let error as ArchitectureError {
                throw CLIError("\(name): \(error)")
            }
            guard architecture.input == input else {
                throw CLIError(
                    "\(name): input \(architecture.input.channels)×\(architecture.input.height)×\(architecture.input.width) does not match the data's \(input.channels)×\(input.height)×\(input.width)"
                )
            }
            guard architecture.classes >= data.classCount else {
                throw CLIError("\(name): \(architecture.classes) classes, but the data has \(data.classCount)")
            }
            return architecture
        }
    }
}

/// Output folders of runs.
enum RunFolder {
    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: Date())
    }

    /// Creates `dir`; refuses to start over an existing checkpoint unless resuming, and
    /// refuses to resume without one — a finished run is never overwritten silently.
    static func prepare(_ dir: URL, checkpoint: URL, resume: Bool) throws {
        let exists = FileManager.default.fileExists(atPath: checkpoint.path)
        if resume && !exists { throw CLIError("--resume: no checkpoint at \(checkpoint.path)") }
        if !resume && exists {
            throw CLIError(
                "\(dir.path) already holds a run (\(checkpoint.lastPathComponent)); pass --resume to continue it or choose another --out")
        }
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create output folder \(dir.path): \(FileErrorDescription.reason(error as NSError))")
        }
    }
}

/// Per-kernel device time from OpenCL profiling events.
enum ProfileReport {
    static func render(_ profiler: KernelProfiler) throws -> String {
        let rows = try profiler.summary()
        let total = rows.reduce(0) { $0 + $1.milliseconds }
        var table = TextTable(["kernel", "launches", "device ms", "share"])
        for row in rows.prefix(20) {
            table.add([
                row.kernel, "\(row.launches)", String(format: "%.1f", row.milliseconds),
                String(format: "%.1f%%", 100 * row.milliseconds / max(total, 1e-9)),
            ])
        }
        return "device time by kernel (total \(String(format: "%.1f", total)) ms):\n" + table.render()
    }
}
