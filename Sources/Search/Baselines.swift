import NN
import TensorCore

extension ResourceKind {
    /// This resource of an architecture (MACs per image or parameters), by `Architecture.resources`.
    public func value(of a: Architecture) -> Double {
        let r = a.resources
        return Double(self == .macs ? r.macs : r.parameters)
    }
}

/// The base family with every width multiplied by one factor, chosen so its resource is as close
/// as possible to a value: bisection on the factor, then the closest step within ±4% of it.
public enum UniformScaling {
    public static func matching(_ base: Architecture, resource: ResourceKind, value: Double) -> Architecture {
        func measure(_ f: Double) -> Double { resource.value(of: base.scaled(width: f)) }
        var lo = 0.01, hi = 4.0
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if measure(mid) < value { lo = mid } else { hi = mid }
        }
        // Widths are whole channels, so the resource is a step function of the factor: scan the
        // neighbourhood of the bracket for the step closest to the value.
        var best = abs(measure(lo) - value) <= abs(measure(hi) - value) ? lo : hi
        for i in -200...200 {
            let f = lo * (1 + Double(i) * 2e-4)
            if abs(measure(f) - value) < abs(measure(best) - value) { best = f }
        }
        var scaled = base.scaled(width: best)
        scaled.notes["width-multiplier"] = String(format: "%.3f", best)
        return scaled
    }
}

/// Random search's baseline at equal budget: an architecture drawn from the same search space at
/// (nearly) the same resource.
///
/// A draw picks each stage's number of gated blocks uniformly from the range the space allows
/// (`minimumKept…N`), and for every width unit a relative size `u ~ U(0, 1]`; one common factor
/// `t` (bisection) then sets each width to `clamp(round(t·u·N), 1, N)` so the resource lands on
/// the value. A draw that cannot get within `tolerance` is discarded and redrawn (at most
/// `maxDraws` times). The result depends only on the seed.
public enum RandomArchitecture {
    public static func sample(
        from space: SearchSpace, resource: ResourceKind, value: Double, tolerance: Double = 0.02,
        seed: UInt64, maxDraws: Int = 200
    ) throws -> Architecture {
        var rng = SeededRandom(seed: seed ^ 0x5241_4E44_4F4D)  // "RANDOM": independent of the training stream
        for _ in 0..<maxDraws {
            var blocks: [Int: [Int]] = [:]
            var relative: [UnitKey: Double] = [:]
            for (key, size) in space.units {
                if case .depth(let s) = key, let gated = space.depthBlocks[s] {
                    let low = space.minimumKept(of: key)
                    let count = low + Int(rng.next() % UInt64(size - low + 1))
                    let all = space.architecture.stages[s].blocks.indices
                    let removed = Set(gated.suffix(size - count))
                    blocks[s] = all.filter { !removed.contains($0) }
                } else {
                    relative[key] = Double(max(rng.nextUnit(), 1e-3))
                }
            }
            func build(_ t: Double) throws -> Architecture {
                var widths: [UnitKey: Int] = [:]
                for (key, u) in relative {
                    let n = space.size(of: key)
                    widths[key] = min(max(Int((t * u * Double(n)).rounded()), 1), n)
                }
                return try space.architecture(widths: widths, blocks: blocks)
            }
            var lo = 0.0, hi = 1.0 / relative.values.min()!
            guard resource.value(of: try build(hi)) >= value * (1 - tolerance) else { continue }
            for _ in 0..<50 {
                let mid = (lo + hi) / 2
                if resource.value(of: try build(mid)) < value { lo = mid } else { hi = mid }
            }
            for t in [hi, lo] {
                var a = try build(t)
                if abs(resource.value(of: a) - value) <= tolerance * value {
                    a.notes["name"] = "random-\(space.architecture.notes["name"] ?? space.architecture.family.rawValue)"
                    a.notes["sampled-by"] = "random"
                    return a
                }
            }
        }
        throw SearchError.invalid(
            "random baseline: no architecture of the search space within ±\(Int(tolerance * 100))% of \(ResourceCount.human(Int(value))) \(resource.rawValue) in \(maxDraws) draws"
        )
    }
}
