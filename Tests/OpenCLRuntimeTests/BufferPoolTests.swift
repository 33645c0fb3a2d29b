import OpenCLRuntime
import TensorCore
import Testing
import _TestSupport

@testable import OpenCLBackend

/// The backend's buffer pool: size classes, reuse of a returned buffer, and the idle cap, which
/// evicts the least recently returned buffers so that a later workload keeps its own. Checks
/// which buffers are kept, never times.
@Suite("Buffer pool", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct BufferPoolTests {
    static func pool(maxIdleBytes: Int) throws -> BufferPool {
        BufferPool(context: try SharedBackends.requireOpenCL().context, maxIdleBytes: maxIdleBytes)
    }

    @Test func sizeClassesStepByAnEighthBetweenPowersOfTwo() {
        #expect(BufferPool.sizeClass(1) == 256 && BufferPool.sizeClass(256) == 256)
        #expect(BufferPool.sizeClass(257) == 512)
        // Between 4096 and 8192 the step is 512.
        #expect(BufferPool.sizeClass(4097) == 4608 && BufferPool.sizeClass(4608) == 4608 && BufferPool.sizeClass(4609) == 5120)
        #expect(BufferPool.sizeClass(1 << 20) == 1 << 20 && BufferPool.sizeClass((1 << 20) + 1) == (1 << 20) + (1 << 17))
    }

    @Test func aReturnedBufferIsHandedOutAgainForItsSizeClass() throws {
        let pool = try Self.pool(maxIdleBytes: 1 << 20)
        let first = try pool.take(byteCount: 1000)
        let handle = first.handle
        pool.recycle(first)
        #expect(pool.idleSizes == [1024])
        let again = try pool.take(byteCount: 1020)  // same class (1024)
        #expect(again.handle == handle && pool.idleSizes.isEmpty)
        let other = try pool.take(byteCount: 2000)  // another class: a new buffer
        #expect(other.handle != handle && other.byteCount == 2048)
        #expect(pool.memory.usage.currentBytes == 1024 + 2048)
        pool.recycle(again)
        pool.recycle(other)
        #expect(pool.memory.usage.currentBytes == 0 && pool.idleSizes == [1024, 2048])
    }

    /// A cap of 8 KiB holding two 4 KiB buffers: returning a third evicts the one returned first,
    /// not the new one, and the next workload's size then comes from the pool.
    @Test func theIdleCapEvictsTheLeastRecentlyReturned() throws {
        let pool = try Self.pool(maxIdleBytes: 8192)
        let old = try pool.take(byteCount: 4096), older = try pool.take(byteCount: 4096)
        pool.recycle(older)
        pool.recycle(old)
        #expect(pool.idleSizes == [4096, 4096])
        let new = try pool.take(byteCount: 4608)
        let newHandle = new.handle
        // 4096 + 4096 + 4608 > 8192: the first 4096 returned goes, then the second.
        pool.recycle(new)
        #expect(pool.idleSizes == [4608])
        #expect(try pool.take(byteCount: 4608).handle == newHandle)
        // A buffer larger than the whole cap is never kept, and evicts nothing.
        pool.recycle(try pool.take(byteCount: 1024))
        pool.recycle(try pool.take(byteCount: 16384))
        #expect(pool.idleSizes == [1024])
    }
}
