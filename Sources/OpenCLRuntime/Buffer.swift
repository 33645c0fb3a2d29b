import COpenCL

/// A device buffer of `byteCount` bytes. Owns its `cl_mem` and releases it in `deinit`.
public final class Buffer: @unchecked Sendable {
    public let handle: cl_mem
    public let byteCount: Int

    public init(context: Context, byteCount: Int, flags: cl_mem_flags = cl_mem_flags(CL_MEM_READ_WRITE)) throws {
        var status: cl_int = 0
        // OpenCL rejects zero-sized buffers; an empty tensor still gets a valid handle.
        let size = max(byteCount, 4)
        guard let handle = clCreateBuffer(context.handle, flags, size, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError(
                status: status, call: "clCreateBuffer", location: "\(#fileID):\(#line)",
                detail: "\(byteCount) bytes")
        }
        self.handle = handle
        self.byteCount = byteCount
    }

    deinit { clReleaseMemObject(handle) }

    /// Copies `values` into the buffer starting at element `offset` (blocking).
    public func write<T>(_ values: [T], offset: Int = 0, queue: CommandQueue) throws {
        let bytes = values.count * MemoryLayout<T>.stride
        precondition(offset * MemoryLayout<T>.stride + bytes <= byteCount, "write past end of buffer")
        guard bytes > 0 else { return }
        try values.withUnsafeBytes { raw in
            try clCheck(
                clEnqueueWriteBuffer(
                    queue.handle, handle, cl_bool(CL_TRUE), offset * MemoryLayout<T>.stride,
                    bytes, raw.baseAddress, 0, nil, nil), "clEnqueueWriteBuffer")
        }
    }

    /// Reads `count` elements starting at element `offset` (blocking).
    public func read<T>(_ type: T.Type, count: Int, offset: Int = 0, queue: CommandQueue) throws -> [T] {
        let bytes = count * MemoryLayout<T>.stride
        precondition(offset * MemoryLayout<T>.stride + bytes <= byteCount, "read past end of buffer")
        guard count > 0 else { return [] }
        return try [T](unsafeUninitializedCapacity: count) { out, initialized in
            try clCheck(
                clEnqueueReadBuffer(
                    queue.handle, handle, cl_bool(CL_TRUE), offset * MemoryLayout<T>.stride,
                    bytes, UnsafeMutableRawPointer(out.baseAddress), 0, nil, nil), "clEnqueueReadBuffer")
            initialized = count
        }
    }

    /// Enqueues a device-side copy of `byteCount` bytes from `source`.
    public func copy(from source: Buffer, byteCount: Int, sourceOffset: Int = 0, destinationOffset: Int = 0, queue: CommandQueue) throws {
        guard byteCount > 0 else { return }
        try clCheck(
            clEnqueueCopyBuffer(
                queue.handle, source.handle, handle, sourceOffset, destinationOffset,
                byteCount, 0, nil, nil), "clEnqueueCopyBuffer")
    }
}
