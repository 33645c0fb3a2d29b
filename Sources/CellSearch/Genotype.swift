import Foundation
import TensorCore

/// A discrete cell: what a cell search returns and what `diffnas train --arch` builds.
public enum Genotype: Equatable, Sendable {
    /// NAS-Bench-201: one operation per edge (1←0, 2←0, 2←1, 3←0, 3←1, 3←2).
    case nb201(NB201Genotype)
    /// DARTS: two (operation, input) pairs per node for the normal and the reduction cell.
    case darts(DARTSGenotype)

    public var space: CellSpace {
        switch self {
        case .nb201: .nb201
        case .darts: .darts
        }
    }

    /// The standard text form: NAS-Bench-201's `|op~0|+|op~0|op~1|+…|`, or DARTS' `Genotype(normal=[…], …)`.
    public var text: String {
        switch self {
        case .nb201(let g): g.text
        case .darts(let g): g.text
        }
    }
}

/// NAS-Bench-201's cell: `operations[e]` on edge e, nodes 1 … n.
public struct NB201Genotype: Equatable, Sendable {
    public let operations: [CellOperation]
    public let nodes: Int

    public init(operations: [CellOperation], nodes: Int = 3) throws {
        try require(
            nodes >= 1 && operations.count == nodes * (nodes + 1) / 2, "nb201 genotype: \(operations.count) operations for \(nodes) nodes")
        let allowed = Set(CellSpace.nb201.operations)
        for op in operations {
            try require(allowed.contains(op), "nb201 genotype: \(op.rawValue) is not a NAS-Bench-201 operation")
        }
        self.operations = operations; self.nodes = nodes
    }

    /// `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`: one `+`-separated group per node, `op~j` for the edge from node j.
    public var text: String {
        var groups: [String] = []
        var e = 0
        for node in 1...nodes {
            groups.append(
                "|"
                    + (0..<node).map { j -> String in
                        defer { e += 1 }; return "\(operations[e].rawValue)~\(j)"
                    }.joined(separator: "|") + "|")
        }
        return groups.joined(separator: "+")
    }

    /// Parses the text form, naming what is wrong on bad input.
    public init(text: String) throws {
        let groups = text.split(separator: "+", omittingEmptySubsequences: false)
        var operations: [CellOperation] = []
        for (g, group) in groups.enumerated() {
            try require(
                group.hasPrefix("|") && group.hasSuffix("|") && group.count >= 2,
                "nb201 genotype: group \(g + 1) '\(group)' must look like |op~0|")
            let items = group.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
            try require(items.count == g + 1, "nb201 genotype: node \(g + 1) must have \(g + 1) inputs, got \(items.count) in '\(group)'")
            for (j, item) in items.enumerated() {
                let parts = item.split(separator: "~", omittingEmptySubsequences: false)
                try require(parts.count == 2 && Int(parts[1]) == j, "nb201 genotype: '\(item)' must be op~\(j)")
                guard let op = CellOperation(rawValue: String(parts[0])) else {
                    throw TensorError.argument("nb201 genotype: unknown operation '\(parts[0])'")
                }
                operations.append(op)
            }
        }
        try self.init(operations: operations, nodes: groups.count)
    }

    /// The official derivation: the argmax over every operation (none included) per edge, first on ties.
    /// `weights[e]` is edge e's row of softmax(α) (or α: the order is the same).
    public static func derive(from weights: [[Float]], nodes: Int = 3) throws -> NB201Genotype {
        let ops = CellSpace.nb201.operations
        try require(weights.allSatisfy { $0.count == ops.count }, "nb201 genotype: every α row needs \(ops.count) entries")
        return try NB201Genotype(operations: weights.map { ops[firstArgmax($0)] }, nodes: nodes)
    }
}

/// DARTS' cell: node i (0 … 3) = Σ of two operations on inputs (0, 1: the cell inputs; k ≥ 2: node k − 2);
/// the output concatenates `concat`.
public struct DARTSGenotype: Equatable, Sendable, Codable {
    public struct Edge: Equatable, Sendable, Codable {
        public let operation: CellOperation
        public let input: Int
        public init(_ operation: CellOperation, _ input: Int) { self.operation = operation; self.input = input }
    }
    public let normal: [Edge]
    public let normalConcat: [Int]
    public let reduce: [Edge]
    public let reduceConcat: [Int]

    public init(normal: [Edge], normalConcat: [Int], reduce: [Edge], reduceConcat: [Int]) throws {
        for (name, edges, concat) in [("normal", normal, normalConcat), ("reduce", reduce, reduceConcat)] {
            try require(!edges.isEmpty && edges.count % 2 == 0, "darts genotype: \(name) needs two edges per node, got \(edges.count)")
            let nodes = edges.count / 2
            for (k, edge) in edges.enumerated() {
                try require(
                    edge.operation != .none && CellSpace.darts.operations.contains(edge.operation),
                    "darts genotype: \(name) edge \(k) has operation \(edge.operation.rawValue), not a DARTS operation")
                try require(
                    edge.input >= 0 && edge.input < 2 + k / 2,
                    "darts genotype: \(name) edge \(k) reads state \(edge.input), which node \(k / 2) cannot see")
            }
            try require(
                !concat.isEmpty && concat.allSatisfy { $0 >= 2 && $0 < 2 + nodes },
                "darts genotype: \(name) concat \(concat) names states outside 2…\(1 + nodes)")
        }
        self.normal = normal; self.normalConcat = normalConcat; self.reduce = reduce; self.reduceConcat = reduceConcat
    }

    /// DARTS_V2 from the DARTS paper (`genotypes.py`), the cell of the 2.76% CIFAR-10 result.
    public static let dartsV2 = try! DARTSGenotype(
        normal: [
            Edge(.sepConv3x3, 0), Edge(.sepConv3x3, 1), Edge(.sepConv3x3, 0), Edge(.sepConv3x3, 1), Edge(.sepConv3x3, 1),
            Edge(.skipConnect, 0), Edge(.skipConnect, 0), Edge(.dilConv3x3, 2),
        ], normalConcat: [2, 3, 4, 5],
        reduce: [
            Edge(.maxPool3x3, 0), Edge(.maxPool3x3, 1), Edge(.skipConnect, 2), Edge(.maxPool3x3, 1), Edge(.maxPool3x3, 0),
            Edge(.skipConnect, 2), Edge(.skipConnect, 2), Edge(.maxPool3x3, 1),
        ], reduceConcat: [2, 3, 4, 5])

    public var text: String {
        func list(_ edges: [Edge]) -> String {
            "[" + edges.map { "('\($0.operation.rawValue)', \($0.input))" }.joined(separator: ", ") + "]"
        }
        return "Genotype(normal=\(list(normal)), normal_concat=\(normalConcat), reduce=\(list(reduce)), reduce_concat=\(reduceConcat))"
    }

    /// The official derivation (quark0/darts `model_search.py`): per node, score each incoming edge
    /// by its largest weight over the operations other than none, keep the two best edges (the
    /// earlier edge on ties), and give each its best operation other than none (the first on ties).
    /// `weights[e]`: edge e's row of softmax(α) (PC-DARTS: times its softmax(β) entry), in the
    /// cell's edge order (node 0's two edges, node 1's three, …).
    public static func derive(normal: [[Float]], reduce: [[Float]], nodes: Int = 4) throws -> DARTSGenotype {
        func parse(_ weights: [[Float]]) throws -> [Edge] {
            let ops = CellSpace.darts.operations
            let noneIndex = ops.firstIndex(of: .none)!
            let expected = (0..<nodes).reduce(0) { $0 + 2 + $1 }
            try require(
                weights.count == expected && weights.allSatisfy { $0.count == ops.count },
                "darts genotype: α must be \(expected) × \(ops.count)")
            var edges: [Edge] = []
            var start = 0
            for node in 0..<nodes {
                let inputs = 2 + node
                let rows = weights[start..<start + inputs]
                func best(_ row: [Float]) -> Int {
                    var k: Int?
                    for j in row.indices where j != noneIndex { if k == nil || row[j] > row[k!] { k = j } }
                    return k!
                }
                let ranked = (0..<inputs).sorted { a, b in
                    let (sa, sb) = (rows[start + a][best(rows[start + a])], rows[start + b][best(rows[start + b])])
                    return sa != sb ? sa > sb : a < b
                }
                for input in ranked.prefix(2) { edges.append(Edge(ops[best(rows[start + input])], input)) }
                start += inputs
            }
            return edges
        }
        let concat = Array(2..<(2 + nodes))
        return try DARTSGenotype(normal: try parse(normal), normalConcat: concat, reduce: try parse(reduce), reduceConcat: concat)
    }
}

/// The index of the first largest entry.
func firstArgmax(_ row: [Float]) -> Int {
    var k = 0
    for j in row.indices where row[j] > row[k] { k = j }
    return k
}

extension Genotype: Codable {
    private enum Keys: String, CodingKey {
        case space, genotype, normal, normalConcat = "normal_concat", reduce, reduceConcat = "reduce_concat"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let space = try c.decode(CellSpace.self, forKey: .space)
        switch space {
        case .nb201:
            self = .nb201(try NB201Genotype(text: try c.decode(String.self, forKey: .genotype)))
        case .darts:
            func edges(_ key: Keys) throws -> [DARTSGenotype.Edge] {
                try c.decode([[String]].self, forKey: key).map { pair in
                    guard pair.count == 2, let op = CellOperation(rawValue: pair[0]), let input = Int(pair[1]) else {
                        throw TensorError.argument("darts genotype: each edge must be [\"operation\", \"input\"], got \(pair)")
                    }
                    return DARTSGenotype.Edge(op, input)
                }
            }
            self = .darts(
                try DARTSGenotype(
                    normal: try edges(.normal), normalConcat: try c.decode([Int].self, forKey: .normalConcat), reduce: try edges(.reduce),
                    reduceConcat: try c.decode([Int].self, forKey: .reduceConcat)))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(space, forKey: .space)
        switch self {
        case .nb201(let g): try c.encode(g.text, forKey: .genotype)
        case .darts(let g):
            try c.encode(g.normal.map { [$0.operation.rawValue, "\($0.input)"] }, forKey: .normal)
            try c.encode(g.normalConcat, forKey: .normalConcat)
            try c.encode(g.reduce.map { [$0.operation.rawValue, "\($0.input)"] }, forKey: .reduce)
            try c.encode(g.reduceConcat, forKey: .reduceConcat)
            try c.encode(g.text, forKey: .genotype)
        }
    }

    /// Reads a genotype JSON file, with a one-line error naming the file on failure.
    public static func load(_ url: URL) throws -> Genotype {
        guard let data = try? Data(contentsOf: url) else { throw TensorError.argument("cannot read genotype file \(url.path)") }
        do { return try JSONDecoder().decode(Genotype.self, from: data) } catch let error as TensorError { throw error } catch {
            throw TensorError.argument("\(url.path) is not a genotype file: \(error)")
        }
    }
}
