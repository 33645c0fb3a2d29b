import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Whole small networks (conv → BN → ReLU → residual → pool → linear → loss) differentiated by
/// the tape, against central finite differences of the loss on the reference backend.
///
/// The reference computes in Float32, so the loss is recomputed in Double on the host from the
/// logits, and steps are small. A ReLU kink inside [p − ε, p + ε] makes that quotient wrong
/// (not the gradient), so each coordinate is compared with the quotients at ε = 3e-4 and 1e-4
/// and passes when either agrees within atol 1e-3 + rtol 3e-2 — which covers Float32 rounding
/// of the logits (~1e-7·|z|/ε) and the O(ε²) truncation. Each operation's own gradient is
/// checked tightly in Double in ReferenceBackendTests; this test proves the tape composes them.
@Suite struct NetworkGradientTests {
    static func loss(
        _ network: Network, _ x: Tensor, _ labels: Tensor, masks: (Tape) throws -> NetworkMasks = { _ in NetworkMasks() }
    ) throws -> (Tape, Variable) {
        let tape = Tape(backend: network.backend, training: true)
        let logits = try network.forward(tape.constant(x), on: tape, masks: try masks(tape))
        return (tape, try tape.softmaxCrossEntropy(logits, labels: labels).loss)
    }

    /// Mean cross-entropy evaluated in Double from the network's Float32 logits.
    static func doubleLoss(_ network: Network, _ x: Tensor, _ labels: Tensor) throws -> Double {
        let tape = Tape(backend: network.backend, training: true)
        let logits = try network.forward(tape.constant(x), on: tape)
        let z = try network.backend.download(logits.value).map(Double.init)
        let y = try network.backend.download(labels).map { Int($0) }
        let k = logits.shape[1]
        var total = 0.0
        for n in 0..<y.count {
            let row = z[n * k..<(n + 1) * k]
            let m = row.max()!
            total += m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[n * k + y[n]]
        }
        return total / Double(y.count)
    }

    static func check(_ architecture: Architecture, batch: Int, seed: UInt64, coordinates: Int = 6, everyNthParameter: Int = 1) throws {
        let backend = ReferenceBackend()
        let network = try Network(architecture, backend: backend, seed: seed)
        var rng = SeededRandom(seed: seed + 1)
        let input = architecture.input
        let x = try backend.upload(
            rng.uniform(batch * input.channels * input.height * input.width),
            shape: [batch, input.channels, input.height, input.width])
        let labels = try backend.upload((0..<batch).map { Float($0 % architecture.classes) }, shape: [batch])
        let (tape, loss) = try loss(network, x, labels)
        try tape.backward(from: loss)
        for (index, parameter) in network.parameters.enumerated() where index % everyNthParameter == 0 {
            let analytic = try backend.download(try #require(tape.gradient(of: parameter), "no gradient for \(parameter.name)"))
            var values = try backend.download(parameter.value)
            var numeric: [Double] = [], picked: [Double] = []
            for _ in 0..<min(coordinates, values.count) {
                let i = Int(rng.next() % UInt64(values.count))
                let original = values[i]
                var quotients: [Double] = []
                for epsilon: Float in [3e-4, 1e-4] {
                    values[i] = original + epsilon
                    try backend.copy(backend.upload(values, shape: parameter.shape), into: parameter.value)
                    let plus = try Self.doubleLoss(network, x, labels)
                    values[i] = original - epsilon
                    try backend.copy(backend.upload(values, shape: parameter.shape), into: parameter.value)
                    let minus = try Self.doubleLoss(network, x, labels)
                    values[i] = original
                    try backend.copy(backend.upload(values, shape: parameter.shape), into: parameter.value)
                    quotients.append((plus - minus) / (2 * Double(epsilon)))
                }
                let a = Double(analytic[i])
                numeric.append(quotients.min { abs($0 - a) < abs($1 - a) }!)
                picked.append(a)
            }
            assertClose(picked, numeric, atol: 1e-3, rtol: 3e-2, "∂L/∂\(parameter.name)")
        }
    }

    @Test func residualConvNetwork() throws {
        // Two stages: an identity block and a strided block with a projection shortcut.
        var a = Architecture.cifarResNet(depth: 8, baseWidth: 3, input: .init(channels: 2, height: 6, width: 5), classes: 3)
        a.stages = [a.stages[0], a.stages[1]]
        try Self.check(a, batch: 3, seed: 11)
    }

    @Test func bottleneckAndDepthwiseNetworks() throws {
        var bottleneck = Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 5, width: 5), classes: 2)
        bottleneck.block = .bottleneck
        bottleneck.stages = [bottleneck.stages[0]]
        try Self.check(bottleneck, batch: 4, seed: 5)
        var mobile = Architecture.smallMobileNetV2(widthMultiplier: 0.25, input: .init(channels: 1, height: 8, width: 8), classes: 3)
        mobile.stages = Array(mobile.stages.prefix(2))
        try Self.check(mobile, batch: 8, seed: 6, coordinates: 2, everyNthParameter: 3)
    }

    @Test func mlp() throws {
        try Self.check(.mlp(hidden: [7, 5], input: .init(channels: 1, height: 3, width: 3), classes: 4), batch: 5, seed: 2)
    }

    /// A parameter used twice and a mask shared by two places receive the sum of both paths.
    @Test func sharedVariablesAccumulate() throws {
        let backend = ReferenceBackend()
        let tape = Tape(backend: backend, training: true)
        let w = Parameter(try backend.upload([2, -3], shape: [2]), name: "w")
        let x = tape.constant(try backend.upload([1, 2, 3, 4], shape: [2, 2]))
        let once = try tape.channelMask(x, mask: w)  // [[2,-6],[6,-12]] per column: x[n,c]·w[c]
        let twice = try tape.channelMask(once, mask: w)  // x·w²
        let y = try tape.add(twice, once)  // x·(w² + w)
        try tape.backward(from: y)
        // ∂/∂w_c Σ_n x[n,c](w_c² + w_c) = Σ_n x[n,c]·(2w_c + 1)
        #expect(try backend.download(try #require(tape.gradient(of: w))) == [(1 + 3) * 5, (2 + 4) * -5])
    }
}
