import COpenCL
import Foundation

/// A built OpenCL program. Owns the `cl_program`; released in `deinit`.
public final class Program: @unchecked Sendable {
    public let handle: cl_program
    public let context: Context
    /// Name used in error messages (the kernel file, e.g. "gemm.cl").
    public let name: String
    public let options: String

    private init(handle: cl_program, context: Context, name: String, options: String) {
        self.handle = handle
        self.context = context
        self.name = name
        self.options = options
    }

    deinit { clReleaseProgram(handle) }

    /// Compiles `source` for the context's device with `options` (e.g. "-D TILE=8").
    public static func build(source: String, name: String, options: String, context: Context) throws -> Program {
        var status: cl_int = 0
        let handle: cl_program? = source.withCString { cString in
            var pointer: UnsafePointer<CChar>? = cString
            var length = strlen(cString)
            return clCreateProgramWithSource(context.handle, 1, &pointer, &length, &status)
        }
        guard let handle, status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateProgramWithSource", location: "\(#fileID):\(#line)", detail: name)
        }
        let program = Program(handle: handle, context: context, name: name, options: options)
        try program.finishBuild()
        return program
    }

    /// Recreates a program from a binary this device produced earlier.
    public static func load(binary: [UInt8], name: String, options: String, context: Context) throws -> Program {
        var status: cl_int = 0
        var binaryStatus: cl_int = 0
        var deviceID: cl_device_id? = context.device.id
        var length = binary.count
        let handle: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return clCreateProgramWithBinary(context.handle, 1, &deviceID, &length, &pointer, &binaryStatus, &status)
        }
        guard let handle, status == CL_SUCCESS, binaryStatus == CL_SUCCESS else {
            throw OpenCLError(
                status: status != CL_SUCCESS ? status : binaryStatus, call: "clCreateProgramWithBinary",
                location: "\(#fileID):\(#line)", detail: name)
        }
        let program = Program(handle: handle, context: context, name: name, options: options)
        try program.finishBuild()
        return program
    }

    private func finishBuild() throws {
        var deviceID: cl_device_id? = context.device.id
        let status = clBuildProgram(handle, 1, &deviceID, options, nil, nil)
        if status != CL_SUCCESS {
            throw OpenCLError(
                status: status, call: "clBuildProgram", location: "\(#fileID):\(#line)",
                buildLog: buildLog(), detail: "\(name) with options '\(options)'")
        }
    }

    /// The compiler's log for this device.
    public func buildLog() -> String {
        (try? readInfoString("clGetProgramBuildInfo") {
            clGetProgramBuildInfo(handle, context.device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), $0, $1, $2)
        }) ?? ""
    }

    /// The device binary, for the on-disk cache.
    public func binary() throws -> [UInt8] {
        let size = try readInfo(Int.self, "clGetProgramInfo") {
            clGetProgramInfo(handle, cl_program_info(CL_PROGRAM_BINARY_SIZES), $0, $1, $2)
        }
        guard size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: size)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            try withUnsafeMutablePointer(to: &pointer) { pp in
                try clCheck(
                    clGetProgramInfo(
                        handle, cl_program_info(CL_PROGRAM_BINARIES),
                        MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, pp, nil), "clGetProgramInfo")
            }
        }
        return bytes
    }
}
