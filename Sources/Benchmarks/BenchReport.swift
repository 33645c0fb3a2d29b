import Foundation
import OpenCLRuntime

/// Everything one `diffnas bench` run measured, with where and when: what `--json` writes.
public struct BenchReport: Codable, Sendable {
    public var device: String
    public var deviceDescription: String
    public var vendor: String
    public var driver: String
    public var platform: String
    public var openclVersion: String
    public var computeUnits: Int
    /// The host processor (`HostCPU.describe()`): a CPU device's name does not tell its generation.
    public var hostCPU: String
    /// ISO 8601, UTC.
    public var date: String
    /// `git rev-parse HEAD` of the working directory, or "unknown".
    public var commit: String
    public var quick: Bool
    public var suites: [BenchSuite]
    public var warmups: Int
    public var repetitions: Int
    /// The plain copy kernel's bandwidth at the mask suite's largest N (beyond the caches), GB/s.
    public var copyBandwidthGBPerSecond: Double?
    /// The host's STREAM triad bandwidth at the same N, GB/s.
    public var streamBandwidthGBPerSecond: Double?
    /// The native CPU comparators and what was loaded ("OpenBLAS sgemm (SkylakeX kernels, 2
    /// threads)"), or why each is missing.
    public var hostLibraries: [String: String]
    /// The waits for quiet cores before each contender's runs (`QuietCores`).
    public var quietWaits: QuietWaits
    public var cases: [CaseResult]
    public var steps: [StepResult]
    /// No case or step of ours failed (comparators may be n/a or wrong without failing the run).
    public var passed: Bool

    public init(
        device: Device, settings: BenchSettings, cases: [CaseResult], steps: [StepResult], quietWaits: QuietWaits = QuietWaits(),
        date: Date = Date(), commit: String = BenchReport.gitCommit()
    ) {
        self.device = device.name
        deviceDescription = device.description
        vendor = device.vendor
        driver = device.driverVersion
        platform = device.platform.name + " " + device.platform.version
        openclVersion = device.deviceVersion
        computeUnits = device.computeUnits
        hostCPU = HostCPU.describe()
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        self.date = formatter.string(from: date)
        self.commit = commit
        quick = settings.quick
        suites = BenchSuite.allCases.filter { settings.suites.contains($0) }
        warmups = settings.warmups
        repetitions = settings.repetitions
        copyBandwidthGBPerSecond = MaskSuite.copyBandwidth(in: cases)
        streamBandwidthGBPerSecond = MaskSuite.streamBandwidth(in: cases)
        hostLibraries = [
            "openblas": BenchReport.describe(OpenBLAS.availability),
            "onednn": BenchReport.describe(OneDNNConvolution.availability),
        ]
        self.quietWaits = quietWaits
        self.cases = cases
        self.steps = steps
        passed = cases.allSatisfy(\.passed) && steps.allSatisfy { $0.status == .ok }
    }

    static func describe(_ availability: Result<String, HostLibraryError>) -> String {
        switch availability {
        case .success(let name): name
        case .failure(let error): "missing: \(error.description)"
        }
    }

    /// Pretty, key-sorted JSON with snake_case keys; non-finite numbers as "inf"/"nan" strings.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// The commit checked out in the current directory (`git rev-parse HEAD`), or "unknown"
    /// when git or a repository is missing.
    public static func gitCommit(in directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "unknown" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : "unknown"
    }
}
