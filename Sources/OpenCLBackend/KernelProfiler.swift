import Foundation
import OpenCLRuntime

/// Collects device time per kernel name from OpenCL profiling events while attached to an
/// `OpenCLBackend` (`backend.profiler = KernelProfiler()`).
public final class KernelProfiler: @unchecked Sendable {
    private var pending: [(String, Event)] = []
    private var totals: [String: (nanoseconds: UInt64, launches: Int)] = [:]
    private let lock = NSLock()

    public init() {}

    func record(kernel: String, event: Event) {
        lock.lock()
        pending.append((kernel, event))
        let flush = pending.count >= 4096
        lock.unlock()
        if flush { try? resolve() }
    }

    /// Waits for the recorded events and folds their durations into the totals.
    public func resolve() throws {
        lock.lock()
        let events = pending
        pending.removeAll()
        lock.unlock()
        var partial: [String: (UInt64, Int)] = [:]
        for (name, event) in events {
            let ns = try event.durationNanoseconds()
            partial[name, default: (0, 0)].0 += ns
            partial[name, default: (0, 0)].1 += 1
        }
        lock.lock()
        for (name, value) in partial {
            let old = totals[name] ?? (0, 0)
            totals[name] = (old.nanoseconds + value.0, old.launches + value.1)
        }
        lock.unlock()
    }

    /// Per-kernel totals, slowest first.
    public func summary() throws -> [(kernel: String, milliseconds: Double, launches: Int)] {
        try resolve()
        lock.lock()
        defer { lock.unlock() }
        return totals.map { (kernel: $0.key, milliseconds: Double($0.value.nanoseconds) / 1e6, launches: $0.value.launches) }
            .sorted { $0.milliseconds > $1.milliseconds }
    }

    public func reset() {
        lock.lock()
        pending.removeAll()
        totals.removeAll()
        lock.unlock()
    }
}
