import ArgumentParser
import Foundation
import TensorCore

/// `diffnas op`: one operation on `.npy` files, to cross-check a kernel against NumPy/PyTorch.
struct OpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op",
        abstract: "Run one operation on NumPy .npy files (float32, C order).",
        discussion: """
            Inputs are given with --in in the order listed below, outputs with --out in order (fewer \
            --out than outputs writes only the first ones). Parameters are --param key=value.
            Example: diffnas op conv2d --in x.npy --in w.npy --out y.npy --param stride=2 --param pad=1

            Operations:
            \(OpRegistry.helpText)
            """
    )

    @Argument(help: "Operation name (see the list above).")
    var name: String

    @Option(name: .customLong("in"), help: "Input .npy file, in the operation's input order (repeat).")
    var inputs: [String] = []

    @Option(name: .customLong("out"), help: "Output .npy file, in the operation's output order (repeat).")
    var outputs: [String] = []

    @Option(name: .customLong("param"), help: "Parameter key=value (repeat).")
    var parameters: [String] = []

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard let spec = OpRegistry.spec(named: name) else {
            throw ValidationError("unknown operation '\(name)'; known: \(OpRegistry.all.map(\.name).joined(separator: ", "))")
        }
        guard inputs.count >= spec.requiredInputCount, inputs.count <= spec.inputs.count else {
            throw ValidationError("\(name) takes inputs (\(spec.inputs.joined(separator: ", "))): got \(inputs.count) --in")
        }
        guard !outputs.isEmpty, outputs.count <= spec.outputs.count else {
            throw ValidationError("\(name) produces (\(spec.outputs.joined(separator: ", "))): give 1 to \(spec.outputs.count) --out")
        }
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--param \(parameter) is not key=value") }
            guard spec.parameters.contains(where: { $0.0 == parts[0] }) else {
                let known = spec.parameters.map(\.0).joined(separator: ", ")
                throw ValidationError("\(name) has no parameter '\(parts[0])'" + (known.isEmpty ? "" : "; known: \(known)"))
            }
        }
    }

    func run() throws {
        let spec = OpRegistry.spec(named: name)!
        let backend = try options.makeBackend()
        var tensors: [Tensor] = []
        for path in inputs {
            let (shape, values): ([Int], [Float])
            do { (shape, values) = try NPYFile.read(contentsOf: URL(fileURLWithPath: path)) } catch let error as NPYFile.FormatError {
                throw CLIError(error.message)
            }
            tensors.append(try backend.upload(values, shape: shape))
        }
        var params: [String: String] = [:]
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            params[String(parts[0])] = String(parts[1])
        }
        let results: [Tensor]
        do {
            results = try spec.run(OpContext(operation: name, backend: backend, inputs: tensors, parameters: params))
        } catch let error as TensorError {
            throw CLIError(error.description)
        }
        for (path, tensor) in zip(outputs, results) {
            try NPYFile.write(shape: tensor.shape, values: try backend.download(tensor), to: URL(fileURLWithPath: path))
        }
    }
}
