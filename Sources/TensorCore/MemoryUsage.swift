import Foundation

/// Tensor storage a backend holds: now, and at most since the last reset.
public struct MemoryUsage: Sendable, Equatable {
    public let currentBytes: Int
    public let peakBytes: Int
    public init(currentBytes: Int, peakBytes: Int) { self.currentBytes = currentBytes; self.peakBytes = peakBytes }
}

/// A thread-safe counter of live bytes and their peak.
public final class MemoryCounter: @unchecked Sendable {
    private var current = 0
    private var peak = 0
    private let lock = NSLock()

    public init() {}

    public func allocate(_ bytes: Int) {
        lock.withLock {
            current += bytes
            peak = max(peak, current)
        }
    }

    public func release(_ bytes: Int) { lock.withLock { current -= bytes } }

    public var usage: MemoryUsage { lock.withLock { MemoryUsage(currentBytes: current, peakBytes: peak) } }

    public func resetPeak() { lock.withLock { peak = current } }
}
