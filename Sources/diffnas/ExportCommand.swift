import ArgumentParser
import Foundation
import NN
import ReferenceBackend
import TensorCore

/// Weight formats `diffnas export` writes.
enum WeightFormat: String, ExpressibleByArgument, CaseIterable {
    case safetensors, checkpoint
}

/// `diffnas export`: a trained or searched network's weights in a format other tools read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a network's weights as safetensors (or convert safetensors back to a checkpoint).",
        discussion: """
            --weights takes a checkpoint of `diffnas train` or `diffnas search` (checkpoint.bin) or a \
            .safetensors file. The network's state (weights and batch-norm statistics, under the names \
            of its layers, e.g. stage1.block0.conv1.weight) is checked against the architecture — from \
            --arch, else the one recorded in the file — and written; optimizer state is left out. \
            safetensors files carry the architecture JSON in __metadata__.architecture and open in \
            Python with safetensors.numpy.load_file.
            """
    )

    @Option(name: .long, help: "Checkpoint (.bin) or .safetensors file to read.") var weights: String
    @Option(name: .long, help: "Architecture JSON (default: the one recorded in --weights).") var arch: String?
    @Option(name: .long, help: "Output format: safetensors or checkpoint.") var format: WeightFormat = .safetensors
    @Option(name: .long, help: "Output file.") var out: String

    func run() throws {
        let backend = ReferenceBackend()
        let (architecture, network) = try LoadedNetwork.load(weights: weights, arch: arch, backend: backend)
        var state = Checkpoint(metadata: [
            "architecture": String(decoding: try architecture.encoded(), as: UTF8.self), "format": "diffnas network state",
        ])
        try state.add(network.namedState, from: backend)
        let output = URL(fileURLWithPath: out)
        switch format {
        case .safetensors: try state.safetensors().write(to: output, options: .atomic)
        case .checkpoint: try state.write(to: output)
        }
        let count = state.tensors.reduce(0) { $0 + $1.values.count }
        print(
            "wrote \(state.tensors.count) tensors (\(count) values) of \(architecture.notes["name"] ?? architecture.family.rawValue) to \(out) as \(format.rawValue)"
        )
    }
}
