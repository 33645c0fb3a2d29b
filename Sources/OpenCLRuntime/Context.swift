import COpenCL

/// An OpenCL context on one device. Owns the `cl_context`; released in `deinit`.
public final class Context: @unchecked Sendable {
    public let handle: cl_context
    public let device: Device

    public init(device: Device) throws {
        var status: cl_int = 0
        var deviceID: cl_device_id? = device.id
        guard let handle = clCreateContext(nil, 1, &deviceID, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateContext", location: "\(#fileID):\(#line)")
        }
        self.handle = handle
        self.device = device
    }

    deinit { clReleaseContext(handle) }
}

/// An in-order command queue with profiling enabled. Owns the `cl_command_queue`.
///
/// OpenCL's enqueue calls are thread-safe; setting kernel arguments is not, which is why the
/// backend serializes launches of a shared `Kernel` (see `Kernel.launch`).
public final class CommandQueue: @unchecked Sendable {
    public let handle: cl_command_queue
    public let context: Context

    public init(context: Context, profiling: Bool = true) throws {
        var status: cl_int = 0
        let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        guard let handle = clCreateCommandQueue(context.handle, context.device.id, properties, &status), status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateCommandQueue", location: "\(#fileID):\(#line)")
        }
        self.handle = handle
        self.context = context
    }

    deinit { clReleaseCommandQueue(handle) }

    /// Blocks until every enqueued command has finished.
    public func finish() throws { try clCheck(clFinish(handle), "clFinish") }

    /// Submits enqueued commands without waiting.
    public func flush() throws { try clCheck(clFlush(handle), "clFlush") }
}

/// A completed or pending command; gives profiling times when the queue profiles.
public final class Event: @unchecked Sendable {
    public let handle: cl_event

    init(handle: cl_event) { self.handle = handle }
    deinit { clReleaseEvent(handle) }

    public func wait() throws {
        var h: cl_event? = handle
        try clCheck(clWaitForEvents(1, &h), "clWaitForEvents")
    }

    /// Device time from start to end of the command, in nanoseconds.
    public func durationNanoseconds() throws -> UInt64 {
        try wait()
        let start = try readInfo(cl_ulong.self, "clGetEventProfilingInfo") {
            clGetEventProfilingInfo(handle, cl_profiling_info(CL_PROFILING_COMMAND_START), $0, $1, $2)
        }
        let end = try readInfo(cl_ulong.self, "clGetEventProfilingInfo") {
            clGetEventProfilingInfo(handle, cl_profiling_info(CL_PROFILING_COMMAND_END), $0, $1, $2)
        }
        return end >= start ? end - start : 0
    }
}
