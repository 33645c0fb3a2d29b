import COpenCL

/// Reads one `clGet*Info` parameter of fixed-size type `T`.
func readInfo<T>(
    _ type: T.Type, _ call: StaticString,
    _ body: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
) throws -> T {
    let value = UnsafeMutablePointer<T>.allocate(capacity: 1)
    defer { value.deallocate() }
    try clCheck(body(MemoryLayout<T>.size, UnsafeMutableRawPointer(value), nil), call)
    return value.pointee
}

/// Reads one string `clGet*Info` parameter.
func readInfoString(
    _ call: StaticString,
    _ body: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
) throws -> String {
    var size = 0
    try clCheck(body(0, nil, &size), call)
    var bytes = [CChar](repeating: 0, count: max(size, 1))
    try bytes.withUnsafeMutableBytes { raw in try clCheck(body(size, raw.baseAddress, nil), call) }
    return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .trimmingCharacters(in: .whitespaces)
}

/// An OpenCL platform (one installed driver).
public struct Platform: @unchecked Sendable {
    public let id: cl_platform_id
    public let name: String
    public let vendor: String
    public let version: String

    init(_ id: cl_platform_id) throws {
        self.id = id
        func info(_ p: cl_platform_info) throws -> String {
            try readInfoString("clGetPlatformInfo") { clGetPlatformInfo(id, p, $0, $1, $2) }
        }
        name = try info(cl_platform_info(CL_PLATFORM_NAME))
        vendor = try info(cl_platform_info(CL_PLATFORM_VENDOR))
        version = try info(cl_platform_info(CL_PLATFORM_VERSION))
    }

    /// Every installed platform; empty when the ICD loader finds none.
    public static func all() throws -> [Platform] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || count == 0 { return [] }
        try clCheck(status, "clGetPlatformIDs")
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try clCheck(clGetPlatformIDs(count, &ids, nil), "clGetPlatformIDs")
        return try ids.compactMap { $0 }.map(Platform.init)
    }
}

/// One OpenCL device and the facts DiffNAS needs about it.
public struct Device: @unchecked Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case gpu = "GPU", cpu = "CPU", accelerator = "accelerator", other = "other" }

    public let id: cl_device_id
    public let platform: Platform
    public let name: String
    public let vendor: String
    public let driverVersion: String
    public let deviceVersion: String
    public let kind: Kind
    public let computeUnits: Int
    public let globalMemoryBytes: UInt64
    public let localMemoryBytes: UInt64
    public let maxAllocationBytes: UInt64
    public let maxWorkGroupSize: Int
    public let supportsFP64: Bool
    public let hasDedicatedLocalMemory: Bool
    /// Floats in one native vector register (CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT; PoCL: 16 with
    /// AVX-512, 8 with AVX2).
    public let nativeFloatVectorWidth: Int

    init(_ id: cl_device_id, platform: Platform) throws {
        self.id = id
        self.platform = platform
        func string(_ p: Int32) throws -> String {
            try readInfoString("clGetDeviceInfo") { clGetDeviceInfo(id, cl_device_info(p), $0, $1, $2) }
        }
        func value<T>(_ p: Int32, _ t: T.Type) throws -> T {
            try readInfo(t, "clGetDeviceInfo") { clGetDeviceInfo(id, cl_device_info(p), $0, $1, $2) }
        }
        name = try string(CL_DEVICE_NAME)
        vendor = try string(CL_DEVICE_VENDOR)
        driverVersion = try string(CL_DRIVER_VERSION)
        deviceVersion = try string(CL_DEVICE_VERSION)
        let type = try value(CL_DEVICE_TYPE, cl_device_type.self)
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 {
            kind = .gpu
        } else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 {
            kind = .cpu
        } else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 {
            kind = .accelerator
        } else {
            kind = .other
        }
        computeUnits = Int(try value(CL_DEVICE_MAX_COMPUTE_UNITS, cl_uint.self))
        globalMemoryBytes = try value(CL_DEVICE_GLOBAL_MEM_SIZE, cl_ulong.self)
        localMemoryBytes = try value(CL_DEVICE_LOCAL_MEM_SIZE, cl_ulong.self)
        maxAllocationBytes = try value(CL_DEVICE_MAX_MEM_ALLOC_SIZE, cl_ulong.self)
        maxWorkGroupSize = try value(CL_DEVICE_MAX_WORK_GROUP_SIZE, Int.self)
        let fp64 = try value(CL_DEVICE_DOUBLE_FP_CONFIG, cl_device_fp_config.self)
        supportsFP64 = fp64 != 0
        hasDedicatedLocalMemory = try value(CL_DEVICE_LOCAL_MEM_TYPE, cl_device_local_mem_type.self) == cl_device_local_mem_type(CL_LOCAL)
        nativeFloatVectorWidth = Int(try value(CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, cl_uint.self))
    }

    /// A stable key for caches: the device and driver that compiled a binary.
    public var cacheKey: String { "\(platform.name)|\(name)|\(driverVersion)|\(deviceVersion)" }

    public var description: String { "\(name) (\(vendor), \(kind.rawValue), \(platform.name) \(driverVersion))" }

    /// Every device of every platform, in platform order.
    public static func all() throws -> [Device] {
        var result: [Device] = []
        for platform in try Platform.all() {
            var count: cl_uint = 0
            let status = clGetDeviceIDs(platform.id, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count)
            if status == CL_DEVICE_NOT_FOUND || count == 0 { continue }
            try clCheck(status, "clGetDeviceIDs")
            var ids = [cl_device_id?](repeating: nil, count: Int(count))
            try clCheck(clGetDeviceIDs(platform.id, cl_device_type(CL_DEVICE_TYPE_ALL), count, &ids, nil), "clGetDeviceIDs")
            for id in ids.compactMap({ $0 }) { result.append(try Device(id, platform: platform)) }
        }
        return result
    }

    /// The device to use: `index` if given (else `DIFFNAS_DEVICE`), otherwise the first GPU,
    /// otherwise the first CPU device, otherwise the first device.
    public static func select(index: Int? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Device {
        let devices = try all()
        guard !devices.isEmpty else { throw NoOpenCLPlatformError() }
        var wanted = index
        if wanted == nil, let text = environment["DIFFNAS_DEVICE"] {
            guard let parsed = Int(text) else {
                throw DeviceSelectionError(message: "DIFFNAS_DEVICE=\(text) is not a device number (see `diffnas devices`)")
            }
            wanted = parsed
        }
        if let wanted {
            guard devices.indices.contains(wanted) else {
                throw DeviceSelectionError(
                    message:
                        "no OpenCL device \(wanted): \(devices.count) device(s) found, numbered 0...\(devices.count - 1) (see `diffnas devices`)"
                )
            }
            return devices[wanted]
        }
        return devices.first { $0.kind == .gpu } ?? devices.first { $0.kind == .cpu } ?? devices[0]
    }
}

/// A device number that does not exist, or a malformed `DIFFNAS_DEVICE`.
public struct DeviceSelectionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

import Foundation
