import Foundation
import OpenCLRuntime
import TensorCore

/// Reuses device buffers: creating a `cl_mem` per intermediate tensor costs far more than the
/// small kernels that fill it. Buffers are binned by byte size rounded up to a size class
/// (1/8 steps between powers of two), and idle buffers are capped at `maxIdleBytes`.
///
/// Safe with one in-order queue: a recycled buffer is only written by commands enqueued after
/// every command that read it.
final class BufferPool: @unchecked Sendable {
    let context: Context
    let maxIdleBytes: Int
    private var idle: [Int: [Buffer]] = [:]
    private var idleBytes = 0
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
        if var list = idle[size], let buffer = list.popLast() {
            idle[size] = list
            idleBytes -= size
            lock.unlock()
            return buffer
        }
        lock.unlock()
        return try Buffer(context: context, byteCount: size)
    }

    func recycle(_ buffer: Buffer) {
        memory.release(buffer.byteCount)
        lock.lock()
        defer { lock.unlock() }
        guard idleBytes + buffer.byteCount <= maxIdleBytes else { return }  // released by ARC
        idle[buffer.byteCount, default: []].append(buffer)
        idleBytes += buffer.byteCount
    }
}
