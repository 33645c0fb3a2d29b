import NN
import TensorCore

/// How the edges of the cells combine their candidate operations in one forward pass. Edge
/// weights are shared by every cell of a type (normal or reduction), as in the official code.
public enum EdgeMixing {
    /// DARTS: every operation runs, weighted by its edge's row of softmax(α) (`[K]` each).
    case soft(normal: [Variable], reduce: [Variable])
    /// GDAS: only the sampled operation of each edge runs, scaled by its hard one-hot weight
    /// (`[K]` each, value one-hot, gradient straight through to the soft sample).
    case hard(normal: [HardChoice], reduce: [HardChoice])
    /// PC-DARTS: as `.soft`, and each edge's output scaled by its node's softmax(β) entry
    /// (`edgeNormal`/`edgeReduce`: `[edges]`, the edges of a node contiguous).
    case softNormalized(normal: [Variable], reduce: [Variable], edgeNormal: Variable, edgeReduce: Variable?)
    /// A discrete cell (the evaluation network): each edge has one operation.
    case fixed

    /// The same mixing for the one cell type of NAS-Bench-201.
    public static func soft(_ weights: [Variable]) -> EdgeMixing { .soft(normal: weights, reduce: []) }
    public static func hard(_ choices: [HardChoice]) -> EdgeMixing { .hard(normal: choices, reduce: []) }

    /// The edge-normalization weights of a cell type, when the mixing has them.
    func edgeScale(reduction: Bool) -> Variable? {
        guard case .softNormalized(_, _, let normal, let reduce) = self else { return nil }
        return reduction ? reduce : normal
    }

    /// The mixing of edge `edge` of a normal (`reduction` false) or reduction cell.
    func edge(_ edge: Int, reduction: Bool) throws -> EdgeMix {
        switch self {
        case .fixed: return .single
        case .soft(let normal, let reduce), .softNormalized(let normal, let reduce, _, _):
            let list = reduction ? reduce : normal
            try require(edge < list.count, "mixing: no weights for \(reduction ? "reduction" : "normal") edge \(edge)")
            return .soft(list[edge])
        case .hard(let normal, let reduce):
            let list = reduction ? reduce : normal
            try require(edge < list.count, "mixing: no choice for \(reduction ? "reduction" : "normal") edge \(edge)")
            return .hard(list[edge])
        }
    }
}

/// GDAS' sample for one edge: the operation that runs and the hard weights `[K]`.
public struct HardChoice {
    public let index: Int
    public let weights: Variable
    public init(index: Int, weights: Variable) { self.index = index; self.weights = weights }
}

enum EdgeMix {
    case soft(Variable)
    case hard(HardChoice)
    case single
}

/// One edge of a cell: a module per candidate operation.
///
/// With `partialChannels` K > 1 (PC-DARTS), the operations see only the first C/K channels; the
/// rest bypass them (through a 2×2 max-pool on stride-2 edges), and the concatenation is
/// channel-shuffled with K groups.
final class CellEdge {
    let operations: [CellOperation]
    let modules: [any Layer]
    let partialChannels: Int
    let stride: Int

    init(
        _ operations: [CellOperation], channelsIn: Int, channelsOut: Int, stride: Int, style: OperationStyle, partialChannels: Int = 1,
        name: String, backend: any Backend, rng: inout SeededRandom
    ) throws {
        try require(
            partialChannels >= 1 && channelsIn % partialChannels == 0 && (partialChannels == 1 || channelsIn == channelsOut),
            "\(name): partial channels K = \(partialChannels) must divide the width \(channelsIn) (and keep it)")
        self.operations = operations
        self.partialChannels = partialChannels
        self.stride = stride
        let (inner, outer) = (channelsIn / partialChannels, channelsOut / partialChannels)
        modules = try operations.map {
            try $0.module(inner, outer, stride: stride, style: style, name: "\(name).\($0.rawValue)", backend: backend, rng: &rng)
        }
    }

    func forward(_ x: Variable, on tape: Tape, mix: EdgeMix) throws -> Variable {
        guard partialChannels > 1 else { return try mixed(x, on: tape, mix: mix) }
        let c = x.shape[1], part = c / partialChannels
        let active = try mixed(tape.sliceChannels(x, from: 0, count: part), on: tape, mix: mix)
        var bypass = try tape.sliceChannels(x, from: part, count: c - part)
        if stride == 2 { bypass = try tape.maxPool2d(bypass, params: Pool2dParams(kernel: 2, stride: 2)) }
        return try tape.channelShuffle(tape.concatChannels([active, bypass]), groups: partialChannels)
    }

    private func mixed(_ x: Variable, on tape: Tape, mix: EdgeMix) throws -> Variable {
        switch mix {
        case .single:
            try require(modules.count == 1, "cell edge: \(modules.count) candidate operations need a mixing, not .fixed")
            return try modules[0].forward(x, on: tape)
        case .soft(let weights):
            try require(weights.shape == [modules.count], "cell edge: weights \(weights.shape) for \(modules.count) operations")
            return try tape.weightedSum(modules.map { try $0.forward(x, on: tape) }, weights: weights)
        case .hard(let choice):
            try require(
                choice.weights.shape == [modules.count] && choice.index < modules.count,
                "cell edge: choice \(choice.index) with weights \(choice.weights.shape) for \(modules.count) operations")
            return try tape.hardSelect(modules[choice.index].forward(x, on: tape), weights: choice.weights, index: choice.index)
        }
    }

    var parameters: [Parameter] { modules.flatMap(\.parameters) }
    var buffers: [(name: String, tensor: Tensor)] { modules.flatMap(\.buffers) }
}
