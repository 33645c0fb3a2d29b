import NN
import TensorCore

/// The NAS-Bench-201 macro skeleton (AutoDL-Projects `TinyNetwork`): stem conv3×3 (C) + BN;
/// N cells at C; a residual reduction block to 2C; N cells; a block to 4C; N cells; BN → ReLU →
/// global pool → linear. A cell has nodes 0 … 3: node 0 is the input, node i = Σ_{j<i} edge_{i←j}(node j),
/// the output is node 3; edges are ordered 1←0, 2←0, 2←1, 3←0, 3←1, 3←2 (α's rows).
public final class NB201Network: CellNetwork {
    public let size: CellNetworkSize
    public var space: CellSpace { .nb201 }
    public var edgesPerCell: Int { size.edgesPerCell(.nb201) }
    let stem: (conv: Conv2d, bn: BatchNorm2d)
    /// Cells (edge lists) and reduction blocks in order.
    let body: [Stage]
    let lastNorm: BatchNorm2d
    let classifier: Linear

    enum Stage {
        case cell([CellEdge])
        case reduction(NB201ReductionBlock)
    }

    /// `operations[e]`: the candidates of edge e (every operation of the space in a supernet,
    /// one in an evaluation network). `style`: `.search(.nb201)` (BN without affine parameters or
    /// running statistics) or `.evaluation(.nb201)`.
    public init(
        _ size: CellNetworkSize, operations: [[CellOperation]], style: OperationStyle, partialChannels: Int = 1, backend: any Backend,
        seed: UInt64
    ) throws {
        try require(size.channels >= 1 && size.cells >= 1 && size.nodes >= 1, "nb201: channels, cells and nodes must be ≥ 1, got \(size)")
        try require(
            operations.count == size.edgesPerCell(.nb201) && operations.allSatisfy { !$0.isEmpty },
            "nb201: \(operations.count) edge operation lists for \(size.edgesPerCell(.nb201)) edges")
        self.size = size
        var rng = SeededRandom(seed: seed)
        let c = size.channels
        stem = (
            try Conv2d(size.inputChannels, c, kernelSize: 3, name: "stem.conv", backend: backend, rng: &rng),
            try BatchNorm2d(c, name: "stem.bn", backend: backend)
        )
        var body: [Stage] = []
        var width = c
        for stage in 0..<3 {
            if stage > 0 {
                body.append(.reduction(try NB201ReductionBlock(width, 2 * width, name: "cells.\(body.count)", backend: backend, rng: &rng)))
                width *= 2
            }
            for _ in 0..<size.cells {
                let name = "cells.\(body.count)"
                var edges: [CellEdge] = []
                for node in 1...size.nodes {
                    for from in 0..<node {
                        let e = edges.count
                        edges.append(
                            try CellEdge(
                                operations[e], channelsIn: width, channelsOut: width, stride: 1, style: style,
                                partialChannels: partialChannels, name: "\(name).edges.\(node)<-\(from)",
                                backend: backend, rng: &rng))
                    }
                }
                body.append(.cell(edges))
            }
        }
        self.body = body
        lastNorm = try BatchNorm2d(width, name: "lastact.bn", backend: backend)
        classifier = try Linear(width, size.classes, name: "classifier", backend: backend, rng: &rng)
    }

    public func forward(_ x: Variable, on tape: Tape, mixing: EdgeMixing) throws -> Variable {
        var h = try stem.bn.forward(stem.conv.forward(x, on: tape), on: tape)
        for stage in body {
            switch stage {
            case .reduction(let block): h = try block.forward(h, on: tape)
            case .cell(let edges):
                var nodes = [h]
                var e = 0
                for _ in 1...size.nodes {
                    var sum: Variable?
                    for from in nodes.indices {
                        var y = try edges[e].forward(nodes[from], on: tape, mix: try mixing.edge(e, reduction: false))
                        if let scale = mixing.edgeScale(reduction: false) { y = try tape.scaleByElement(y, scale, index: e) }
                        sum = try sum.map { try tape.add($0, y) } ?? y
                        e += 1
                    }
                    nodes.append(sum!)
                }
                h = nodes.last!
            }
        }
        let features = try tape.globalAvgPool(tape.relu(lastNorm.forward(h, on: tape)))
        return try classifier.forward(features, on: tape)
    }

    public var parameters: [Parameter] {
        var list = stem.conv.parameters + stem.bn.parameters
        for stage in body {
            switch stage {
            case .reduction(let block): list += block.parameters
            case .cell(let edges): list += edges.flatMap(\.parameters)
            }
        }
        return list + lastNorm.parameters + classifier.parameters
    }

    public var buffers: [(name: String, tensor: Tensor)] {
        var list = stem.bn.buffers
        for stage in body {
            switch stage {
            case .reduction(let block): list += block.buffers
            case .cell(let edges): list += edges.flatMap(\.buffers)
            }
        }
        return list + lastNorm.buffers
    }
}

/// NAS-Bench-201's residual reduction block (`ResNetBasicblock`, stride 2): ReLU-conv3×3 s2-BN →
/// ReLU-conv3×3-BN, plus the shortcut avgpool 2×2 s2 → conv1×1, all with affine BN.
final class NB201ReductionBlock: Layer {
    let a: ReLUConvBN
    let b: ReLUConvBN
    let shortcut: Conv2d

    init(_ channelsIn: Int, _ channelsOut: Int, name: String, backend: any Backend, rng: inout SeededRandom) throws {
        a = try ReLUConvBN(
            channelsIn, channelsOut, kernelSize: 3, stride: 2, padding: 1, affine: true, track: true, name: "\(name).conv_a",
            backend: backend,
            rng: &rng)
        b = try ReLUConvBN(
            channelsOut, channelsOut, kernelSize: 3, stride: 1, padding: 1, affine: true, track: true, name: "\(name).conv_b",
            backend: backend, rng: &rng)
        shortcut = try Conv2d(channelsIn, channelsOut, kernelSize: 1, name: "\(name).downsample.conv", backend: backend, rng: &rng)
    }

    func forward(_ x: Variable, on tape: Tape) throws -> Variable {
        let pooled = try tape.avgPool2d(x, params: Pool2dParams(kernel: 2, stride: 2))
        return try tape.add(b.forward(a.forward(x, on: tape), on: tape), shortcut.forward(pooled, on: tape))
    }
    var parameters: [Parameter] { a.parameters + b.parameters + shortcut.parameters }
    var buffers: [(name: String, tensor: Tensor)] { a.buffers + b.buffers }
}
