import COpenCL
import Foundation

/// One argument of a kernel launch.
public enum KernelArgument {
    case buffer(Buffer)
    case int(Int32)
    case uint(UInt32)
    case float(Float)
    /// `__local` scratch memory of this many bytes.
    case local(Int)
}

/// A kernel of a built program. Owns the `cl_kernel`.
///
/// `clSetKernelArg` is not thread-safe for one kernel object, so `launch` sets the arguments
/// and enqueues under this kernel's lock: one `Kernel` can be shared by threads.
public final class Kernel: @unchecked Sendable {
    public let handle: cl_kernel
    public let name: String
    public let program: Program
    private let lock = NSLock()

    public init(program: Program, name: String) throws {
        var status: cl_int = 0
        guard let handle = clCreateKernel(program.handle, name, &status), status == CL_SUCCESS else {
            throw OpenCLError(
                status: status, call: "clCreateKernel", location: "\(#fileID):\(#line)",
                detail: "kernel '\(name)' in \(program.name)")
        }
        self.handle = handle
        self.name = name
        self.program = program
    }

    deinit { clReleaseKernel(handle) }

    /// The kernel's parameter count (`CL_KERNEL_NUM_ARGS`).
    public func argumentCount() throws -> Int {
        var count: cl_uint = 0
        let status = clGetKernelInfo(handle, cl_kernel_info(CL_KERNEL_NUM_ARGS), MemoryLayout<cl_uint>.size, &count, nil)
        guard status == CL_SUCCESS else {
            throw OpenCLError(
                status: status, call: "clGetKernelInfo", location: "\(#fileID):\(#line)", detail: "\(name) CL_KERNEL_NUM_ARGS")
        }
        return Int(count)
    }

    #if DEBUG
    private lazy var checkedArgumentCount: Int? = try? argumentCount()
    #endif

    /// Sets `arguments` in order and enqueues the kernel over `global` work-items (rounded up
    /// to a multiple of `local` when given). Returns the command's event when `wantEvent`.
    @discardableResult
    public func launch(
        on queue: CommandQueue, global: [Int], local: [Int]? = nil,
        arguments: [KernelArgument], wantEvent: Bool = false
    ) throws -> Event? {
        precondition((1...3).contains(global.count) && (local == nil || local!.count == global.count))
        var globalSize = global
        if let local {
            for d in 0..<global.count { globalSize[d] = (global[d] + local[d] - 1) / local[d] * local[d] }
        }
        if globalSize.contains(0) { return nil }
        lock.lock()
        defer { lock.unlock() }
        #if DEBUG
        // Debug builds (the tests) check the host's argument list against the kernel's signature.
        if let expected = checkedArgumentCount, expected != arguments.count {
            throw OpenCLError(
                status: CL_INVALID_KERNEL_ARGS, call: "Kernel.launch", location: "\(#fileID):\(#line)",
                detail: "\(name) takes \(expected) arguments, the host passed \(arguments.count)")
        }
        #endif
        for (index, argument) in arguments.enumerated() {
            let status: cl_int
            switch argument {
            case .buffer(let buffer):
                var mem: cl_mem? = buffer.handle
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<cl_mem>.size, &mem)
            case .int(let value):
                var v = value
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<Int32>.size, &v)
            case .uint(let value):
                var v = value
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<UInt32>.size, &v)
            case .float(let value):
                var v = value
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<Float>.size, &v)
            case .local(let bytes):
                status = clSetKernelArg(handle, cl_uint(index), bytes, nil)
            }
            if status != CL_SUCCESS {
                throw OpenCLError(
                    status: status, call: "clSetKernelArg", location: "\(#fileID):\(#line)",
                    detail: "\(name) argument \(index)")
            }
        }
        var event: cl_event?
        let status: cl_int = globalSize.withUnsafeBufferPointer { g in
            withUnsafeMutablePointer(to: &event) { eventPointer in
                let out = wantEvent ? eventPointer : nil
                if let local {
                    return local.withUnsafeBufferPointer { l in
                        clEnqueueNDRangeKernel(queue.handle, handle, cl_uint(global.count), nil, g.baseAddress, l.baseAddress, 0, nil, out)
                    }
                }
                return clEnqueueNDRangeKernel(queue.handle, handle, cl_uint(global.count), nil, g.baseAddress, nil, 0, nil, out)
            }
        }
        if status != CL_SUCCESS {
            throw OpenCLError(
                status: status, call: "clEnqueueNDRangeKernel", location: "\(#fileID):\(#line)",
                detail: "\(name) global \(globalSize) local \(local.map { "\($0)" } ?? "auto")")
        }
        return event.map(Event.init(handle:))
    }
}
