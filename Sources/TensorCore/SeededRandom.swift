/// SplitMix64: a tiny, fast, reproducible generator. Same seed, same numbers, on every
/// platform — which `SystemRandomNumberGenerator` does not promise.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextUnit() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// `count` values uniform in `range`.
    public mutating func uniform(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * nextUnit() }
    }

    /// `count` integers in `range`, as Float: products and sums of these are exact in Float32
    /// as long as the results stay below 2²⁴, so device and reference must agree exactly.
    public mutating func integers(_ count: Int, in range: ClosedRange<Int> = -3...3) -> [Float] {
        (0..<count).map { _ in Float(Int.random(in: range, using: &self)) }
    }

    /// Standard normal samples (Box–Muller).
    public mutating func normal(_ count: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        (0..<count).map { _ in
            let u1 = max(Double(nextUnit()), 1e-12), u2 = Double(nextUnit())
            return mean + std * Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
