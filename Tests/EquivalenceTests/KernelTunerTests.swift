import Foundation
import OpenCLBackend
import TensorCore
import Testing
import _TestSupport

/// `KernelTuner` and the backend's use of its result: tunables reach the launched kernels'
/// `-D` defines, a small real search chooses a verified candidate for every slot, and wrong
/// or unlaunchable candidates are discarded. Checks choices and correctness, never times.
@Suite("Kernel tuner", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct KernelTunerTests {
    /// Non-default values for every slot.
    static let injected: KernelTunables = {
        var t = KernelTunables.defaults
        t.registerTile = .init(rows: 4, vectors: 1)
        t.shortRegisterTile = .init(rows: 8, vectors: 2, lanes: 16)
        t.localTile = .init(tileM: 32, tileN: 32, tileK: 16, workM: 2, workN: 2)
        t.directOutputChannels = 4
        t.narrowDirectOutputChannels = 2
        t.directVectors = 2
        t.weightGradientBlock = .init(outputChannels: 2, taps: 2)
        t.narrowWeightGradientBlock = .init(outputChannels: 4, taps: 1)
        return t
    }()

    /// The defines of the last launch of `kernel` after `body` runs on `backend`.
    static func defines(of kernel: String, on backend: OpenCLBackend, _ body: () throws -> Void) rethrows -> LaunchTrace.Launch? {
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        try body()
        return trace.launches(of: kernel).last
    }

    /// `[m, 24] = [m, 40]·[40, 24]` on `backend`.
    static func product(_ backend: OpenCLBackend, m: Int) throws {
        try backend.gemm(
            backend.zeros([m, 40]), backend.zeros([40, 24]), into: backend.zeros([m, 24]),
            transposeA: false, transposeB: false, alpha: 1, beta: 0)
    }

    @Test func injectedTunablesReachTheLaunchedKernels() throws {
        let device = try SharedBackends.requireOpenCL().device
        let backend = try OpenCLBackend(device: device, tuning: .fixed(Self.injected))
        #expect(backend.tuning.origin == .fixed && backend.tuning.tunables == Self.injected)

        backend.gemmVariantOverride = .registerBlocked
        let wide = try Self.defines(of: "gemm_regblock", on: backend) { try Self.product(backend, m: 93) }
        #expect(wide?.defines["TM"] == "4" && wide?.defines["NV"] == "1" && wide?.defines["VW"] == "8", "\(String(describing: wide))")
        #expect(wide?.global == [3, 24, 1], "\(String(describing: wide))")
        // 8 × 32 tiles (two vectors of 16 lanes): one work-item covers the 7 × 24 product.
        let short = try Self.defines(of: "gemm_regblock", on: backend) { try Self.product(backend, m: 7) }
        #expect(short?.defines["TM"] == "8" && short?.defines["NV"] == "2" && short?.defines["VW"] == "16", "\(String(describing: short))")
        #expect(short?.global == [1, 1, 1], "\(String(describing: short))")

        backend.gemmVariantOverride = .localTiles
        let tiled = try Self.defines(of: "gemm_local_tiles", on: backend) { try Self.product(backend, m: 93) }
        #expect(tiled?.defines["TS_M"] == "32" && tiled?.defines["TS_N"] == "32" && tiled?.defines["TS_K"] == "16")
        #expect(tiled?.defines["WPT_M"] == "2" && tiled?.defines["WPT_N"] == "2" && tiled?.local == [16, 16, 1])

        backend.convolutionAlgorithmOverride = .direct
        // The padded copy and conv_direct.cl's kernels, whose blocks are tuned (conv_rows.cl's row
        // kernels, which would take most of these rows on AVX-512 CPU devices, have none).
        backend.denseRowKernelsOverride = false
        let params = Conv2dParams(padding: 1)
        let (x, w) = (try backend.zeros([1, 3, 8, 8]), try backend.zeros([5, 3, 3, 3]))
        // An 8-column output takes the narrow block and two rows per vector, one vector per
        // work-item; a 17-column one the wide block, one row of 16 columns per vector and two
        // vectors (rows) per work-item; 5 channels in blocks of 4 launch as two of 3.
        let narrow = try Self.defines(of: "conv2d_direct_regblock", on: backend) {
            _ = try backend.conv2d(x, weight: w, bias: nil, params: params)
        }
        #expect(
            narrow?.defines["OCB"] == "2" && narrow?.defines["ROWS"] == "2" && narrow?.defines["VECS"] == "1",
            "\(String(describing: narrow))")
        #expect(narrow?.global == [1, 4, 3], "\(String(describing: narrow))")
        let forward = try Self.defines(of: "conv2d_direct_regblock", on: backend) {
            _ = try backend.conv2d(backend.zeros([1, 3, 8, 17]), weight: w, bias: nil, params: params)
        }
        #expect(
            forward?.defines["OCB"] == "3" && forward?.defines["ROWS"] == "1" && forward?.defines["VECS"] == "2",
            "\(String(describing: forward))")
        #expect(forward?.global == [2, 4, 2], "\(String(describing: forward))")
        // The weight gradient takes its own block per shape class: narrow OCB 4 × KWB 1 launches
        // the 5 channels as two blocks of 3; wide OCB 2 × KWB 2 as three blocks of 2.
        let narrowWeightGradient = try Self.defines(of: "conv2d_direct_weight_grad_partial", on: backend) {
            _ = try backend.conv2dBackwardWeight(backend.zeros([1, 5, 8, 8]), input: x, weightShape: [5, 3, 3, 3], params: params)
        }
        #expect(
            narrowWeightGradient?.defines["OCB"] == "3" && narrowWeightGradient?.defines["KWB"] == "1",
            "\(String(describing: narrowWeightGradient))")
        let wideWeightGradient = try Self.defines(of: "conv2d_direct_weight_grad_partial", on: backend) {
            _ = try backend.conv2dBackwardWeight(
                backend.zeros([1, 5, 8, 17]), input: backend.zeros([1, 3, 8, 17]), weightShape: [5, 3, 3, 3], params: params)
        }
        #expect(
            wideWeightGradient?.defines["OCB"] == "2" && wideWeightGradient?.defines["KWB"] == "2",
            "\(String(describing: wideWeightGradient))")
        // Three filter rows × two tap blocks (taps 0–1, then 2 and a repeated column not stored).
        #expect(wideWeightGradient?.global.first == 6, "\(String(describing: wideWeightGradient))")

        // A backend opened without a policy launches the built-in defaults.
        let plain = try OpenCLBackend(device: device)
        plain.gemmVariantOverride = .registerBlocked
        let defaults = try Self.defines(of: "gemm_regblock", on: plain) { try Self.product(plain, m: 93) }
        #expect(defaults?.defines["TM"] == "6" && defaults?.defines["NV"] == "2")
    }

    /// The launched block keeps the chosen block's count of blocks and shrinks each to fit.
    @Test func channelBlocksAreBalancedOverTheChannels() {
        let cases: [(block: Int, channels: Int, launched: Int)] = [
            (16, 16, 16), (16, 20, 10), (16, 40, 14), (16, 80, 16), (16, 3, 3), (8, 20, 7), (8, 31, 8), (4, 1, 1), (16, 17, 9),
        ]
        for c in cases {
            #expect(OpenCLBackend.balancedChannelBlock(c.block, channels: c.channels) == c.launched, "\(c)")
        }
    }

    @Test func smallSearchChoosesAVerifiedCandidateForEverySlot() throws {
        let device = try SharedBackends.requireOpenCL().device
        let backend = try OpenCLBackend(device: device)
        let record = try KernelTuner(backend: backend, problems: .quick, slots: TuningSlot.allCases, runs: 2).run()
        #expect(record.key == (try backend.tuningKey()))
        #expect(record.chosen.isValid(on: device))
        #expect(backend.tuning.tunables == .defaults, "the search must not change the backend it ran on")
        for slot in TuningSlot.allCases {
            let rows = record.measurements.filter { $0.slot == slot }
            #expect(rows.count == slot.candidates(on: device).count, "\(slot)")
            #expect(rows.allSatisfy { $0.failure == nil && $0.milliseconds != nil }, "\(slot): \(rows.compactMap(\.failure))")
            let chosen = rows.filter(\.chosen)
            #expect(chosen.count == 1 && chosen.first?.parameters == slot.value(in: record.chosen), "\(slot)")
            // The choice is the minimum of what was measured (consistency, not a speed claim).
            if let best = chosen.first?.milliseconds {
                #expect(rows.allSatisfy { ($0.milliseconds ?? .infinity) >= best }, "\(slot)")
            }
        }
        let decoded = try JSONDecoder().decode(TuningRecord.self, from: record.jsonData())
        #expect(decoded.chosen == record.chosen && decoded.measurements == record.measurements && decoded.key == record.key)
    }

    /// Each slot's candidates carry the values chosen for the slots before it: the algorithm
    /// slots run the direct kernels with the direct and weight-gradient blocks the same search
    /// chose (here the only candidates offered), not with the built-in defaults.
    @Test func algorithmSlotsRunWithTheBlocksChosenBeforeThem() throws {
        let device = try SharedBackends.requireOpenCL().device
        let backend = try OpenCLBackend(device: device)
        var tuner = KernelTuner(
            backend: backend, problems: .quick,
            slots: [.directOutputChannels, .weightGradientBlock, .convForwardWide, .convWeightGradientWide], runs: 1)
        var direct = KernelTunables.defaults
        direct.directOutputChannels = 2
        direct.directVectors = 2
        var weightGradient = KernelTunables.defaults
        weightGradient.weightGradientBlock = .init(outputChannels: 4, taps: 1)
        tuner.candidateOverride = [.directOutputChannels: [direct], .weightGradientBlock: [weightGradient]]
        let trace = LaunchTrace()
        backend.launchTrace = trace
        defer { backend.launchTrace = nil }
        let record = try tuner.run()
        #expect(record.chosen.directBlock(for: .wide) == direct.directBlock(for: .wide))
        #expect(record.chosen.weightGradientBlock == weightGradient.weightGradientBlock)
        // The quick problems have 12 and 4 output channels: blocks of 2 and 4 stay 2 and 4 (the
        // defaults, OCB 8 × 1 vector and OCB 8 × KWB 3, would launch 6 or 4 and VECS 1, KWB 3).
        let forward = trace.launches(of: "conv2d_direct_regblock"), gradients = trace.launches(of: "conv2d_direct_weight_grad_partial")
        try #require(!forward.isEmpty && !gradients.isEmpty)
        // The algorithm slots' direct candidates run the passes as the backend runs them, after
        // the block slots', with the chosen blocks — except where conv_rows.cl's row kernels take
        // the 17-column problem's rows (AVX-512 CPU devices), which have no block to choose.
        let plan = backend.launchPlan
        let rowsTake = plan.denseRowChannels(outWidth: 17, strideW: 1, rowShifts: -1...1) != nil
        let gradientRowsTake = plan.denseRowWeightGradient(taps: 9, outWidth: 17, strideW: 1, rowShifts: -1...1) != nil
        #expect(gradientRowsTake ? !trace.launches(of: "conv2d_weight_grad_rows").isEmpty : gradients.count > 2)
        #expect(rowsTake ? !trace.launches(of: "conv2d_rows").isEmpty : forward.count > 2)
        #expect(forward.allSatisfy { $0.defines["OCB"] == "2" && $0.defines["VECS"] == "2" }, "\(forward.map(\.defines))")
        #expect(gradients.allSatisfy { $0.defines["OCB"] == "4" && $0.defines["KWB"] == "1" }, "\(gradients.map(\.defines))")
    }

    @Test func wrongOrUnlaunchableCandidatesAreDiscarded() throws {
        let device = try SharedBackends.requireOpenCL().device
        var tuner = KernelTuner(backend: try OpenCLBackend(device: device), problems: .quick, slots: [.localTile], runs: 1)
        // TS_M = 30 with WPT_M = 4: 7 row groups × 4 rows cover 28 of each tile's 30 rows, so two
        // rows per tile are never written (the output starts as NaN): a wrong result.
        var skipsRows = KernelTunables.defaults
        skipsRows.localTile = .init(tileM: 30, tileN: 32, tileK: 16, workM: 4, workN: 2)
        // 128 × 128 work-items per group: more than the device allows (checked below).
        var tooLarge = KernelTunables.defaults
        tooLarge.localTile = .init(tileM: 128, tileN: 128, tileK: 16, workM: 1, workN: 1)
        tuner.candidateOverride = [.localTile: [skipsRows, tooLarge, .defaults]]
        let record = try tuner.run()
        let rows = record.measurements
        try #require(rows.count == 3)
        #expect(rows[0].failure?.contains("wrong result") == true && !rows[0].chosen, "\(rows[0])")
        #expect(rows[2].failure == nil)
        if device.maxWorkGroupSize < 128 * 128 {
            #expect(rows[1].failure != nil && !rows[1].chosen, "\(rows[1])")
            #expect(rows[2].chosen && record.chosen.localTile == KernelTunables.defaults.localTile)
        }
    }
}
