import Foundation
import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import TensorCore

/// What to run and how often.
public struct BenchSettings: Sendable {
    public var suites: [BenchSuite]
    /// The short subset: tiny sizes, one warm-up and two timed runs.
    public var quick: Bool
    /// Untimed runs of a contender before each of its timed runs (after the checked first run,
    /// which also compiles kernels): they re-warm its caches after the other contenders ran.
    public var warmups: Int
    /// Timed runs per contender, one per round: 9 by default, the fewest whose paired ratios give
    /// a median interval narrower than their whole range at ≥ 95% (`PairedRatio`: the 2nd to the
    /// 8th, 96.1%); 2 with `quick`.
    public var repetitions: Int
    /// Cases of at most this many multiply-adds are checked in full against the reference
    /// backend; larger ones at sampled elements computed exactly on the host (the plain-loop
    /// reference takes minutes on a 2048³ GEMM).
    public var referenceBudget: Int
    /// Elements sampled when a case is too large for the full reference check.
    public var sampledElements: Int
    public var seed: UInt64

    public init(
        suites: [BenchSuite] = BenchSuite.allCases, quick: Bool = false, warmups: Int? = nil, repetitions: Int? = nil,
        referenceBudget: Int = 1 << 25, sampledElements: Int = 512, seed: UInt64 = 42
    ) {
        self.suites = suites
        self.quick = quick
        self.warmups = warmups ?? 1
        self.repetitions = repetitions ?? (quick ? 2 : 9)
        self.referenceBudget = referenceBudget
        self.sampledElements = sampledElements
        self.seed = seed
    }
}

/// Runs benchmark cases on one OpenCL backend: each contender once, checked, then warmed up
/// and timed (OpenCL profiling events or the host clock) in rounds that alternate the contenders.
public final class BenchRunner {
    public let backend: OpenCLBackend
    public let reference: ReferenceBackend
    public let settings: BenchSettings
    /// Called with a short description before each case (for a progress line).
    public var progress: (String) -> Void = { _ in }
    /// Waited out before each contender's warm-up and timed run, so no contender shares the
    /// cores with the spinning worker threads of the one before (`QuietCores`).
    public var quietCores = QuietCores()
    /// What those waits added up to in this run (reported with it).
    public private(set) var quietWaits = QuietWaits()

    public init(backend: OpenCLBackend, settings: BenchSettings, reference: ReferenceBackend = ReferenceBackend()) {
        self.backend = backend
        self.settings = settings
        self.reference = reference
    }

    // MARK: Timing

    /// Milliseconds of device time for one run of `body`, by `method` (see `TimingMethod`).
    /// Drains the queue first, so no earlier work is counted.
    public func time(_ method: TimingMethod, _ body: () throws -> Void) throws -> Double {
        try backend.synchronize()
        switch method {
        case .markerSpan:
            let before = try backend.queue.enqueueMarker()
            try body()
            let after = try backend.queue.enqueueMarker()
            try backend.queue.finish()
            let (start, end) = (try before.profilingTimes().end, try after.profilingTimes().end)
            return end > start ? Double(end - start) / 1e6 : 0
        case .hostClock:
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        case .kernelEvents:
            let saved = backend.profiler
            let profiler = KernelProfiler()
            backend.profiler = profiler
            defer { backend.profiler = saved }
            try body()
            try backend.synchronize()
            return try profiler.summary().reduce(0) { $0 + $1.milliseconds }
        }
    }

    // MARK: Measuring a case

    /// Checks and times ours and every comparator of `benchCase`, in rounds: each contender is
    /// first run once and checked (ours first); then every round runs each contender that passed,
    /// in turn, `warmups` times untimed and once timed, once the cores are quiet (`quietCores`:
    /// the previous contender's worker threads may still be spinning). Interleaving the rounds
    /// spreads a slow spell of the machine (a shared VM's neighbours) over every contender instead
    /// of landing on whichever ran then, so the ratios of one run compare like with like; the
    /// untimed runs re-warm each contender's caches after the others ran.
    public func measure(_ benchCase: BenchCase) -> CaseResult {
        let contenders = [benchCase.ours] + benchCase.comparators
        var outcomes = contenders.enumerated().map { index, contender in
            prepare(contender, isComparator: index > 0)
        }
        var samples = [[Double]](repeating: [], count: contenders.count)
        for _ in 0..<max(1, settings.repetitions) {
            for (index, contender) in contenders.enumerated() {
                guard case .checked(let check) = outcomes[index] else { continue }
                do {
                    quietWaits.record(quietCores.wait())
                    for _ in 0..<settings.warmups { try contender.run() }
                    samples[index].append(try time(contender.timing ?? benchCase.timing, contender.run))
                } catch {
                    outcomes[index] = .settled(
                        ContenderResult(
                            name: contender.name, status: index > 0 ? .unavailable : .failed,
                            reason: "failed while timing: \(error)", check: check))
                }
            }
        }
        let results = contenders.enumerated().map { index, contender -> ContenderResult in
            switch outcomes[index] {
            case .settled(let result): return result
            case .checked(let check):
                let statistics = TimingStatistics(samples: samples[index])
                return ContenderResult(
                    name: contender.name, status: .ok, check: check, time: statistics, timing: contender.timing ?? benchCase.timing,
                    rate: (contender.work ?? benchCase.work).rate(milliseconds: statistics.medianMilliseconds))
            }
        }
        let ours = results[0]
        // Each round's rates, for the paired ratios (rounds are aligned: a contender that fails
        // while timing leaves no rate at all).
        let roundRates = contenders.enumerated().map { index, contender in
            samples[index].map { (contender.work ?? benchCase.work).rate(milliseconds: $0) ?? 0 }
        }
        let comparators = results.enumerated().dropFirst().map { index, comparator in
            var result = comparator
            guard ours.status == .ok, result.status == .ok else { return result }
            result.pairedRatio = PairedRatio(oursRates: roundRates[0], theirRates: roundRates[index])
            if let paired = result.pairedRatio {
                result.ratio = paired.median
            } else if let mine = ours.rate, let theirs = result.rate, theirs > 0 {
                result.ratio = mine / theirs
            }
            return result
        }
        return CaseResult(
            suite: benchCase.suite, name: benchCase.name, shape: benchCase.shape, unit: benchCase.work.unit,
            work: benchCase.work.amount, timing: benchCase.timing, ours: ours, comparators: Array(comparators))
    }

    /// Builds the case, then measures it; a case that cannot even be built is ours failing.
    public func measure(_ pending: PendingCase) -> CaseResult {
        do {
            return measure(try pending.make())
        } catch {
            return CaseResult(
                suite: pending.suite, name: pending.name, shape: pending.shape, unit: "", work: 0,
                timing: .kernelEvents,
                ours: ContenderResult(name: "DiffNAS", status: .failed, reason: "setting up the case failed: \(error)"),
                comparators: [])
        }
    }

    /// A contender after its first run: checked and ready to time, or settled without timing.
    enum Prepared {
        case checked(CheckOutcome)
        case settled(ContenderResult)
    }

    /// The first run and the check. A comparator that throws is n/a (e.g. CLBlast rejects the
    /// shape); ours throwing or any wrong output is FAIL. Wrong outputs are not timed.
    func prepare(_ contender: Contender, isComparator: Bool) -> Prepared {
        if let reason = contender.unavailable {
            return .settled(ContenderResult(name: contender.name, status: .unavailable, reason: reason))
        }
        do {
            try contender.run()
            try backend.synchronize()
        } catch {
            return .settled(ContenderResult(name: contender.name, status: isComparator ? .unavailable : .failed, reason: "\(error)"))
        }
        let check: CheckOutcome
        do { check = try contender.check() } catch {
            check = .failed("checking", "the check itself failed: \(error)")
        }
        guard check.passed else {
            return .settled(ContenderResult(name: contender.name, status: .failed, reason: "wrong result: \(check.detail)", check: check))
        }
        return .checked(check)
    }

    // MARK: Whole runs

    /// Every selected suite, in the order of `BenchSuite.allCases`.
    public func run() -> BenchReport {
        var cases: [CaseResult] = []
        var steps: [StepResult] = []
        let selected = BenchSuite.allCases.filter { settings.suites.contains($0) }
        let pending = selected.flatMap { suite -> [PendingCase] in
            switch suite {
            case .gemm: GemmSuite.cases(runner: self)
            case .conv: ConvSuite.cases(runner: self)
            case .depthwise: ConvSuite.cases(runner: self, suite: .depthwise)
            case .topk: TopKSuite.cases(runner: self)
            case .mask: MaskSuite.cases(runner: self)
            case .step: []
            }
        }
        for (index, item) in pending.enumerated() {
            progress("[\(index + 1)/\(pending.count)] \(item.suite.rawValue): \(item.name) \(item.shape)")
            cases.append(measure(item))
        }
        if selected.contains(.step) {
            for workload in StepSuite.workloads(quick: settings.quick) {
                progress("step: \(workload.name) at batch \(workload.batch)")
                steps.append(StepSuite.measure(workload, runner: self))
            }
        }
        return BenchReport(device: backend.device, settings: settings, cases: cases, steps: steps, quietWaits: quietWaits)
    }
}
