import Datasets
import Foundation
import NN
import TensorCore

extension CellSearch {
    /// DARTS' second-order α-step (quark0/darts `architect.py`), with ξ the current w rate:
    ///   w′ = w − ξ(∇_w L_tr(w, α) + wd·w + μ·m)   (m: the w-optimizer's momentum buffer)
    ///   v = ∇_{w′} L_val(w′, α);  ε = 0.01/‖v‖₂;  w± = w ± ε·v
    ///   g_α = ∇_α L_val(w′, α) − ξ·[∇_α L_tr(w⁺, α) − ∇_α L_tr(w⁻, α)]/(2ε)
    /// then one Adam step. w is restored exactly (from copies) before the w-step.
    func unrolledArchitectureStep(train: Batch, validation: Batch, rate: Float) throws -> Double {
        let (gradient, loss) = try unrolledArchitectureGradient(train: train, validation: validation, rate: rate)
        try applyArchitectureGradient(gradient)
        return loss
    }

    /// The unrolled `g_α` above and the validation loss at w′; leaves w as it was.
    func unrolledArchitectureGradient(train: Batch, validation: Batch, rate: Float) throws -> (gradient: [Double], loss: Double) {
        var rng = SeededRandom(seed: 0)  // soft weights only: no sampling
        let parameters = network.parameters
        let originals = try parameters.map { p -> Tensor in
            let copy = try backend.zeros(p.shape)
            try backend.copy(p.value, into: copy)
            return copy
        }
        func restore() throws { for (p, o) in zip(parameters, originals) { try backend.copy(o, into: p.value) } }

        // ∇_w L_tr(w, α), then w ← w′.
        let constantLeaves = try leaves(gradient: false, rng: &rng, temperature: nil)
        let trainPass = try pass(train, leaves: constantLeaves)
        for p in parameters {
            let direction = try backend.zeros(p.shape)
            if let g = trainPass.tape.gradient(of: p) { try backend.axpy(1, g, into: direction) }
            try backend.axpy(configuration.weightDecay, p.value, into: direction)
            if let m = weightOptimizer.velocity(of: p) { try backend.axpy(configuration.momentum, m, into: direction) }
            try backend.axpy(-rate, direction, into: p.value)
        }
        // At w′: ∇_α L_val and v = ∇_{w′} L_val.
        let validationLeaves = try leaves(gradient: true, rng: &rng, temperature: nil)
        let validationPass = try pass(validation, leaves: validationLeaves)
        let validationGradient = try architectureGradient(validationLeaves, on: validationPass.tape)
        let v = try parameters.map { p in try validationPass.tape.gradient(of: p) ?? backend.zeros(p.shape) }
        let norm = try globalNorm(v)
        guard norm > 0 && norm.isFinite else {
            try restore()
            return (validationGradient, validationPass.loss)
        }
        let epsilon = 0.01 / norm
        // The finite-difference Hessian-vector product at w ± εv.
        func trainingArchitectureGradient(at sign: Float) throws -> [Double] {
            try restore()
            for (p, d) in zip(parameters, v) { try backend.axpy(sign * Float(epsilon), d, into: p.value) }
            let leaves = try leaves(gradient: true, rng: &rng, temperature: nil)
            let result = try pass(train, leaves: leaves)
            return try architectureGradient(leaves, on: result.tape)
        }
        let plus = try trainingArchitectureGradient(at: 1)
        let minus = try trainingArchitectureGradient(at: -1)
        try restore()
        let xi = Double(rate)
        let gradient = (0..<validationGradient.count).map { validationGradient[$0] - xi * (plus[$0] - minus[$0]) / (2 * epsilon) }
        return (gradient, validationPass.loss)
    }
}
