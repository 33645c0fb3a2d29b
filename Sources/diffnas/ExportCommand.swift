import ArgumentParser
import Foundation
import Datasets
import NN
import ONNX
import ReferenceBackend
import TensorCore

/// Weight formats `diffnas export` writes.
enum WeightFormat: String, ExpressibleByArgument, CaseIterable {
    case safetensors, checkpoint, onnx
}

/// `diffnas export`: a trained or searched network's weights in a format other tools read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a network as ONNX, or its weights as safetensors (or convert safetensors back to a checkpoint).",
        discussion: """
            --weights takes a checkpoint of `diffnas train` or `diffnas search` (checkpoint.bin) or a \
            .safetensors file. The network's state (weights and batch-norm statistics, under the names \
            of its layers, e.g. stage1.block0.conv1.weight) is checked against the architecture — from \
            --arch, else the one recorded in the file — and written; optimizer state is left out. \
            safetensors files carry the architecture JSON in __metadata__.architecture and open in \
            Python with safetensors.numpy.load_file. \
            --format onnx writes an ONNX model (opset 17) of the network in inference mode (batch norm with \
            its running statistics): input `images` float32 [N, C, H, W] with pixels / 255, output `logits` \
            [N, classes], N dynamic; its first nodes normalize each channel with the mean and std of the \
            --data training split, as `diffnas train` does.
            """
    )

    @Option(name: .long, help: "Checkpoint (.bin) or .safetensors file to read.") var weights: String
    @Option(name: .long, help: "Architecture JSON (default: the one recorded in --weights).") var arch: String?
    @Option(name: .long, help: "Output format: safetensors, checkpoint or onnx.") var format: WeightFormat = .safetensors
    @Option(name: .long, help: "Data set folder whose training split gives the ONNX input normalization.")
    var data = DatasetLocation.defaultFashionMNIST
    @Option(name: .long, help: "Output file.") var out: String

    func run() throws {
        let backend = ReferenceBackend()
        let (architecture, network) = try LoadedNetwork.load(weights: weights, arch: arch, backend: backend)
        if format == .onnx {
            let normalization = ChannelNormalization(statisticsOf: try DatasetLocation.load(data, limit: nil).train)
            try ONNXExport.model(network, normalization: (normalization.mean, normalization.std)).write(
                to: URL(fileURLWithPath: out), options: .atomic)
            print(
                "wrote \(architecture.notes["name"] ?? architecture.family.rawValue) to \(out) as ONNX (opset \(ONNXExport.opset), input pixels / 255)"
            )
            return
        }
        var state = Checkpoint(metadata: [
            "architecture": String(decoding: try architecture.encoded(), as: UTF8.self), "format": "diffnas network state",
        ])
        try state.add(network.namedState, from: backend)
        let output = URL(fileURLWithPath: out)
        switch format {
        case .safetensors: try state.safetensors().write(to: output, options: .atomic)
        case .checkpoint: try state.write(to: output)
        case .onnx: break
        }
        let count = state.tensors.reduce(0) { $0 + $1.values.count }
        print(
            "wrote \(state.tensors.count) tensors (\(count) values) of \(architecture.notes["name"] ?? architecture.family.rawValue) to \(out) as \(format.rawValue)"
        )
    }
}
