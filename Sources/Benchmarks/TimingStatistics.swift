/// Median, minimum and maximum of repeated timings, in milliseconds.
///
/// The median is the headline figure (robust to one run disturbed by another process); min and
/// max show the spread. With an even number of samples the median is the mean of the middle two.
public struct TimingStatistics: Codable, Sendable, Equatable {
    /// Every timed run, in the order measured.
    public let samplesMilliseconds: [Double]
    public let medianMilliseconds: Double
    public let minMilliseconds: Double
    public let maxMilliseconds: Double

    /// Statistics of `samples` (at least one, each finite and ≥ 0).
    public init(samples: [Double]) {
        precondition(!samples.isEmpty, "TimingStatistics needs at least one sample")
        samplesMilliseconds = samples
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        medianMilliseconds = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        minMilliseconds = sorted[0]
        maxMilliseconds = sorted[sorted.count - 1]
    }
}

/// How much work one run of a case does, which turns a time into a throughput.
public enum WorkAmount: Sendable, Equatable {
    /// Floating-point operations (a multiply-add counts 2): reported in GFLOP/s.
    case flops(Double)
    /// Bytes read plus bytes written, each input read once and each output written once (the
    /// least traffic the operation needs; scratch traffic is the implementation's cost): GB/s.
    case bytes(Double)
    /// Elements processed (importance normalization): reported in M elements/s.
    case elements(Double)

    /// The unit of `rate(milliseconds:)`.
    public var unit: String {
        switch self {
        case .flops: "GFLOP/s"
        case .bytes: "GB/s"
        case .elements: "Melem/s"
        }
    }

    /// The amount itself (FLOPs, bytes or elements).
    public var amount: Double {
        switch self {
        case .flops(let x), .bytes(let x), .elements(let x): x
        }
    }

    /// Throughput of one run taking `milliseconds`: 10⁹ FLOP/s, 10⁹ B/s or 10⁶ elements/s;
    /// nil for a non-positive time.
    public func rate(milliseconds: Double) -> Double? {
        guard milliseconds > 0, milliseconds.isFinite else { return nil }
        let perSecond = amount / (milliseconds / 1000)
        switch self {
        case .flops, .bytes: return perSecond / 1e9
        case .elements: return perSecond / 1e6
        }
    }
}
