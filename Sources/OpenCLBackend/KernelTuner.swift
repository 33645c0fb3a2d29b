import Foundation
import OpenCLRuntime

/// One candidate of one slot: its parameters, its time on the slot's problems, or why it was
/// discarded.
public struct TuningMeasurement: Codable, Sendable, Hashable {
    public var slot: TuningSlot
    /// The slot's `-D` settings, e.g. "TM=8 NV=1".
    public var parameters: String
    /// The problems it ran, e.g. "256×256×256 NN".
    public var problems: String
    /// Sum over the problems of the median device time; nil when discarded.
    public var milliseconds: Double?
    /// The problems' floating-point operations over `milliseconds`; nil when discarded.
    public var gflops: Double?
    /// Why it was discarded (a build failure or a wrong result); nil when it ran correctly.
    public var failure: String?
    /// Whether this candidate was chosen for its slot.
    public var chosen: Bool
}

/// Chooses `KernelTunables` for one device by measurement, as CLBlast's tuners do: for each
/// slot the device uses (`TuningSlot.slots(for:)`), in order, each candidate being the values
/// chosen for the slots before it with this slot's value replaced (so the algorithm slots time
/// each pass with the tiles already chosen), every candidate is first run once on
/// integer-valued inputs and compared for exact equality with a CPU computation (a candidate
/// that fails to build, fails to launch or gives a wrong result is discarded); the survivors
/// are then timed by profiling markers in `runs` interleaved rounds (so a slow spell on a
/// shared machine hits every candidate alike), and the lowest median wins. A slot with no
/// correct candidate keeps its default.
///
/// Cost on PoCL (2 cores): about 14 program builds (~13 s with an empty program cache, ~1.5 s
/// once they are cached on disk) plus milliseconds per timed launch. `TuningCache.resolve` runs
/// it once per device and caches the result; `diffnas tune` re-runs it.
public struct KernelTuner {
    public let backend: OpenCLBackend
    /// The problems each slot is checked and timed on.
    public var problems: TuningProblems
    /// The slots searched, in order (default: those of the device).
    public var slots: [TuningSlot]
    /// Timed rounds per candidate and problem (after the checked launch, which also warms up).
    public var runs: Int
    /// Candidates to try instead of `TuningSlot.candidates(on:base:)` for some slots (tests use it to
    /// show that wrong or unlaunchable candidates are discarded).
    public var candidateOverride: [TuningSlot: [KernelTunables]] = [:]

    public init(backend: OpenCLBackend, problems: TuningProblems = .standard, slots: [TuningSlot]? = nil, runs: Int = 7) {
        self.backend = backend
        self.problems = problems
        self.slots = slots ?? TuningSlot.slots(for: backend.tuning)
        self.runs = max(runs, 1)
    }

    /// Searches every slot and returns the record to cache (nothing is stored here, and the
    /// backend's own `tuning` is unchanged). `progress` gets one line per candidate checked.
    public func run(progress: ((String) -> Void)? = nil) throws -> TuningRecord {
        let started = Date()
        let workspace = TuningWorkspace(backend: backend)
        var chosen = KernelTunables.defaults
        var measurements: [TuningMeasurement] = []
        for slot in slots {
            let problemList = slot.problems(problems)
            let candidates = candidateOverride[slot] ?? slot.candidates(on: backend.device, base: chosen)
            var rows = candidates.map {
                TuningMeasurement(
                    slot: slot, parameters: slot.value(in: $0), problems: problemList.map(\.description).joined(separator: " + "),
                    milliseconds: nil, gflops: nil, failure: nil, chosen: false)
            }
            for (i, candidate) in candidates.enumerated() {
                progress?("\(slot): checking \(slot.value(in: candidate))")
                rows[i].failure = check(slot, candidate, problemList, workspace)
            }
            // times[candidate][problem]: one entry per round.
            var times = [[[Double]]](repeating: [[Double]](repeating: [], count: problemList.count), count: candidates.count)
            for _ in 0..<runs {
                for i in candidates.indices where rows[i].failure == nil {
                    do {
                        for (p, problem) in problemList.enumerated() {
                            let prepared = try workspace.prepare(problem)
                            times[i][p].append(try timed { try workspace.launch(problem, prepared, slot: slot, tunables: candidates[i]) })
                        }
                    } catch {
                        rows[i].failure = TuningError.oneLine(error)
                    }
                }
            }
            for i in candidates.indices where rows[i].failure == nil {
                let milliseconds = times[i].map { $0.sorted()[$0.count / 2] }.reduce(0, +)
                rows[i].milliseconds = milliseconds
                rows[i].gflops = milliseconds > 0 ? problemList.map(\.flops).reduce(0, +) / (milliseconds * 1e6) : nil
            }
            let best = rows.indices.filter { rows[$0].milliseconds != nil }.min { rows[$0].milliseconds! < rows[$1].milliseconds! }
            if let best {
                rows[best].chosen = true
                chosen = slot.copy(from: candidates[best], into: chosen)
            }
            measurements += rows
        }
        return TuningRecord(
            key: try backend.tuningKey(), chosen: chosen, measurements: measurements,
            tunedAt: ISO8601DateFormatter().string(from: started), seconds: Date().timeIntervalSince(started))
    }

    /// Runs `candidate` once on each problem and compares with the CPU result: nil when every
    /// result is exact, else why it is discarded (wrong result, build or launch failure).
    func check(
        _ slot: TuningSlot, _ candidate: KernelTunables, _ problemList: [TuningProblem],
        _ workspace: TuningWorkspace
    ) -> String? {
        for problem in problemList {
            do {
                let prepared = try workspace.prepare(problem)
                try prepared.poisonOutput(backend)
                try workspace.launch(problem, prepared, slot: slot, tunables: candidate)
                if let mismatch = Self.firstMismatch(try backend.download(prepared.output), prepared.expected) {
                    return "wrong result on \(problem): \(mismatch)"
                }
            } catch {
                return TuningError.oneLine(error)
            }
        }
        return nil
    }

    /// Device milliseconds of the commands `body` enqueues: between the END times of a marker
    /// before and one after (on the in-order queue each completes after everything before it).
    func timed(_ body: () throws -> Void) throws -> Double {
        let before = try backend.queue.enqueueMarker()
        try body()
        let after = try backend.queue.enqueueMarker()
        let (start, end) = (try before.profilingTimes().end, try after.profilingTimes().end)
        return Double(end >= start ? end - start : 0) / 1e6
    }

    /// The first index where `actual` differs from `expected` (NaN never equals), as text.
    static func firstMismatch(_ actual: [Float], _ expected: [Float]) -> String? {
        guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
        guard let i = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return nil }
        return "element \(i) is \(actual[i]), expected \(expected[i])"
    }
}
