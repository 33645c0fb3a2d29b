import Foundation
import NN
import TensorCore

/// A trained network read back from a user's files: `--weights` (a checkpoint of `train` or
/// `search`, or a `.safetensors` file) into the architecture of `--arch`, else the one the file
/// records. Restoring checks every tensor's name and shape; each failure is one line naming the file.
enum LoadedNetwork {
    static func load(weights: String, arch: String?, backend: any Backend) throws -> (Architecture, Network) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: weights)) } catch {
            throw CLIError("cannot read \(weights): \(FileErrorDescription.reason(error as NSError))")
        }
        let source: Checkpoint
        do {
            source =
                data.starts(with: Checkpoint.magic)
                ? try Checkpoint.decode(data, name: weights) : try Checkpoint(safetensors: data, name: weights)
        } catch let error as CheckpointError { throw CLIError("\(error)") }
        let architecture: Architecture
        if let arch {
            do { architecture = try Architecture.load(contentsOf: URL(fileURLWithPath: arch)) } catch let error as ArchitectureError {
                throw CLIError("\(arch): \(error)")
            }
        } else {
            guard let text = source.metadata["architecture"], let a = try? Architecture.decode(Data(text.utf8)) else {
                throw CLIError("\(weights) records no architecture; pass --arch FILE.json")
            }
            architecture = a
        }
        let network = try Network(architecture, backend: backend, seed: 0)
        do { try source.restore(network.namedState, into: backend) } catch let error as CheckpointError {
            throw CLIError("\(weights) does not fit the architecture: \(error)")
        }
        return (architecture, network)
    }
}
