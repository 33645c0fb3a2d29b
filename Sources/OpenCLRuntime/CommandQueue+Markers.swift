import COpenCL

// Markers and raw profiling timestamps, for timing a span of commands (`diffnas bench`):
// on an in-order queue a marker completes once every command enqueued before it has, so the
// END times of two markers bracket everything enqueued between them — kernels launched by
// other libraries (CLBlast) included.

/// The four profiling timestamps of a command, in device nanoseconds.
public struct ProfilingTimes: Sendable, Hashable {
    public let queued: UInt64, submitted: UInt64, start: UInt64, end: UInt64
}

extension CommandQueue {
    /// Enqueues a marker (`clEnqueueMarkerWithWaitList` with no wait list: it waits for every
    /// command enqueued before it) and returns its event.
    public func enqueueMarker() throws -> Event {
        var event: cl_event?
        try clCheck(clEnqueueMarkerWithWaitList(handle, 0, nil, &event), "clEnqueueMarkerWithWaitList")
        guard let event else {
            throw OpenCLError(
                status: CL_INVALID_EVENT, call: "clEnqueueMarkerWithWaitList", location: "\(#fileID):\(#line)",
                detail: "no event returned")
        }
        return Event(handle: event)
    }
}

extension Event {
    /// Takes ownership of `handle` (one reference, released in `deinit`): for events returned by
    /// other libraries, e.g. CLBlast's `cl_event*` out-parameter.
    public convenience init(adopting handle: cl_event) { self.init(handle: handle) }

    /// Waits for the command, then reads its QUEUED, SUBMIT, START and END times.
    public func profilingTimes() throws -> ProfilingTimes {
        try wait()
        func read(_ parameter: Int32) throws -> UInt64 {
            try readInfo(cl_ulong.self, "clGetEventProfilingInfo") {
                clGetEventProfilingInfo(handle, cl_profiling_info(parameter), $0, $1, $2)
            }
        }
        return ProfilingTimes(
            queued: try read(CL_PROFILING_COMMAND_QUEUED), submitted: try read(CL_PROFILING_COMMAND_SUBMIT),
            start: try read(CL_PROFILING_COMMAND_START), end: try read(CL_PROFILING_COMMAND_END))
    }
}
