/// The suites of `diffnas bench`.
public enum BenchSuite: String, CaseIterable, Codable, Sendable {
    /// Matrix multiplies: ours vs `CLBlastSgemm` and OpenBLAS `cblas_sgemm`.
    case gemm
    /// Convolution forward, grad-input, grad-weight: ours vs `CLBlastSconvgemm` / im2col +
    /// `CLBlastSgemm`, and oneDNN's convolution primitives.
    case conv
    /// Depthwise convolutions (forward, grad-input, grad-weight) at the windows of the DARTS
    /// cells' separable and dilated convolutions and at a MobileNetV2 width, against the same
    /// comparators as `conv`.
    case depthwise
    /// Importance normalization: our radix-sort ranks vs the O(N²) comparison matrix.
    case topk
    /// Memory-bound kernels (soft mask and its gradient, ReLU, add, batch norm forward and backward): GB/s vs a plain copy kernel
    /// and the host's STREAM triad.
    case mask
    /// A whole training step: images/s and the per-kernel split.
    case step
}

/// How the time of one run is taken, always from OpenCL profiling events.
public enum TimingMethod: String, Codable, Sendable {
    /// END of a queue marker enqueued after the run minus END of one enqueued before it, on a
    /// drained in-order queue: every command in between counts — the helper kernels a library
    /// launches without reporting them (CLBlast's padding, transposition and im2col), and the
    /// device's idle gaps while the host enqueues or waits.
    case markerSpan = "marker span"
    /// The sum of START→END of every kernel the backend launched during the run (recorded by a
    /// `KernelProfiler`): device busy time only.
    case kernelEvents = "kernel events"
    /// Wall clock around one synchronous call on the host (the native CPU libraries and the
    /// STREAM triad, which return when their work is done).
    case hostClock = "host clock"
}

/// One implementation of a case: ours or the comparator.
public struct Contender {
    public var name: String
    /// Why it cannot run here (e.g. it would not fit in memory); nil when it can.
    public var unavailable: String?
    /// Enqueues one complete run (it may also wait, as CLBlast's convgemm does).
    public var run: () throws -> Void
    /// Judges the output of the latest run; called after the first run, before any timing.
    public var check: () throws -> CheckOutcome
    /// Its own work per run when it differs from the case's (the copy kernel of the mask suite).
    public var work: WorkAmount?
    /// Its own timing when it differs from the case's (`hostClock` for a host library).
    public var timing: TimingMethod?

    public init(
        name: String, unavailable: String? = nil, work: WorkAmount? = nil, timing: TimingMethod? = nil,
        run: @escaping () throws -> Void, check: @escaping () throws -> CheckOutcome
    ) {
        self.name = name; self.unavailable = unavailable; self.work = work; self.timing = timing
        self.run = run; self.check = check
    }

    /// A comparator that cannot run here, with why (a library that is not installed).
    public static func missing(_ name: String, because reason: String) -> Contender {
        Contender(name: name, unavailable: reason, run: {}, check: { .failed("", reason) })
    }
}

/// One benchmark case: the same problem, with its inputs already on the device, for ours and
/// the comparators measured in the same process (the OpenCL ones on the same queue, the host
/// libraries on the same cores).
public struct BenchCase {
    public var suite: BenchSuite
    /// e.g. "sgemm NN", "conv2d grad-weight", "rank normalize".
    public var name: String
    /// e.g. "1024×1024×1024", "16×32×32→32 s2 k3 ×128", "N=10^6".
    public var shape: String
    public var work: WorkAmount
    public var timing: TimingMethod
    public var ours: Contender
    public var comparators: [Contender]

    public init(
        suite: BenchSuite, name: String, shape: String, work: WorkAmount, timing: TimingMethod,
        ours: Contender, comparators: [Contender]
    ) {
        self.suite = suite; self.name = name; self.shape = shape; self.work = work; self.timing = timing
        self.ours = ours; self.comparators = comparators
    }
}

/// A case to build when its turn comes (so only one case's buffers are alive at a time).
public struct PendingCase {
    public var suite: BenchSuite
    public var name: String
    public var shape: String
    public var make: () throws -> BenchCase

    public init(suite: BenchSuite, name: String, shape: String, make: @escaping () throws -> BenchCase) {
        self.suite = suite; self.name = name; self.shape = shape; self.make = make
    }
}

/// What one contender did.
public struct ContenderResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case ok
        /// It ran but its output was wrong, or it threw (ours).
        case failed = "FAIL"
        /// It could not run here (memory, an unsupported shape, a library error for a comparator).
        case unavailable = "n/a"
    }

    public var name: String
    public var status: Status
    /// Why it is n/a or FAIL.
    public var reason: String?
    public var check: CheckOutcome?
    public var time: TimingStatistics?
    /// How `time` was taken (the case's method unless the contender has its own).
    public var timing: TimingMethod?
    /// Throughput at the median time, in the case's unit.
    public var rate: Double?
    /// For a comparator: our throughput over its throughput, the median over the rounds of the
    /// two runs' ratio in each round (`pairedRatio.median`; where a round's time is 0, the
    /// ratio of the two rates at their median times); nil unless both are ok.
    public var ratio: Double?
    /// For a comparator: the per-round ratios and the interval of their median; nil unless both
    /// are ok and every round's time is positive.
    public var pairedRatio: PairedRatio?

    public init(
        name: String, status: Status, reason: String? = nil, check: CheckOutcome? = nil,
        time: TimingStatistics? = nil, timing: TimingMethod? = nil, rate: Double? = nil, ratio: Double? = nil,
        pairedRatio: PairedRatio? = nil
    ) {
        self.name = name; self.status = status; self.reason = reason; self.check = check; self.time = time
        self.timing = timing; self.rate = rate; self.ratio = ratio; self.pairedRatio = pairedRatio
    }
}

/// The measured figures of one case.
public struct CaseResult: Codable, Sendable {
    public var suite: BenchSuite
    public var name: String
    public var shape: String
    /// "GFLOP/s", "GB/s" or "Melem/s".
    public var unit: String
    /// FLOPs, bytes or elements of one run.
    public var work: Double
    public var timing: TimingMethod
    public var ours: ContenderResult
    /// Every comparator, in the case's order, each with its `ratio`.
    public var comparators: [ContenderResult]

    /// The comparator whose name starts with `prefix` ("CLBlast", "OpenBLAS", "oneDNN", …).
    public func comparator(_ prefix: String) -> ContenderResult? { comparators.first { $0.name.hasPrefix(prefix) } }

    /// Our result was checked and correct (a comparator's failure does not fail the case).
    public var passed: Bool { ours.status == .ok }
}
