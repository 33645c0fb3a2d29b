import NN
import TensorCore

/// A network of cells from one of the `CellSpace`s: the supernet of a search (every edge holds
/// every candidate operation) or the evaluation network of a genotype (one operation per edge).
public protocol CellNetwork: AnyObject {
    var space: CellSpace { get }
    /// Edges per cell (NAS-Bench-201: 6; DARTS: 14), i.e. the rows of α per cell type.
    var edgesPerCell: Int { get }
    /// Logits `[N, classes]` for images `x: [N, C, H, W]`.
    func forward(_ x: Variable, on tape: Tape, mixing: EdgeMixing) throws -> Variable
    var parameters: [Parameter] { get }
    var buffers: [(name: String, tensor: Tensor)] { get }
}

extension CellNetwork {
    /// Trainable scalars (architecture weights are not parameters of the network).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// The sizes of a cell network.
public struct CellNetworkSize: Sendable, Equatable, Codable {
    /// Channels of the first stage (C).
    public var channels: Int
    /// NAS-Bench-201: cells per stage (N); DARTS: cells in all (L).
    public var cells: Int
    /// Intermediate nodes per cell (NAS-Bench-201: 3 after the input; DARTS: 4).
    public var nodes: Int
    public var inputChannels: Int
    public var classes: Int

    public init(channels: Int, cells: Int, nodes: Int, inputChannels: Int = 3, classes: Int = 10) {
        self.channels = channels; self.cells = cells; self.nodes = nodes
        self.inputChannels = inputChannels; self.classes = classes
    }

    /// Edges of one cell: NAS-Bench-201 node i (1 … nodes) reads nodes 0 … i−1; DARTS node i
    /// (0 … nodes−1) reads the two inputs and nodes 0 … i−1.
    public func edgesPerCell(_ space: CellSpace) -> Int {
        switch space {
        case .nb201: nodes * (nodes + 1) / 2
        case .darts: (0..<nodes).reduce(0) { $0 + 2 + $1 }
        }
    }
}
