import Foundation
import OpenCLBackend
import OpenCLRuntime
import TensorCore
import Testing
import _TestSupport

@Suite("OpenCL runtime", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct RuntimeTests {
    @Test func enumeratesDevicesWithFacts() throws {
        let devices = try Device.all()
        #expect(!devices.isEmpty)
        for device in devices {
            #expect(!device.name.isEmpty)
            #expect(device.computeUnits >= 1)
            #expect(device.globalMemoryBytes > 0)
            #expect(device.maxWorkGroupSize >= 1)
        }
    }

    @Test func selectRejectsUnknownDeviceNumber() throws {
        #expect(throws: DeviceSelectionError.self) { try Device.select(index: 999) }
        #expect(throws: DeviceSelectionError.self) { try Device.select(environment: ["DIFFNAS_DEVICE": "gpu"]) }
        let count = try Device.all().count
        #expect(try Device.select(environment: ["DIFFNAS_DEVICE": "\(count - 1)"]).id == Device.all()[count - 1].id)
    }

    @Test func bufferRoundTripAndFill() throws {
        let backend = try SharedBackends.requireOpenCL()
        let values: [Float] = (0..<1000).map { Float($0) * 0.5 - 7 }
        let t = try backend.upload(values, shape: [10, 100])
        #expect(try backend.download(t) == values)
        try backend.fill(t, with: 3.25)
        #expect(try backend.download(t) == [Float](repeating: 3.25, count: 1000))
        let u = try backend.zeros([7])
        #expect(try backend.download(u) == [Float](repeating: 0, count: 7))
        let empty = try backend.zeros([0, 3])
        #expect(try backend.download(empty).isEmpty)
    }

    @Test func buildFailureCarriesCLNameAndLog() throws {
        let backend = try SharedBackends.requireOpenCL()
        let cache = ProgramCache(context: backend.context, directory: nil)
        do {
            _ = try cache.program(source: "__kernel void broken(__global float* x) { x[0] = undefined_symbol; }", name: "broken.cl")
            Issue.record("a broken kernel built")
        } catch let error as OpenCLError {
            #expect(error.statusName == "CL_BUILD_PROGRAM_FAILURE")
            #expect(error.call == "clBuildProgram")
            #expect(error.buildLog?.contains("undefined_symbol") == true)
            #expect(error.description.contains("broken.cl"))
        }
    }

    @Test func programsAreBuiltOnceAndCachedOnDisk() throws {
        let backend = try SharedBackends.requireOpenCL()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffnas-cache-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }"
        let first = ProgramCache(context: backend.context, directory: dir)
        let a = try first.program(source: source, name: "twice.cl", defines: ["A": "1"])
        let b = try first.program(source: source, name: "twice.cl", defines: ["A": "1"])
        #expect(a === b)
        #expect(first.compileCount == 1)
        _ = try first.program(source: source, name: "twice.cl", defines: ["A": "2"])
        #expect(first.compileCount == 2)
        // A new process (a new cache on the same folder) loads the binaries instead of compiling.
        let second = ProgramCache(context: backend.context, directory: dir)
        let c = try second.program(source: source, name: "twice.cl", defines: ["A": "1"])
        #expect(second.compileCount == 0)
        #expect(second.diskHitCount == 1)
        let kernel = try Kernel(program: c, name: "twice")
        let x = try backend.upload([1, 2, 3], shape: [3])
        let storage = try #require(x.storage as? OpenCLStorage)
        try kernel.launch(on: backend.queue, global: [3], arguments: [.buffer(storage.buffer)])
        #expect(try backend.download(x) == [2, 4, 6])
    }

    @Test func corruptDiskBinaryFallsBackToSource() throws {
        let backend = try SharedBackends.requireOpenCL()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffnas-cache-corrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = "__kernel void k(__global float* x) { x[0] = 1.0f; }"
        _ = try ProgramCache(context: backend.context, directory: dir).program(source: source, name: "k.cl")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            try Data("garbage".utf8).write(to: dir.appendingPathComponent(file))
        }
        let cache = ProgramCache(context: backend.context, directory: dir)
        _ = try cache.program(source: source, name: "k.cl")
        #expect(cache.compileCount == 1)
    }
}

/// Debug builds check a launch's argument list against the kernel's signature, and sizes beyond
/// the kernels' 32-bit indices are refused with an error instead of a trap.
@Suite("Kernel arguments", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct KernelArgumentTests {
    @Test func wrongArgumentCountIsRefusedInDebugBuilds() throws {
        let backend = try SharedBackends.requireOpenCL()
        let source = "__kernel void twice(__global float* x, const int n) { const int i = get_global_id(0); if (i < n) x[i] *= 2.0f; }"
        let program = try Program.build(source: source, name: "twice.cl", options: "", context: backend.context)
        let kernel = try Kernel(program: program, name: "twice")
        #expect(try kernel.argumentCount() == 2)
        let buffer = try Buffer(context: backend.context, byteCount: 16)
        try kernel.launch(on: backend.queue, global: [4], arguments: [.buffer(buffer), .int(4)])
        #if DEBUG
        #expect(throws: OpenCLError.self) { try kernel.launch(on: backend.queue, global: [4], arguments: [.buffer(buffer)]) }
        #endif
        try backend.queue.finish()
    }
}
