import ArgumentParser
import Foundation
import OpenCLBackend
import OpenCLRuntime

/// `diffnas tune`: re-runs the per-device kernel search (`KernelTuner`), prints every
/// candidate, and caches the choice that `train`, `search`, `bench`, `verify` and `op` then use.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Time kernel tile candidates on a device and cache the fastest correct ones.",
        discussion: """
            Each candidate is first checked for exact results on integer-valued inputs, then timed \
            (median of 5, OpenCL profiling); wrong or unbuildable candidates are discarded. The choice is \
            cached per device, driver and kernel source under the program cache (`~/.cache/diffnas/kernels/tuning`, \
            `DIFFNAS_CACHE_DIR`); `train`, `search` and `bench` tune on first use when no choice is cached. \
            `DIFFNAS_TUNE=off` makes every other command use the built-in defaults.
            """
    )

    @Option(
        name: .long, help: "OpenCL device number from `diffnas devices` (default: $DIFFNAS_DEVICE, else the first GPU, else a CPU device).")
    var device: Int?

    @Flag(name: .long, help: "Print the result as JSON instead of a table.")
    var json = false

    func validate() throws {
        if let device, device < 0 { throw ValidationError("--device must be a device number ≥ 0 (see `diffnas devices`)") }
    }

    func run() throws {
        let backend: OpenCLBackend
        do { backend = try OpenCLBackend(device: try Device.select(index: device)) } catch let error as OpenCLError {
            throw CLIError("cannot open the OpenCL device: \(error.summary)")
        }
        printError("tuning kernels on \(backend.deviceDescription); each candidate compiles first (seconds on a CPU device)")
        let progress: ((String) -> Void)? =
            standardErrorIsTerminal
            ? { FileHandle.standardError.write(Data("\r  \($0)\u{1B}[K".utf8)) } : nil
        let record: TuningRecord
        do { record = try KernelTuner(backend: backend).run(progress: progress) } catch {
            throw CLIError("kernel tuning failed: \(TuningError.oneLine(error))")
        }
        if standardErrorIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

        let cache = TuningCache.standard()
        var stored: String
        if cache.directory == nil {
            stored = "not cached (DIFFNAS_CACHE_DIR=off)"
        } else {
            do { stored = "cached in \(try cache.store(record).path)" } catch {
                printError("warning: \(TuningError.oneLine(error))")
                stored = "not cached"
            }
        }
        if TuningPolicy.cached.effective() == .defaults {
            stored += "; DIFFNAS_TUNE=off is set, so other commands use the built-in defaults"
        }
        if json {
            print(String(decoding: try record.jsonData(), as: UTF8.self))
            printError(stored)
            return
        }
        print(Self.render(record))
        print(stored)
    }

    /// The candidate table, then the choice.
    static func render(_ record: TuningRecord) -> String {
        var table = TextTable(["kernel", "parameters", "problems", "ms", "GFLOP/s", "chosen"])
        for m in record.measurements {
            table.add([
                m.slot.rawValue, m.parameters, m.problems, m.milliseconds.map { String(format: "%.3f", $0) } ?? "-",
                m.gflops.map { String(format: "%.1f", $0) } ?? "-", m.chosen ? "*" : (m.failure.map { "discarded: \($0)" } ?? ""),
            ])
        }
        return table.render() + "\nchosen: \(record.chosen) (searched in \(String(format: "%.1f", record.seconds)) s)"
    }
}
