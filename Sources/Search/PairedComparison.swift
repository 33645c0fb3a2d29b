import Foundation

/// Mean ± sample standard deviation of repeated measurements.
public struct Summary: Codable, Equatable, Sendable {
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (n − 1); 0 for one value.
    public let standardDeviation: Double

    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        let m = mean
        standardDeviation = values.count < 2 ? 0 : (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}

/// The paired comparison of two arms run with the same seeds: differences `d_r = a_r − b_r`, their
/// mean, and the two-sided 95% Student-t interval `mean ± t_{0.975, K−1} · sd/√K`.
public struct PairedComparison: Codable, Equatable, Sendable {
    public enum Verdict: String, Codable, Sendable { case ahead, behind, withinNoise = "within noise", noInterval = "no interval" }

    public let differences: [Double]
    public let mean: Double
    public let standardDeviation: Double
    /// The 95% interval of the mean difference; nil with fewer than two pairs.
    public let interval: ClosedRange<Double>?

    public init(_ a: [Double], _ b: [Double]) {
        precondition(a.count == b.count, "paired comparison of \(a.count) and \(b.count) values")
        differences = zip(a, b).map { $0 - $1 }
        let summary = Summary(differences)
        mean = summary.mean
        standardDeviation = summary.standardDeviation
        if differences.count >= 2 {
            let half =
                PairedComparison.tQuantile975(degreesOfFreedom: differences.count - 1) * standardDeviation
                / Double(differences.count).squareRoot()
            interval = (mean - half)...(mean + half)
        } else {
            interval = nil
        }
    }

    /// Ahead when the whole interval is above zero, behind when below, within noise when it holds
    /// zero; no interval with one pair.
    public var verdict: Verdict {
        guard let interval else { return .noInterval }
        if interval.lowerBound > 0 { return .ahead }
        if interval.upperBound < 0 { return .behind }
        return .withinNoise
    }

    /// The 0.975 quantile of Student's t: the table for 1–30 degrees of freedom, then
    /// `1.96 + 2.5/df` (within 0.002 of the exact value beyond 30).
    public static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        precondition(df >= 1, "t quantile needs ≥ 1 degree of freedom")
        return df <= table.count ? table[df - 1] : 1.96 + 2.5 / Double(df)
    }

    private enum CodingKeys: String, CodingKey { case differences, mean, standardDeviation = "standard_deviation", low, high, verdict }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(differences, forKey: .differences)
        try c.encode(mean, forKey: .mean)
        try c.encode(standardDeviation, forKey: .standardDeviation)
        try c.encodeIfPresent(interval?.lowerBound, forKey: .low)
        try c.encodeIfPresent(interval?.upperBound, forKey: .high)
        try c.encode(verdict, forKey: .verdict)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        differences = try c.decode([Double].self, forKey: .differences)
        mean = try c.decode(Double.self, forKey: .mean)
        standardDeviation = try c.decode(Double.self, forKey: .standardDeviation)
        if let low = try c.decodeIfPresent(Double.self, forKey: .low), let high = try c.decodeIfPresent(Double.self, forKey: .high),
            low <= high
        {
            interval = low...high
        } else {
            interval = nil
        }
    }
}
