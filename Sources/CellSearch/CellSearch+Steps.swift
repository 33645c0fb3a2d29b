import Datasets
import Foundation
import NN
import TensorCore

/// The leaf variables one forward pass feeds its edges, kept to read ∂L/∂(edge weights) back.
struct ArchitectureLeaves {
    /// `soft[type][edge]`: softmax(α) rows (DARTS, PC-DARTS) or hard one-hot rows (GDAS).
    var rows: [[Variable]] = []
    /// GDAS' samples behind the hard rows.
    var samples: [[GumbelSample]] = []
    /// PC-DARTS' edge-normalization weights per type.
    var edgeWeights: [Variable] = []
    var mixing: EdgeMixing = .fixed
}

extension CellSearch {
    /// The edge weights of one pass. With `gradient`, the leaves require a gradient (α-steps).
    func leaves(gradient: Bool, rng: inout SeededRandom, temperature: Double?) throws -> ArchitectureLeaves {
        var leaves = ArchitectureLeaves()
        func leaf(_ values: [Double]) throws -> Variable {
            Variable(
                try backend.upload(values.map(Float.init), shape: [values.count]), requiresGradient: gradient, retainsGradient: gradient)
        }
        for type in 0..<cellTypes {
            if let temperature {
                // One sample per edge, shared by every cell of the type.
                let samples = architecture.alpha[type].map { GumbelSample.draw(logits: $0, temperature: temperature, rng: &rng) }
                leaves.samples.append(samples)
                leaves.rows.append(try samples.map { try leaf($0.hard) })
            } else {
                leaves.rows.append(try architecture.probabilities(type).map { try leaf($0) })
            }
            if configuration.method == .pcdarts { leaves.edgeWeights.append(try leaf(architecture.edgeWeights(type, inputs: nodeInputs))) }
        }
        let reduce = cellTypes > 1 ? leaves.rows[1] : []
        if temperature != nil {
            let choices = zip(leaves.samples, leaves.rows).map { samples, rows in
                zip(samples, rows).map { HardChoice(index: $0.index, weights: $1) }
            }
            leaves.mixing = .hard(normal: choices[0], reduce: cellTypes > 1 ? choices[1] : [])
        } else if configuration.method == .pcdarts {
            leaves.mixing = .softNormalized(
                normal: leaves.rows[0], reduce: reduce, edgeNormal: leaves.edgeWeights[0],
                edgeReduce: cellTypes > 1 ? leaves.edgeWeights[1] : nil)
        } else {
            leaves.mixing = .soft(normal: leaves.rows[0], reduce: reduce)
        }
        return leaves
    }

    /// ∂L/∂α (then ∂L/∂β), flattened as `ArchitectureWeights.flattened`, from the leaves' gradients.
    func architectureGradient(_ leaves: ArchitectureLeaves, on tape: Tape) throws -> [Double] {
        var alpha: [Double] = [], beta: [Double] = []
        for type in 0..<cellTypes {
            for (e, row) in leaves.rows[type].enumerated() {
                let g =
                    try tape.gradient(of: row).map { try backend.download($0).map(Double.init) }
                    ?? [Double](repeating: 0, count: row.value.count)
                let logits = architecture.alpha[type][e]
                if leaves.samples.isEmpty {
                    alpha += Softmax.backward(probabilities: Softmax.forward(logits), gradient: g)
                } else {
                    alpha += leaves.samples[type][e].backward(g, logits: logits)
                }
            }
            if configuration.method == .pcdarts {
                let w = leaves.edgeWeights[type]
                let g =
                    try tape.gradient(of: w).map { try backend.download($0).map(Double.init) }
                    ?? [Double](repeating: 0, count: w.value.count)
                var start = 0
                for n in nodeInputs {
                    let logits = Array(architecture.beta[type][start..<start + n])
                    beta += Softmax.backward(probabilities: Softmax.forward(logits), gradient: Array(g[start..<start + n]))
                    start += n
                }
            }
        }
        return alpha + beta
    }

    /// Forward and backward of the mean cross-entropy on `batch`.
    func pass(_ batch: Batch, leaves: ArchitectureLeaves) throws -> (tape: Tape, loss: Double, correct: Int) {
        let tape = Tape(backend: backend, training: true)
        let x = try backend.upload(batch.images, shape: batch.shape)
        let labels = try backend.upload(batch.labels, shape: [batch.count])
        let logits = try network.forward(tape.constant(x), on: tape, mixing: leaves.mixing)
        let (loss, _) = try tape.softmaxCrossEntropy(logits, labels: labels)
        let value = Double(try backend.download(loss.value)[0])
        guard value.isFinite else { throw CellSearchError.nonFiniteLoss(step: step, value: value) }
        try tape.backward(from: loss)
        let predictions = try backend.download(backend.argmax(logits.value))
        return (tape, value, zip(predictions, batch.labels).filter { $0 == $1 }.count)
    }

    /// The w-step: SGD on the training batch with the gradient norm clipped to `gradientClip`.
    func weightStep(_ batch: Batch, rng: inout SeededRandom, temperature: Double?) throws -> (loss: Double, correct: Int) {
        let leaves = try leaves(gradient: false, rng: &rng, temperature: temperature)
        let result = try pass(batch, leaves: leaves)
        var gradients = network.parameters.compactMap { p in result.tape.gradient(of: p).map { (p, $0) } }
        gradients = try clipped(gradients, maxNorm: configuration.gradientClip)
        try weightOptimizer.step(gradients)
        return (result.loss, result.correct)
    }

    /// `torch.nn.utils.clip_grad_norm_`: scale every gradient by `max/(‖g‖ + 1e-6)` when that is below 1.
    func clipped(_ gradients: [(Parameter, Tensor)], maxNorm: Float) throws -> [(Parameter, Tensor)] {
        let norm = try globalNorm(gradients.map(\.1))
        let coefficient = Double(maxNorm) / (norm + 1e-6)
        guard coefficient < 1 else { return gradients }
        return try gradients.map { ($0.0, try backend.scale($0.1, by: Float(coefficient))) }
    }

    /// `sqrt(Σ_tensors Σ g²)` in double.
    func globalNorm(_ tensors: [Tensor]) throws -> Double {
        var total = 0.0
        for t in tensors {
            let squares = try backend.sum(backend.multiply(t, t), axes: Array(0..<t.rank))
            total += Double(try backend.download(squares)[0])
        }
        return total.squareRoot()
    }

    /// The first-order α-step (DARTS, PC-DARTS, GDAS): `g_α = ∇_α L_val(w, α)`, one Adam step.
    func architectureStep(_ batch: Batch, rng: inout SeededRandom, temperature: Double?) throws -> Double {
        let leaves = try leaves(gradient: true, rng: &rng, temperature: temperature)
        let result = try pass(batch, leaves: leaves)
        try applyArchitectureGradient(try architectureGradient(leaves, on: result.tape))
        return result.loss
    }

    func applyArchitectureGradient(_ gradient: [Double]) throws {
        guard gradient.allSatisfy(\.isFinite) else { throw CellSearchError.nonFiniteArchitectureGradient(step: step) }
        architecture.adamStep(
            gradient: gradient, learningRate: configuration.architectureLearningRate, beta1: configuration.architectureBeta1,
            beta2: configuration.architectureBeta2, weightDecay: configuration.architectureWeightDecay)
    }
}

/// Why a cell search stopped.
public enum CellSearchError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(step: Int, value: Double)
    case nonFiniteArchitectureGradient(step: Int)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, value): "the loss became \(value) at step \(step + 1); lower the learning rates"
        case let .nonFiniteArchitectureGradient(step): "the architecture gradient became non-finite at step \(step + 1)"
        }
    }
}
