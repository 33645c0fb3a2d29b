import ArgumentParser
import Benchmarks
import Foundation

/// `diffnas bench`: timed, reference-checked benchmark cases against comparators measured in the
/// same run (CLBlast, the O(N²) comparison matrix, a plain copy kernel).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the kernels against CLBlast, OpenBLAS, oneDNN and other comparators, each result checked first.",
        discussion: """
            Each case runs once on the device and is checked against the reference backend (or, when \
            too large for it, at sampled elements computed exactly on the host), then warms up and is \
            timed over repeated runs with OpenCL profiling events: median, min and max. The OpenCL \
            comparators run on the same queue and buffers, the native CPU libraries on host copies of \
            the same inputs (timed by host clock), each checked the same way; ours ÷ it = our \
            throughput / the comparator's. Suites: gemm (vs CLBlastSgemm and OpenBLAS cblas_sgemm), \
            conv (vs CLBlastSconvgemm or im2col + CLBlastSgemm, and oneDNN), depthwise (the DARTS cells' \
            separable and dilated windows and a MobileNetV2 width, vs the same), topk (radix ranks vs the \
            O(N²) comparison matrix), mask (memory-bound kernels vs a copy kernel and the host's STREAM \
            triad), step (a training step: images/s and the slowest kernels). A comparator that is not \
            installed is listed as n/a with why. OpenBLAS picks its kernels at load: OPENBLAS_CORETYPE \
            forces a set (the name shows which ran); unset it for the native ones.
            Exits non-zero when any of our results is wrong. Run it from a release build; other work on \
            the machine distorts the timings.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(
        name: .long, help: "Suites to run, comma-separated (\(BenchSuite.allCases.map(\.rawValue).joined(separator: ","))); default all.")
    var suite: String?

    @Option(name: .long, help: "Also write every figure, with device, driver, date and commit, as JSON to this file.")
    var json: String?

    @Flag(name: .long, help: "A short subset with tiny sizes and 2 timed runs (for CI).")
    var quick = false

    @Option(
        name: .long,
        help: "Timed runs per contender of a case, one per round (default 9, for a 95% interval of each ratio; 2 with --quick).")
    var repetitions: Int?

    @Option(name: .long, help: "Untimed runs of a contender before each of its timed runs (default 1).")
    var warmup: Int?

    func validate() throws {
        if options.backend == .reference {
            throw ValidationError("bench times OpenCL kernels; --backend reference makes no sense here")
        }
        _ = try selectedSuites()
        if let repetitions, repetitions < 1 { throw ValidationError("--repetitions must be ≥ 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be ≥ 0") }
    }

    func selectedSuites() throws -> [BenchSuite] {
        guard let suite else { return BenchSuite.allCases }
        let names = suite.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let unknown = names.filter { BenchSuite(rawValue: $0) == nil }
        guard unknown.isEmpty, !names.isEmpty else {
            throw ValidationError(
                "unknown suite \(unknown.joined(separator: ", ")); choose from \(BenchSuite.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return names.compactMap(BenchSuite.init(rawValue:))
    }

    func run() throws {
        let backend = try options.openDevice(tuning: .tuneIfNeeded)
        let settings = BenchSettings(
            suites: try selectedSuites(), quick: quick, warmups: warmup, repetitions: repetitions, seed: options.seed)
        let runner = BenchRunner(backend: backend, settings: settings)
        printError(
            "benchmarking \(settings.suites.map(\.rawValue).joined(separator: ",")) on \(backend.deviceDescription)"
                + (quick ? " (quick)" : "") + "; the first run of each case compiles its kernels")
        if standardErrorIsTerminal {
            runner.progress = { FileHandle.standardError.write(Data("\r\($0)\u{1B}[K".utf8)) }
        }
        let report = runner.run()
        if standardErrorIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(BenchRendering.render(report))
        if let json {
            do { try report.json().write(to: URL(fileURLWithPath: json), options: .atomic) } catch {
                throw CLIError("cannot write \(json): \(error.localizedDescription)")
            }
        }
        if !report.passed { throw ExitCode(1) }
    }
}

/// The terminal report of `diffnas bench`.
enum BenchRendering {
    static func render(_ report: BenchReport) -> String {
        var sections: [String] = []
        if !report.cases.isEmpty {
            // One row for ours, then one per comparator with our ratio over it.
            var table = TextTable(["suite", "case", "shape", "contender", "ms", "min–max", "rate", "ours ÷ it", "check"])
            var notes: [String] = []
            for c in report.cases {
                let mine = c.ours
                table.add([
                    c.suite.rawValue, c.name, c.shape, "DiffNAS", milliseconds(mine.time?.medianMilliseconds), spread(mine.time),
                    rate(mine.rate, c.unit), "", mine.status == .ok ? "pass" : mine.status.rawValue,
                ])
                if mine.status != .ok { notes.append("\(mine.status.rawValue) \(c.name) \(c.shape): \(mine.reason ?? "")") }
                for theirs in c.comparators {
                    table.add([
                        "", "", "", theirs.name, milliseconds(theirs.time?.medianMilliseconds), spread(theirs.time),
                        rate(theirs.rate, c.unit), theirs.pairedRatio?.text ?? theirs.ratio.map { String(format: "%.2f×", $0) } ?? "",
                        theirs.status == .ok ? (theirs.timing == .hostClock ? "pass (host clock)" : "pass") : theirs.status.rawValue,
                    ])
                    if theirs.status == .unavailable, let reason = theirs.reason, theirs.time == nil,
                        report.cases.filter({ $0.comparators.contains { $0.name == theirs.name && $0.reason == reason } }).count > 1
                    {
                        // The same reason for every case (a library that is not installed): said once.
                        let note = "n/a \(theirs.name) (every case): \(reason)"
                        if !notes.contains(note) { notes.append(note) }
                    } else if theirs.status != .ok {
                        notes.append("\(theirs.status.rawValue) \(theirs.name) for \(c.name) \(c.shape): \(theirs.reason ?? "")")
                    }
                }
            }
            let methods = Set(report.cases.map(\.timing.rawValue)).sorted().joined(separator: ", ")
            sections.append(
                table.render()
                    + "\n(median of \(report.repetitions) rounds, each running every contender in turn \(report.warmups)× untimed, then timed; device contenders timed by "
                    + "\(methods), host libraries by host clock; ours ÷ it = our throughput over the comparator's, the median over "
                    + "the rounds of the two runs' ratio in each round, then in brackets the interval that holds that median with "
                    + "probability \(coverageText(report.repetitions)) (order statistics of the rounds' ratios))"
            )
            if !notes.isEmpty { sections.append(notes.joined(separator: "\n")) }
        }
        for step in report.steps {
            var table = TextTable(["step", "batch", "ms/step", "min–max", "images/s", "device ms/step", "check"])
            table.add([
                step.name, "\(step.batch)", milliseconds(step.time?.medianMilliseconds), spread(step.time),
                step.imagesPerSecond.map { String(format: "%.1f", $0) } ?? "",
                milliseconds(step.deviceMillisecondsPerStep), step.status == .ok ? "pass" : step.status.rawValue,
            ])
            var text = table.render() + "\n" + step.detail + " (wall clock per step; device = sum of kernel events)"
            if let reason = step.reason { text += "\n\(step.status.rawValue) \(step.name): \(reason)" }
            if !step.kernels.isEmpty {
                var kernels = TextTable(["kernel", "launches/step", "ms/step", "share"])
                for k in step.kernels.prefix(12) {
                    kernels.add([
                        k.kernel, String(format: "%.0f", k.launchesPerStep), milliseconds(k.millisecondsPerStep),
                        String(format: "%.1f%%", 100 * k.share),
                    ])
                }
                text += "\nslowest kernels of one step:\n" + kernels.render()
            }
            sections.append(text)
        }
        let failed = report.cases.filter { !$0.passed }.count + report.steps.filter { $0.status != .ok }.count
        var summary = "\(report.cases.count + report.steps.count) cases, \(failed) failed on \(report.deviceDescription)"
        if let copy = report.copyBandwidthGBPerSecond { summary += String(format: "; copy bandwidth %.1f GB/s", copy) }
        if let stream = report.streamBandwidthGBPerSecond { summary += String(format: "; host STREAM triad %.1f GB/s", stream) }
        summary += "\nhost CPU: \(report.hostCPU)"
        summary +=
            "\nhost libraries: " + report.hostLibraries.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ")
        let waits = report.quietWaits
        if waits.count > 0 {
            summary += String(
                format:
                    "\nquiet cores: waited %.1f s in all before %d contender runs (until the previous contender's threads stopped spinning)",
                waits.totalMilliseconds / 1000, waits.count)
            if waits.busy > 0 {
                summary +=
                    "; \(waits.busy) found the cores still busy after \(Int(QuietCores().limitMilliseconds)) ms (something else was running: those timings are shared)"
            }
        }
        sections.append(summary)
        return sections.joined(separator: "\n\n")
    }

    /// "95.3%" for `rounds` paired ratios (`PairedRatio.coverage`).
    static func coverageText(_ rounds: Int) -> String {
        let n = max(rounds, 1)
        return String(format: "%.1f%%", 100 * PairedRatio.coverage(rounds: n, k: PairedRatio.orderStatistic(rounds: n)))
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "" }
        return value < 1 ? String(format: "%.3f", value) : value < 100 ? String(format: "%.2f", value) : String(format: "%.0f", value)
    }

    static func spread(_ time: TimingStatistics?) -> String {
        guard let time else { return "" }
        return "\(milliseconds(time.minMilliseconds))–\(milliseconds(time.maxMilliseconds))"
    }

    static func rate(_ value: Double?, _ unit: String) -> String {
        guard let value else { return "" }
        return (value < 10 ? String(format: "%.2f", value) : String(format: "%.1f", value)) + " " + unit
    }
}
