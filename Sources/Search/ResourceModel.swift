import Foundation
import NN

/// Which resource a target constrains.
public enum ResourceKind: String, Sendable, Codable, CaseIterable {
    case macs, parameters
}

/// The network's MACs (or parameters) as a function of the kept counts of its units.
///
/// Per layer (see `ResourceCount`): conv `k²·C_in·C_out·H·W` (depthwise `k²·C·H·W`), batch norm
/// `C·H·W` MACs and `2C` parameters, linear `in·out` MACs and `in·out + out` parameters; a layer
/// in a gated block is multiplied by its gate. DMS evaluates it straight-through: the forward
/// value uses hard counts `#(m > 0.5)` and hard gates, the gradient is that of the soft sum
/// `Σ m` (so `∂C/∂m_i = 1`), giving `∂r/∂m_i = ∂r/∂C_unit`.
public struct ResourceModel: Sendable {
    public let space: SearchSpace
    public let kind: ResourceKind

    public init(space: SearchSpace, kind: ResourceKind) {
        self.space = space; self.kind = kind
    }

    /// One multiplicative term of the resource: `coefficient · Π factors`.
    struct Term {
        var coefficient: Double
        var widths: [UnitKey]
        var gate: (unit: UnitKey, index: Int)?
    }

    var terms: [Term] {
        var terms: [Term] = []
        func add(_ c: Double, _ sources: [ChannelSource], gate: (UnitKey, Int)?) {
            var coefficient = c, widths: [UnitKey] = []
            for source in sources {
                switch source {
                case .fixed(let n): coefficient *= Double(n)
                case .unit(let key): widths.append(key)
                }
            }
            terms.append(Term(coefficient: coefficient, widths: widths, gate: gate.map { (unit: $0.0, index: $0.1) }))
        }
        for layer in space.layers {
            let gate = layer.gate.map { ($0.unit, $0.index) }
            let hw = Double(layer.height * layer.width)
            switch (layer.layer.operation, kind) {
            case let (.conv(k, _, depthwise), .macs):
                add(Double(k * k) * hw, depthwise ? [layer.output] : [layer.input, layer.output], gate: gate)
            case let (.conv(k, _, depthwise), .parameters):
                add(Double(k * k), depthwise ? [layer.output] : [layer.input, layer.output], gate: gate)
            case (.batchNorm, .macs): add(hw, [layer.output], gate: gate)
            case (.batchNorm, .parameters): add(2, [layer.output], gate: gate)
            case (.linear, .macs): add(1, [layer.input, layer.output], gate: gate)
            case (.linear, .parameters):
                add(1, [layer.input, layer.output], gate: gate)
                add(1, [layer.output], gate: gate)
            }
        }
        return terms
    }

    /// The resource and its gradient with respect to every element of every unit's mask, given
    /// the kept count of each width unit and the hard gate values of each depth unit.
    public func evaluate(counts: [UnitKey: Double], gates: [UnitKey: [Double]]) -> (value: Double, gradient: [UnitKey: [Double]]) {
        var value = 0.0
        var gradient: [UnitKey: [Double]] = [:]
        for (key, size) in space.units { gradient[key] = [Double](repeating: 0, count: size) }
        var widthGradient: [UnitKey: Double] = [:]
        for term in terms {
            let gateValue = term.gate.map { gates[$0.unit]?[$0.index] ?? 1 } ?? 1
            let factors = term.widths.map { counts[$0] ?? 0 }
            let product = factors.reduce(term.coefficient, *)
            value += product * gateValue
            // Product rule over each width factor (a unit may appear twice, e.g. hidden→hidden).
            for (i, key) in term.widths.enumerated() {
                var others = term.coefficient * gateValue
                for (j, f) in factors.enumerated() where j != i { others *= f }
                widthGradient[key, default: 0] += others
            }
            if let gate = term.gate { gradient[gate.unit]?[gate.index] += product }
        }
        for (key, g) in widthGradient where !key.isDepth {
            gradient[key] = [Double](repeating: g, count: space.size(of: key))
        }
        return (value, gradient)
    }

    /// The resource of the full supernet (every element kept).
    public var full: Double {
        var counts: [UnitKey: Double] = [:], gates: [UnitKey: [Double]] = [:]
        for (key, size) in space.units {
            if key.isDepth { gates[key] = [Double](repeating: 1, count: size) } else { counts[key] = Double(size) }
        }
        return evaluate(counts: counts, gates: gates).value
    }

    /// Refuses a target outside `[minimum, full]`, with one line naming both bounds.
    public func checkReachable(_ target: Double) throws {
        let full = self.full, minimum = self.minimum
        guard target.isFinite, target >= minimum else {
            throw SearchError.unreachableTarget(
                "target \(ResourceCount.human(Int(target.isFinite ? target : 0))) \(kind.rawValue) is below the smallest network of this search space (\(ResourceCount.human(Int(minimum))): one channel per layer, one block per stage)"
            )
        }
        guard target <= full else {
            throw SearchError.unreachableTarget(
                "target \(ResourceCount.human(Int(target))) \(kind.rawValue) is above the supernet itself (\(ResourceCount.human(Int(full)))); nothing to search"
            )
        }
    }

    /// The smallest network the clamps of `a` allow: every unit at its minimum kept count
    /// (`SearchSpace.minimumKept`: one channel per width, one block per stage). A depth unit that
    /// must keep one block keeps its last; at one channel per layer every gated block costs the same.
    public var minimum: Double {
        var counts: [UnitKey: Double] = [:], gates: [UnitKey: [Double]] = [:]
        for (key, size) in space.units {
            let keep = space.minimumKept(of: key)
            if key.isDepth {
                gates[key] = (0..<size).map { $0 >= size - keep ? 1 : 0 }
            } else {
                counts[key] = Double(keep)
            }
        }
        return evaluate(counts: counts, gates: gates).value
    }
}

/// The "root" target schedule: with progress `p = step / (decayFraction · steps)` clipped to 1,
/// `r_t = full · (target/full)^p` — from the full supernet to the target, then held.
public struct TargetSchedule: Sendable, Equatable, Codable {
    public var full: Double
    public var target: Double
    public var totalSteps: Int
    public var decayFraction: Double

    public init(full: Double, target: Double, totalSteps: Int, decayFraction: Double = 0.6) {
        self.full = full; self.target = target; self.totalSteps = max(totalSteps, 1); self.decayFraction = decayFraction
    }

    /// Steps over which the target falls.
    var decaySpan: Double { max(decayFraction * Double(totalSteps), 1) }

    /// Whether the target has reached its final value at `step` (the decay phase is over).
    public func isHolding(at step: Int) -> Bool { Double(step) >= decaySpan }

    public func target(at step: Int) -> Double {
        let span = decaySpan
        let p = min(Double(step) / span, 1)
        return full * pow(target / full, p)
    }
}
