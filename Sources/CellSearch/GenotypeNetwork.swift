import Foundation
import NN
import TensorCore

/// The evaluation network of a genotype, trainable by the one training loop: NAS-Bench-201's
/// skeleton with one operation per edge, or DARTS' network of the genotype's cells (affine BN
/// everywhere), with DARTS' options — the auxiliary head (loss weight 0.4) and drop-path
/// `p·epoch/epochs` on the non-identity edges.
public final class GenotypeNetwork: TrainableModel {
    public let genotype: Genotype
    public let size: CellNetworkSize
    public let network: any CellNetwork
    public let backend: any Backend
    public let imageSize: Int
    public let auxiliaryWeight: Float
    public let dropPath: Float

    public init(
        _ genotype: Genotype, size: CellNetworkSize, imageSize: Int, auxiliary: Bool = false, auxiliaryWeight: Float = 0.4,
        dropPath: Float = 0, backend: any Backend, seed: UInt64
    ) throws {
        try require(imageSize >= 1, "genotype network: image size must be ≥ 1")
        self.genotype = genotype; self.size = size; self.imageSize = imageSize; self.backend = backend
        self.auxiliaryWeight = auxiliaryWeight; self.dropPath = dropPath
        switch genotype {
        case .nb201(let g):
            try require(!auxiliary && dropPath == 0, "genotype network: the auxiliary head and drop-path are DARTS-space options")
            try require(g.nodes == size.nodes, "genotype network: the genotype has \(g.nodes) nodes, the size \(size.nodes)")
            network = try NB201Network(
                size, operations: g.operations.map { [$0] }, style: .evaluation(.nb201), backend: backend, seed: seed)
        case .darts(let g):
            network = try DARTSNetwork.evaluation(size, genotype: g, auxiliary: auxiliary, backend: backend, seed: seed)
        }
    }

    public var inputShape: [Int] { [size.inputChannels, imageSize, imageSize] }
    public var classCount: Int { size.classes }
    public var parameters: [Parameter] { network.parameters }
    public var namedState: [(name: String, tensor: Tensor)] {
        network.parameters.map { (name: $0.name, tensor: $0.value) } + network.buffers
    }

    public func classify(_ x: Variable, on tape: Tape) throws -> (logits: Variable, auxiliary: [(logits: Variable, weight: Float)]) {
        guard let darts = network as? DARTSNetwork else { return (try network.forward(x, on: tape, mixing: .fixed), []) }
        let (logits, auxiliary) = try darts.forwardWithAuxiliary(x, on: tape, mixing: .fixed)
        return (logits, auxiliary.map { [($0, auxiliaryWeight)] } ?? [])
    }

    public func identity() throws -> String {
        let description = GenotypeNetworkDescription(
            genotype: genotype, size: size, imageSize: imageSize, auxiliary: (network as? DARTSNetwork)?.auxiliary != nil)
        return String(decoding: try Checkpoint.metadataEncoder.encode(description), as: UTF8.self)
    }

    public func willTrainEpoch(_ epoch: Int, of epochs: Int) {
        (network as? DARTSNetwork)?.dropPathProbability = dropPath * Float(epoch) / Float(max(epochs, 1))
    }
}

/// What a genotype network's checkpoint records about it.
struct GenotypeNetworkDescription: Codable {
    let genotype: Genotype
    let size: CellNetworkSize
    let imageSize: Int
    let auxiliary: Bool
}
