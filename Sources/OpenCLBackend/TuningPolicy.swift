import Foundation
import OpenCLRuntime

/// Whether an `OpenCLBackend` uses `KernelTunables.defaults` or a per-device choice measured by
/// `KernelTuner` and kept in a `TuningCache`.
///
/// Nothing tunes implicitly: `OpenCLBackend.init` defaults to `.defaults`, so the tests and any
/// library user get the same kernels on every run. The CLI opens `train`, `search` and `bench`
/// with `.tuneIfNeeded` (a few seconds once per device, then cached) and `verify` / `op` with
/// `.cached` (they check and run what training would use, but never pay for a search);
/// `diffnas tune` re-runs the search on demand. `DIFFNAS_TUNE=off` turns `.cached` and
/// `.tuneIfNeeded` into `.defaults`.
public enum TuningPolicy: Sendable, Equatable {
    /// The built-in defaults; no cache read, no tuning.
    case defaults
    /// The cached choice for this device if there is a readable one, else the defaults.
    case cached
    /// The cached choice, else tune now and store the result for the next process.
    case tuneIfNeeded
    /// Exactly these values (tests, experiments).
    case fixed(KernelTunables)

    /// This policy after `DIFFNAS_TUNE=off` in `environment` (case-insensitive) is applied.
    public func effective(environment: [String: String] = ProcessInfo.processInfo.environment) -> TuningPolicy {
        switch self {
        case .cached, .tuneIfNeeded:
            return environment["DIFFNAS_TUNE"]?.lowercased() == "off" ? .defaults : self
        case .defaults, .fixed:
            return self
        }
    }
}

extension TuningCache {
    /// The tuning `policy` gives on `device` (whose tuned kernels have `key`):
    ///   `.defaults` → the defaults; `.fixed(t)` → t;
    ///   `.cached` → the cache file's choice, else the defaults;
    ///   `.tuneIfNeeded` → the cache file's choice, else `tune()`'s, stored for the next process.
    /// Never throws and never crashes on a bad file: an unreadable or invalid cache file, a
    /// failed search and a failed store each cost one `log` line, and the defaults (or the
    /// fresh, unstored result) are used.
    public func resolve(
        _ policy: TuningPolicy, key: TuningKey, device: Device,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        tune: () throws -> TuningRecord, log: (String) -> Void
    ) -> DeviceTuning {
        let defaults = DeviceTuning(device: device)
        let policy = policy.effective(environment: environment)
        switch policy {
        case .defaults: return defaults
        case .fixed(let tunables): return DeviceTuning(device: device, tunables: tunables, origin: .fixed)
        case .cached, .tuneIfNeeded: break
        }
        let tunes = policy == .tuneIfNeeded
        switch lookup(key, device: device) {
        case .found(let record, let url):
            return DeviceTuning(device: device, tunables: record.chosen, origin: .cached(path: url.path))
        case .unreadable(let url, let reason):
            log(
                "warning: ignoring the kernel tuning cache \(url.path) (\(reason)); \(tunes ? "tuning again" : "using the built-in defaults")"
            )
        case .missing:
            break
        }
        guard tunes else { return defaults }
        let record: TuningRecord
        do {
            log("tuning kernels for \(device.name) (no usable cached choice; DIFFNAS_TUNE=off skips this)…")
            record = try tune()
        } catch {
            log("warning: kernel tuning failed (\(TuningError.oneLine(error))); using the built-in defaults")
            return defaults
        }
        if directory == nil {
            log("tuned in \(String(format: "%.1f", record.seconds)) s; not cached (DIFFNAS_CACHE_DIR=off)")
        } else {
            do {
                let url = try store(record)
                log("tuned in \(String(format: "%.1f", record.seconds)) s; cached in \(url.path)")
            } catch {
                log("warning: cannot cache the kernel tuning (\(TuningError.oneLine(error))); it will be measured again next time")
            }
        }
        return DeviceTuning(device: device, tunables: record.chosen, origin: .tuned)
    }
}

/// A tuning or tuning-cache failure, as one line.
public struct TuningError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// The first line of `error`'s description (the `summary` of an `OpenCLError`).
    public static func oneLine(_ error: any Error) -> String {
        if let error = error as? OpenCLError { return error.summary }
        return String(describing: error).split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "\(error)"
    }
}
