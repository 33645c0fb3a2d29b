import TensorCore

/// Reverse-mode automatic differentiation by recording.
///
/// Every operation run through a tape (see `Tape+Operations.swift`) computes its result on the
/// tape's backend and, when any input requires a gradient, records a closure mapping the
/// output's gradient to its inputs' gradients. `backward(from:)` replays the records in
/// reverse, summing gradients where a variable was used more than once (residual additions,
/// shared masks, parameters used twice). A tape is used for one forward/backward pass.
public final class Tape {
    public let backend: any Backend
    /// Training mode: batch norm uses batch statistics and updates running statistics, and
    /// operations are recorded for `backward`. An evaluation tape (false) records nothing.
    public let training: Bool

    struct Record {
        let inputs: [Variable]
        let output: Variable
        /// Given ∂L/∂output and which inputs need a gradient, returns ∂L/∂input for each input
        /// (nil where not needed).
        let backward: (Tensor, [Bool]) throws -> [Tensor?]
    }

    private var records: [Record] = []
    private var gradients: [ObjectIdentifier: Tensor] = [:]

    public init(backend: any Backend, training: Bool) {
        self.backend = backend
        self.training = training
    }

    /// A constant (no gradient) variable holding `tensor`.
    public func constant(_ tensor: Tensor) -> Variable { Variable(tensor) }

    /// Records `output = f(inputs)` with its backward closure, when any input needs a gradient.
    /// Returns the output variable.
    func record(_ value: Tensor, inputs: [Variable], backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) -> Variable {
        let needs = training && inputs.contains { $0.requiresGradient }
        let output = Variable(value, requiresGradient: needs)
        if needs { records.append(Record(inputs: inputs, output: output, backward: backward)) }
        return output
    }

    /// Back-propagates from `root` with seed gradient `seed` (default: ones of root's shape).
    public func backward(from root: Variable, seed: Tensor? = nil) throws {
        guard root.requiresGradient else { return }
        let start = try seed ?? backend.upload([Float](repeating: 1, count: root.value.count), shape: root.shape)
        try accumulate(start, into: root)
        for record in records.reversed() {
            let id = ObjectIdentifier(record.output)
            guard let outputGradient = gradients[id] else { continue }
            let needs = record.inputs.map(\.requiresGradient)
            let inputGradients = try record.backward(outputGradient, needs)
            precondition(
                inputGradients.count == record.inputs.count,
                "backward returned \(inputGradients.count) gradients for \(record.inputs.count) inputs")
            for (input, gradient) in zip(record.inputs, inputGradients) where input.requiresGradient {
                guard let gradient else { continue }
                try accumulate(gradient, into: input)
            }
            if !record.output.retainsGradient { gradients[id] = nil }
        }
        records.removeAll()
    }

    /// Adds to a variable's gradient, allocating a fresh sum so no tensor is ever shared.
    private func accumulate(_ gradient: Tensor, into variable: Variable) throws {
        try require(
            gradient.count == variable.value.count,
            "autograd: gradient of shape \(gradient.shape) for a variable of shape \(variable.shape)")
        let id = ObjectIdentifier(variable)
        let shaped = gradient.shape == variable.shape ? gradient : try gradient.reshaped(variable.shape)
        if let existing = gradients[id] {
            gradients[id] = try backend.add(existing, shaped)
        } else {
            gradients[id] = shaped
        }
    }

    /// ∂L/∂variable after `backward`, or nil when nothing flowed to it.
    public func gradient(of variable: Variable) -> Tensor? { gradients[ObjectIdentifier(variable)] }

    /// Number of recorded operations waiting for `backward`.
    public var recordCount: Int { records.count }
}
