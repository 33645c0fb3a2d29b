import NN
import TensorCore

/// The DARTS CNN network (quark0/darts `model_search.py` / `model.py`): stem conv3×3 (3C) + BN;
/// L cells, reducing (C doubles) at ⌊L/3⌋ and ⌊2L/3⌋; each cell preprocesses its inputs
/// s0 = c_{k−2} (FactorizedReduce after a reduction, else ReLU-conv1×1-BN) and s1 = c_{k−1}
/// (ReLU-conv1×1-BN) to C, computes `nodes` nodes, each the sum over its incoming edges, and
/// concatenates them (nodes·C channels); global pool → linear. In reduction cells the edges
/// from s0 and s1 have stride 2. The search network puts every operation on all 14 edges with
/// non-affine BN; the evaluation network builds a genotype's 8 edges with affine BN, optionally
/// an auxiliary head after cell ⌊2L/3⌋ (ReLU, avgpool 5 s3, conv1×1 → 128, BN, ReLU, conv2×2 →
/// 768, BN, ReLU, linear) and drop-path on non-identity edges.
public final class DARTSNetwork: CellNetwork {
    public let size: CellNetworkSize
    public var space: CellSpace { .darts }
    public var edgesPerCell: Int { size.edgesPerCell(.darts) }
    let stem: (conv: Conv2d, bn: BatchNorm2d)
    let cells: [DARTSCell]
    let classifier: Linear
    public let auxiliary: AuxiliaryHead?
    /// Drop-path probability of the evaluation network's non-identity edges (training only).
    public var dropPathProbability: Float = 0
    /// The seeded source of the drop-path masks.
    var dropPathRandom: SeededRandom

    /// The search supernet: every DARTS operation on every edge.
    /// `partialChannels` K > 1: PC-DARTS' partial-channel edges.
    public static func supernet(
        _ size: CellNetworkSize, partialChannels: Int = 1, backend: any Backend, seed: UInt64
    ) throws -> DARTSNetwork {
        try DARTSNetwork(size, genotype: nil, auxiliary: false, partialChannels: partialChannels, backend: backend, seed: seed)
    }

    /// The evaluation network of `genotype`.
    public static func evaluation(
        _ size: CellNetworkSize, genotype: DARTSGenotype, auxiliary: Bool = false, backend: any Backend, seed: UInt64
    ) throws -> DARTSNetwork {
        try DARTSNetwork(size, genotype: genotype, auxiliary: auxiliary, backend: backend, seed: seed)
    }

    init(
        _ size: CellNetworkSize, genotype: DARTSGenotype?, auxiliary: Bool, partialChannels: Int = 1, backend: any Backend, seed: UInt64
    ) throws {
        try require(size.channels >= 1 && size.cells >= 1 && size.nodes >= 1, "darts: channels, cells and nodes must be ≥ 1, got \(size)")
        if let genotype {
            try require(
                genotype.normal.count == 2 * size.nodes && genotype.reduce.count == 2 * size.nodes,
                "darts: the genotype has \(genotype.normal.count / 2) nodes, the network \(size.nodes)")
        }
        self.size = size
        var rng = SeededRandom(seed: seed)
        dropPathRandom = SeededRandom(seed: seed ^ 0xD809_9A7B)
        let stemWidth = 3 * size.channels
        stem = (
            try Conv2d(size.inputChannels, stemWidth, kernelSize: 3, name: "stem.conv", backend: backend, rng: &rng),
            try BatchNorm2d(stemWidth, name: "stem.bn", backend: backend)
        )
        var (previousPrevious, previous, current) = (stemWidth, stemWidth, size.channels)
        var reductionPrevious = false
        var cells: [DARTSCell] = []
        var auxiliaryWidth: Int?
        let reductions: Set<Int> = [size.cells / 3, 2 * size.cells / 3]
        for i in 0..<size.cells {
            let reduction = reductions.contains(i)
            if reduction { current *= 2 }
            let cell = try DARTSCell(
                nodes: size.nodes, channelsPrevPrev: previousPrevious, channelsPrev: previous, channels: current, reduction: reduction,
                reductionPrevious: reductionPrevious, genotype: genotype, partialChannels: partialChannels, name: "cells.\(i)",
                backend: backend, rng: &rng)
            cells.append(cell)
            reductionPrevious = reduction
            (previousPrevious, previous) = (previous, cell.outputChannels)
            if i == 2 * size.cells / 3 { auxiliaryWidth = previous }
        }
        self.cells = cells
        self.auxiliary = auxiliary ? try AuxiliaryHead(auxiliaryWidth ?? previous, classes: size.classes, backend: backend, rng: &rng) : nil
        classifier = try Linear(previous, size.classes, name: "classifier", backend: backend, rng: &rng)
    }

    public func forward(_ x: Variable, on tape: Tape, mixing: EdgeMixing) throws -> Variable {
        try forwardWithAuxiliary(x, on: tape, mixing: mixing).logits
    }

    /// Logits and, when the network has an auxiliary head and the tape trains, its logits.
    public func forwardWithAuxiliary(_ x: Variable, on tape: Tape, mixing: EdgeMixing) throws -> (logits: Variable, auxiliary: Variable?) {
        let s = try stem.bn.forward(stem.conv.forward(x, on: tape), on: tape)
        var (s0, s1) = (s, s)
        var auxiliaryLogits: Variable?
        for (i, cell) in cells.enumerated() {
            let p = tape.training ? dropPathProbability : 0
            (s0, s1) = (s1, try cell.forward(s0, s1, on: tape, mixing: mixing, dropPath: p, rng: &dropPathRandom))
            if i == 2 * size.cells / 3, let auxiliary, tape.training { auxiliaryLogits = try auxiliary.forward(s1, on: tape) }
        }
        return (try classifier.forward(tape.globalAvgPool(s1), on: tape), auxiliaryLogits)
    }

    public var parameters: [Parameter] {
        stem.conv.parameters + stem.bn.parameters + cells.flatMap(\.parameters) + classifier.parameters + (auxiliary?.parameters ?? [])
    }
    public var buffers: [(name: String, tensor: Tensor)] { stem.bn.buffers + cells.flatMap(\.buffers) + (auxiliary?.buffers ?? []) }
}

/// One DARTS cell. Search: `edges[e]` holds all 8 operations, nodes sum all their incoming
/// edges. Evaluation: two edges per node from the genotype.
final class DARTSCell {
    let reduction: Bool
    let preprocess0: any Layer
    let preprocess1: ReLUConvBN
    /// Per node, its incoming edges with the state each reads.
    let nodeEdges: [[(edge: CellEdge, input: Int, index: Int)]]
    let concat: [Int]
    let outputChannels: Int

    init(
        nodes: Int, channelsPrevPrev: Int, channelsPrev: Int, channels c: Int, reduction: Bool, reductionPrevious: Bool,
        genotype: DARTSGenotype?, partialChannels: Int, name: String, backend: any Backend, rng: inout SeededRandom
    ) throws {
        self.reduction = reduction
        let affine = genotype != nil
        let style = affine ? OperationStyle.evaluation(.darts) : .search(.darts)
        preprocess0 =
            reductionPrevious
            ? try FactorizedReduce(
                channelsPrevPrev, c, affine: affine, track: true, name: "\(name).preprocess0", backend: backend, rng: &rng)
            : try ReLUConvBN(
                channelsPrevPrev, c, kernelSize: 1, stride: 1, padding: 0, affine: affine, track: true, name: "\(name).preprocess0",
                backend: backend, rng: &rng)
        preprocess1 = try ReLUConvBN(
            channelsPrev, c, kernelSize: 1, stride: 1, padding: 0, affine: affine, track: true, name: "\(name).preprocess1",
            backend: backend,
            rng: &rng)
        var nodeEdges: [[(edge: CellEdge, input: Int, index: Int)]] = []
        if let genotype {
            let edges = reduction ? genotype.reduce : genotype.normal
            for node in 0..<nodes {
                nodeEdges.append(
                    try edges[(2 * node)..<(2 * node + 2)].enumerated().map { k, e in
                        let stride = reduction && e.input < 2 ? 2 : 1
                        let edge = try CellEdge(
                            [e.operation], channelsIn: c, channelsOut: c, stride: stride, style: style, name: "\(name).ops.\(2 * node + k)",
                            backend: backend, rng: &rng)
                        return (edge, e.input, 2 * node + k)
                    })
            }
            concat = reduction ? genotype.reduceConcat : genotype.normalConcat
        } else {
            var index = 0
            for node in 0..<nodes {
                var list: [(edge: CellEdge, input: Int, index: Int)] = []
                for input in 0..<(2 + node) {
                    let stride = reduction && input < 2 ? 2 : 1
                    list.append(
                        (
                            try CellEdge(
                                CellSpace.darts.operations, channelsIn: c, channelsOut: c, stride: stride, style: style,
                                partialChannels: partialChannels, name: "\(name).ops.\(index)", backend: backend, rng: &rng), input, index
                        ))
                    index += 1
                }
                nodeEdges.append(list)
            }
            concat = Array(2..<(2 + nodes))
        }
        self.nodeEdges = nodeEdges
        outputChannels = concat.count * c
    }

    func forward(
        _ s0: Variable, _ s1: Variable, on tape: Tape, mixing: EdgeMixing, dropPath: Float, rng: inout SeededRandom
    ) throws -> Variable {
        var states = [try preprocess0.forward(s0, on: tape), try preprocess1.forward(s1, on: tape)]
        for edges in nodeEdges {
            var sum: Variable?
            for (edge, input, index) in edges {
                var y = try edge.forward(states[input], on: tape, mix: try mixing.edge(index, reduction: reduction))
                if let scale = mixing.edgeScale(reduction: reduction) { y = try tape.scaleByElement(y, scale, index: index) }
                if dropPath > 0 && edge.operations != [.skipConnect] {
                    y = try dropPathScale(y, probability: dropPath, on: tape, rng: &rng)
                }
                sum = try sum.map { try tape.add($0, y) } ?? y
            }
            states.append(sum!)
        }
        return try tape.concatChannels(concat.map { states[$0] })
    }

    /// Drop-path: each sample's path is zeroed with probability p, the kept ones scaled by 1/(1 − p)
    /// (the official `drop_path`): a mask over the batch, applied as a channel mask of `[1, N, rest]`.
    private func dropPathScale(_ y: Variable, probability p: Float, on tape: Tape, rng: inout SeededRandom) throws -> Variable {
        let n = y.shape[0]
        let keep = rng.uniform(n, in: 0...1).map { $0 >= p ? 1 / (1 - p) : 0 }
        let mask = tape.constant(try tape.backend.upload(keep, shape: [n]))
        let masked = try tape.channelMask(tape.reshape(y, [1, n, y.value.count / n]), mask: mask)
        return try tape.reshape(masked, y.shape)
    }

    var parameters: [Parameter] { preprocess0.parameters + preprocess1.parameters + nodeEdges.flatMap { $0.flatMap(\.edge.parameters) } }
    var buffers: [(name: String, tensor: Tensor)] {
        preprocess0.buffers + preprocess1.buffers + nodeEdges.flatMap { $0.flatMap(\.edge.buffers) }
    }
}

/// DARTS' auxiliary head for 8×8 inputs: ReLU → avgpool 5 s3 (2×2) → conv1×1 → 128 → BN → ReLU →
/// conv2×2 → 768 → BN → ReLU → linear.
public final class AuxiliaryHead: Layer {
    let first: Conv2d, firstNorm: BatchNorm2d, second: Conv2d, secondNorm: BatchNorm2d, classifier: Linear

    init(_ channels: Int, classes: Int, backend: any Backend, rng: inout SeededRandom) throws {
        first = try Conv2d(channels, 128, kernelSize: 1, name: "auxiliary.conv1", backend: backend, rng: &rng)
        firstNorm = try BatchNorm2d(128, name: "auxiliary.bn1", backend: backend)
        second = try Conv2d(128, 768, kernelSize: 2, padding: 0, name: "auxiliary.conv2", backend: backend, rng: &rng)
        secondNorm = try BatchNorm2d(768, name: "auxiliary.bn2", backend: backend)
        classifier = try Linear(768, classes, name: "auxiliary.classifier", backend: backend, rng: &rng)
    }

    public func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        var h = try tape.avgPool2d(tape.relu(x), params: Pool2dParams(kernel: 5, stride: 3), countIncludePad: false)
        h = try tape.relu(firstNorm.forward(first.forward(h, on: tape), on: tape))
        h = try tape.relu(secondNorm.forward(second.forward(h, on: tape), on: tape))
        return try classifier.forward(tape.reshape(h, [h.shape[0], h.value.count / h.shape[0]]), on: tape)
    }
    public var parameters: [Parameter] {
        first.parameters + firstNorm.parameters + second.parameters + secondNorm.parameters + classifier.parameters
    }
    public var buffers: [(name: String, tensor: Tensor)] { firstNorm.buffers + secondNorm.buffers }
}
