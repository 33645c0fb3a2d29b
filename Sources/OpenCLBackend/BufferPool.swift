import Foundation
import OpenCLRuntime
import TensorCore

/// Reuses device buffers: creating a `cl_mem` per intermediate tensor costs far more than the
/// small kernels that fill it. Buffers are binned by byte size rounded up to a size class
/// (1/8 steps between powers of two), and idle buffers are capped at `maxIdleBytes`: a buffer
/// that does not fit evicts the least recently returned idle ones, so a workload that follows
/// another (a search after a benchmark, the retraining arms after the search) gets its own
/// buffers kept, not the earlier workload's (keeping the old ones and dropping each new buffer
/// made every step allocate afresh: on PoCL a new buffer's first touch faults in its pages, and
/// the memory-bound kernels of the DMS step ran 4–6× slower after the other bench suites).
///
/// Safe with one in-order queue: a recycled buffer is only written by commands enqueued after
/// every command that read it.
final class BufferPool: @unchecked Sendable {
    let context: Context
    let maxIdleBytes: Int
    /// Idle buffers per size class, each with the `returns` count when it came back (oldest first).
    private var idle: [Int: [(buffer: Buffer, returned: Int)]] = [:]
    private var idleBytes = 0
    private var returns = 0
    private let lock = NSLock()
    /// Bytes of buffers handed out and not yet returned, and their peak.
    let memory = MemoryCounter()

    init(context: Context, maxIdleBytes: Int = 1 << 30) {
        self.context = context
        self.maxIdleBytes = maxIdleBytes
    }

    /// The allocation size used for a request of `bytes`.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes > 256 else { return 256 }
        let top = Int.bitWidth - (bytes - 1).leadingZeroBitCount  // 2^top ≥ bytes
        let step = max(1 << (top - 4), 256)
        return (bytes + step - 1) / step * step
    }

    func take(byteCount: Int) throws -> Buffer {
        let size = BufferPool.sizeClass(byteCount)
        memory.allocate(size)
        lock.lock()
        if var list = idle[size], let entry = list.popLast() {
            idle[size] = list.isEmpty ? nil : list
            idleBytes -= size
            lock.unlock()
            return entry.buffer
        }
        lock.unlock()
        return try Buffer(context: context, byteCount: size)
    }

    func recycle(_ buffer: Buffer) {
        memory.release(buffer.byteCount)
        lock.lock()
        defer { lock.unlock() }
        guard buffer.byteCount <= maxIdleBytes else { return }  // released by ARC
        // Evict the least recently returned idle buffers until this one fits (released by ARC).
        while idleBytes + buffer.byteCount > maxIdleBytes,
            let oldest = idle.min(by: { $0.value[0].returned < $1.value[0].returned })?.key
        {
            let evicted = idle[oldest]!.removeFirst()
            if idle[oldest]!.isEmpty { idle[oldest] = nil }
            idleBytes -= evicted.buffer.byteCount
        }
        returns += 1
        idle[buffer.byteCount, default: []].append((buffer, returns))
        idleBytes += buffer.byteCount
    }

    /// The byte sizes of the idle buffers, least recently returned first (for tests).
    var idleSizes: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return idle.values.flatMap { $0 }.sorted { $0.returned < $1.returned }.map(\.buffer.byteCount)
    }
}
