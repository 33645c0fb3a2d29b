import Foundation
import TensorCore

/// The architecture parameters of a cell search, kept on the host (a few hundred numbers): α per
/// cell type (normal, and reduction in the DARTS space), one row of K logits per edge, and for
/// PC-DARTS the edge-normalization logits β, one per incoming edge of each node. Initialised
/// `1e-3·N(0, 1)` as the official code. Updated by Adam with L2 weight decay added to the gradient
/// (`torch.optim.Adam(weight_decay=…)`), in double precision.
public struct ArchitectureWeights: Equatable, Sendable {
    /// `alpha[type][edge][op]`.
    public var alpha: [[[Double]]]
    /// `beta[type][edge]` (the edges of node i are contiguous); empty without edge normalization.
    public var beta: [[Double]]
    var firstMoment: [Double]
    var secondMoment: [Double]
    public internal(set) var steps = 0

    public init(types: Int, edges: Int, operations: Int, edgeNormalization: Bool, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        alpha = (0..<types).map { _ in (0..<edges).map { _ in rng.normal(operations).map { 1e-3 * Double($0) } } }
        beta = edgeNormalization ? (0..<types).map { _ in rng.normal(edges).map { 1e-3 * Double($0) } } : []
        firstMoment = [Double](repeating: 0, count: types * edges * operations + (edgeNormalization ? types * edges : 0))
        secondMoment = firstMoment
    }

    /// Every α then every β, flattened.
    public var flattened: [Double] { alpha.flatMap { $0.flatMap { $0 } } + beta.flatMap { $0 } }

    mutating func setFlattened(_ values: [Double]) {
        var i = 0
        for t in alpha.indices { for e in alpha[t].indices { for k in alpha[t][e].indices { alpha[t][e][k] = values[i]; i += 1 } } }
        for t in beta.indices { for e in beta[t].indices { beta[t][e] = values[i]; i += 1 } }
    }

    /// softmax(α) of every edge of cell type `type`.
    public func probabilities(_ type: Int) -> [[Double]] { alpha[type].map(Softmax.forward) }

    /// PC-DARTS: softmax(β) over the incoming edges of each node; `inputs[i]` edges for node i.
    public func edgeWeights(_ type: Int, inputs: [Int]) -> [Double] {
        var out: [Double] = []
        var start = 0
        for n in inputs {
            out += Softmax.forward(Array(beta[type][start..<start + n]))
            start += n
        }
        return out
    }

    /// One Adam step `θ ← θ − lr·m̂/(√v̂ + ε)` with `g ← g + wd·θ` and bias correction.
    public mutating func adamStep(
        gradient: [Double], learningRate: Double, beta1: Double, beta2: Double, weightDecay: Double, epsilon: Double = 1e-8
    ) {
        var theta = flattened
        precondition(gradient.count == theta.count, "architecture gradient has \(gradient.count) entries for \(theta.count) weights")
        steps += 1
        let c1 = 1 - pow(beta1, Double(steps)), c2 = 1 - pow(beta2, Double(steps))
        for i in theta.indices {
            let g = gradient[i] + weightDecay * theta[i]
            firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g
            secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g
            theta[i] -= learningRate * (firstMoment[i] / c1) / ((secondMoment[i] / c2).squareRoot() + epsilon)
        }
        setFlattened(theta)
    }

    /// State for checkpoints: α, β and both moments, flattened, with the step count.
    public var state: (values: [Double], steps: Int) { (flattened + firstMoment + secondMoment, steps) }

    public mutating func restore(values: [Double], steps: Int) throws {
        let n = flattened.count
        try require(values.count == 3 * n, "architecture state has \(values.count) values, expected \(3 * n)")
        setFlattened(Array(values[0..<n]))
        firstMoment = Array(values[n..<2 * n])
        secondMoment = Array(values[2 * n..<3 * n])
        self.steps = steps
    }
}

/// Softmax and its vector-Jacobian product, on the host.
public enum Softmax {
    /// `p_k = exp(z_k − max z) / Σ_j exp(z_j − max z)`.
    public static func forward(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// `∂L/∂z_k = p_k·(g_k − Σ_j g_j p_j)` for `p = softmax(z)`, `g = ∂L/∂p`.
    public static func backward(probabilities p: [Double], gradient g: [Double]) -> [Double] {
        let dot = zip(p, g).reduce(0) { $0 + $1.0 * $1.1 }
        return zip(p, g).map { $0 * ($1 - dot) }
    }
}

/// GDAS' Gumbel-softmax sample of one edge: `h = softmax((log_softmax(α) + g)/τ)` with
/// `g = −log(E)`, `E ~ Exp(1)`; the forward uses the one-hot of `argmax h`, the backward the
/// gradient of h (straight-through: `hard = onehot − sg(h) + h`).
public struct GumbelSample: Equatable, Sendable {
    public let index: Int
    public let soft: [Double]
    public let temperature: Double

    /// Draws a sample, resampling while h has a non-finite entry (the official code's guard).
    public static func draw(logits alpha: [Double], temperature tau: Double, rng: inout SeededRandom) -> GumbelSample {
        let logProbabilities = LogSoftmax.forward(alpha)
        while true {
            let gumbel = alpha.indices.map { _ -> Double in
                let u = max(Double(rng.nextUnit()), 1e-12)
                return -log(-log(u))
            }
            let h = Softmax.forward(zip(logProbabilities, gumbel).map { ($0 + $1) / tau })
            if h.allSatisfy(\.isFinite) {
                var index = 0  // the first largest, as torch's argmax
                for k in h.indices where h[k] > h[index] { index = k }
                return GumbelSample(index: index, soft: h, temperature: tau)
            }
        }
    }

    /// The forward weights: one-hot at `index`.
    public var hard: [Double] { soft.indices.map { $0 == index ? 1 : 0 } }

    /// `∂L/∂α` from `∂L/∂hard` (= ∂L/∂h), through h's softmax, the 1/τ and the log-softmax.
    public func backward(_ gradientHard: [Double], logits alpha: [Double]) -> [Double] {
        let dz = Softmax.backward(probabilities: soft, gradient: gradientHard).map { $0 / temperature }
        return LogSoftmax.backward(logits: alpha, gradient: dz)
    }
}

/// Log-softmax and its vector-Jacobian product.
public enum LogSoftmax {
    public static func forward(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
        return z.map { $0 - lse }
    }

    /// `∂L/∂z_k = g_k − softmax(z)_k·Σ_j g_j`.
    public static func backward(logits z: [Double], gradient g: [Double]) -> [Double] {
        let p = Softmax.forward(z)
        let total = g.reduce(0, +)
        return zip(g, p).map { $0 - $1 * total }
    }
}
