@testable import CellSearch
import Datasets
import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// ∂L/∂α through the search's own passes (the tape's gradient at the edge-weight leaves, then the
/// host softmax Jacobian), against central differences of the loss, on the OpenCL device (its ops
/// match the reference per tensor in EquivalenceTests; the reference is 20× slower at this size).
/// The network computes in Float, so each coordinate is compared with the quotients at two steps
/// and passes when either agrees within atol 3e-4 + rtol 3e-2 (Float rounding of a loss ≈ 1.4 is
/// ~1e-7/h; a ReLU kink inside [α − h, α + h] spoils one quotient, not both). The steps are small
/// (3e-3, 1e-3) and the batch is 16 images of 16×16: batch norm over 6 images of 2×2 maps made the
/// loss so curved in α that the quotients themselves were off by 10–50% at h = 1e-2.
@Suite struct ArchitectureGradientTests {
    func agrees(_ analytic: Double, _ quotients: [Double]) -> Bool {
        quotients.contains { abs($0 - analytic) <= 3e-4 + 3e-2 * abs(analytic) }
    }

    /// Sets α to `values` (every type, edge, op), keeping the optimizer state.
    func set(_ search: CellSearch, _ values: [Double]) {
        var a = search.architecture
        a.setFlattened(values)
        search.architecture = a
    }

    func validationLoss(_ search: CellSearch, _ batch: Batch) throws -> Double {
        var rng = SeededRandom(seed: 0)
        return try search.pass(batch, leaves: try search.leaves(gradient: false, rng: &rng, temperature: nil)).loss
    }

    @Test(arguments: [(CellMethod.darts, CellSpace.nb201), (.darts, .darts), (.pcdarts, .nb201)])
    func firstOrderGradientMatchesFiniteDifferences(_ method: CellMethod, _ space: CellSpace) throws {
        let search = try tinySearch(method, space: space, backend: try SharedBackends.requireOpenCL(), images: 32, imageSize: 16, batch: 16)
        var rng = SeededRandom(seed: 3)
        let alpha = rng.normal(search.architecture.flattened.count).map { Double($0) }
        set(search, alpha)
        let batch = search.validationLoader.batch(0, epoch: 0)
        var sampler = SeededRandom(seed: 0)
        let leaves = try search.leaves(gradient: true, rng: &sampler, temperature: nil)
        let analytic = try search.architectureGradient(leaves, on: search.pass(batch, leaves: leaves).tape)
        #expect(analytic.count == alpha.count)
        #expect(analytic.contains { abs($0) > 1e-3 }, "the gradient is too small for the check to mean anything")
        // Every coordinate of the first edge rows, and of β for PC-DARTS, plus a spread of the rest.
        let k = space.operations.count
        var picked = Array(0..<(2 * k)) + stride(from: 2 * k, to: alpha.count, by: 7).map { $0 }
        if method == .pcdarts { picked += Array((alpha.count - search.network.edgesPerCell)..<alpha.count) }
        for i in Set(picked).sorted() {
            let quotients = try [3e-3, 1e-3].map { h -> Double in
                var plus = alpha, minus = alpha
                plus[i] += h; minus[i] -= h
                set(search, plus)
                let lp = try validationLoss(search, batch)
                set(search, minus)
                let lm = try validationLoss(search, batch)
                return (lp - lm) / (2 * h)
            }
            #expect(agrees(analytic[i], quotients), "∂L/∂α[\(i)] of \(alpha.count): analytic \(analytic[i]), numeric \(quotients)")
        }
        set(search, alpha)
    }

    /// DARTS' second-order g_α = ∇_α L_val(w′) − ξ·H, H the Hessian-vector product ∇²_{α,w} L_tr·v with
    /// v = ∇_{w′} L_val. A central difference of the unrolled objective itself is useless here (the
    /// w-gradient of a ReLU network jumps where an activation changes sign, so the quotients do not
    /// converge), so each piece is rebuilt here from the public definition: w′ from the w-optimizer's
    /// state, v, ε = 0.01/‖v‖, H as (∇_α L_tr(w + εv) − ∇_α L_tr(w − εv))/(2ε) (a wrong scale — the
    /// `(p − n)/2.*eps` bug of antoyang/NAS-Benchmark#4 — or sign shows as a mismatch); ξ → 0 gives
    /// the first-order gradient; and w is left exactly as it was. (The same quotient with a 3× larger
    /// step differs by up to 3× on this network: H of a ReLU network is itself kinked.)
    @Test func secondOrderGradientComposesTheUnrolledPieces() throws {
        let search = try tinySearch(
            .darts2, space: .nb201, backend: try SharedBackends.requireOpenCL(), images: 32, imageSize: 16, batch: 16)
        var rng = SeededRandom(seed: 4)
        set(search, rng.normal(search.architecture.flattened.count).map { Double($0) })
        try search.weightStep(search.trainLoader.batch(1, epoch: 0), rng: &rng, temperature: nil)  // a nonzero momentum buffer
        let train = search.trainLoader.batch(0, epoch: 0), validation = search.validationLoader.batch(0, epoch: 0)
        let backend = search.backend, parameters = search.network.parameters
        let before = try parameters.map { try backend.download($0.value) }
        let xi: Float = 0.05
        let (analytic, _) = try search.unrolledArchitectureGradient(train: train, validation: validation, rate: xi)
        #expect(try parameters.map { try backend.download($0.value) } == before, "w was not restored")

        func alphaGradient(_ batch: Batch) throws -> (gradient: [Double], tape: Tape) {
            var r = SeededRandom(seed: 0)
            let leaves = try search.leaves(gradient: true, rng: &r, temperature: nil)
            let tape = try search.pass(batch, leaves: leaves).tape
            return (try search.architectureGradient(leaves, on: tape), tape)
        }
        func setWeights(_ values: [[Float]]) throws {
            for (p, v) in zip(parameters, values) { try backend.copy(try backend.upload(v, shape: p.shape), into: p.value) }
        }
        // w′ = w − ξ(∇_w L_tr + wd·w + μ·m), then ∇_α L_val(w′) and v.
        let trainTape = try alphaGradient(train).tape
        var unrolled = before
        for (k, p) in parameters.enumerated() {
            let g = try trainTape.gradient(of: p).map { try backend.download($0) } ?? [Float](repeating: 0, count: p.value.count)
            let m =
                try search.weightOptimizer.velocity(of: p).map { try backend.download($0) } ?? [Float](repeating: 0, count: p.value.count)
            for i in unrolled[k].indices {
                unrolled[k][i] -= xi * (g[i] + search.configuration.weightDecay * before[k][i] + search.configuration.momentum * m[i])
            }
        }
        try setWeights(unrolled)
        let (validationGradient, validationTape) = try alphaGradient(validation)
        let v = try parameters.map { p in
            try validationTape.gradient(of: p).map { try backend.download($0) } ?? [Float](repeating: 0, count: p.value.count)
        }
        let norm = v.flatMap { $0 }.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let delta = 0.01 / norm
        func shifted(_ sign: Double) throws -> [Double] {
            try setWeights(zip(before, v).map { w, d in zip(w, d).map { $0 + Float(sign * delta) * $1 } })
            return try alphaGradient(train).gradient
        }
        let hvp = zip(try shifted(1), try shifted(-1)).map { ($0 - $1) / (2 * delta) }
        try setWeights(before)
        var checked = 0
        for i in analytic.indices {
            let expected = validationGradient[i] - Double(xi) * hvp[i]
            let term = Double(xi) * hvp[i]
            guard abs(term) > 1e-3 else { continue }
            checked += 1
            #expect(
                abs(analytic[i] - expected) <= 1e-4 + 0.02 * abs(term),
                "g_α[\(i)]: \(analytic[i]), expected \(expected) (∇_α L_val(w′) \(validationGradient[i]), ξ·H \(term))")
        }
        #expect(checked >= 5, "only \(checked) coordinates have a second-order term large enough to check")
        // ξ → 0: the first-order gradient at w.
        let (tiny, _) = try search.unrolledArchitectureGradient(train: train, validation: validation, rate: 1e-7)
        let first = try alphaGradient(validation).gradient
        for i in first.indices { #expect(abs(tiny[i] - first[i]) <= 1e-4 + 1e-2 * abs(first[i]), "ξ → 0, g_α[\(i)]") }
    }

    /// GDAS: an edge runs only its sampled operation (the output equals that module's exactly), and
    /// one α-step moves every α (the zero-valued weights of the unsampled operations carry Σ dy).
    @Test func gdasForwardIsOneHotAndEveryAlphaMoves() throws {
        let search = try tinySearch(.gdas, space: .nb201)
        let tape = Tape(backend: search.backend, training: true)
        let net = try #require(search.network as? NB201Network)
        guard case .cell(let edges) = net.body[0] else { Issue.record("the first stage is not a cell"); return }
        var rng = SeededRandom(seed: 1)
        let x = tape.constant(try search.backend.upload(rng.normal(2 * 4 * 8 * 8), shape: [2, 4, 8, 8]))
        for index in 0..<5 {
            let hard = Variable(try search.backend.upload((0..<5).map { Float($0 == index ? 1 : 0) }, shape: [5]), requiresGradient: true)
            let y = try edges[2].forward(x, on: tape, mix: .hard(HardChoice(index: index, weights: hard)))
            let expected = try edges[2].modules[index].forward(x, on: tape)
            #expect(try search.backend.download(y.value) == search.backend.download(expected.value), "operation \(index)")
        }
        let before = search.architecture.alpha[0]
        var sampler = SeededRandom(seed: 2)
        _ = try search.architectureStep(search.validationLoader.batch(0, epoch: 0), rng: &sampler, temperature: 10)
        for (e, (a, b)) in zip(search.architecture.alpha[0], before).enumerated() {
            #expect(zip(a, b).allSatisfy { $0 != $1 }, "edge \(e): some α did not move")
        }
    }
}
