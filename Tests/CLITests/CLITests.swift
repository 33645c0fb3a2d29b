import Foundation
import TensorCore
import Testing
import _TestSupport

/// The `diffnas` executable run as a user runs it.
/// Each test runs child processes: a hang fails after 10 minutes instead of stalling CI.
@Suite(.timeLimit(.minutes(10))) struct CLITests {
    @Test func devicesListsAtLeastOneDeviceAsJSON() throws {
        let result = try runDiffNAS(["devices", "--json"])
        guard result.status == 0 else {
            // Only acceptable without any OpenCL platform, with the one-line install hint.
            #expect(result.standardError.contains("no OpenCL platform found"))
            return
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
        #expect(!json.isEmpty)
        for key in [
            "name", "vendor", "type", "driver", "computeUnits", "globalMemoryBytes", "localMemoryBytes", "maxWorkGroupSize", "fp64",
        ] {
            #expect(json[0][key] != nil, "missing \(key)")
        }
        let table = try runDiffNAS(["devices"])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains("compute") || table.standardOutput.contains("CUs"))
    }

    @Test func badDeviceNumberIsAOneLineError() throws {
        let result = try runDiffNAS(["op", "relu", "--in", "/nonexistent.npy", "--out", "/tmp/x.npy", "--device", "99"])
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "expected one line, got: \(result.standardError)")
    }

    @Test(arguments: ["reference", "opencl"])
    func opRunsOnNpyFiles(backend: String) throws {
        if backend == "opencl" && !SharedBackends.openCLAvailable { return }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x: [Float] = [-2, -0.5, 0, 0.5, 3, -1]
        try NPYFile.write(shape: [2, 3], values: x, to: dir.appendingPathComponent("x.npy"))
        let out = dir.appendingPathComponent("y.npy")
        let result = try runDiffNAS([
            "op", "scale", "--in", dir.appendingPathComponent("x.npy").path, "--out", out.path,
            "--param", "s=2", "--backend", backend,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let (shape, values) = try NPYFile.read(contentsOf: out)
        #expect(shape == [2, 3])
        #expect(values == x.map { $0 * 2 })
    }

    @Test func malformedNpyIsAOneLineError() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, Data, String)] = [
            ("garbage.npy", Data("not a numpy file at all".utf8), "bad magic"),
            ("truncated.npy", NPYFile.encode(shape: [4, 4], values: [Float](repeating: 1, count: 16)).dropLast(8), "truncated data"),
        ]
        for (name, data, expected) in cases {
            let path = dir.appendingPathComponent(name)
            try data.write(to: path)
            let result = try runDiffNAS([
                "op", "relu", "--in", path.path, "--out", dir.appendingPathComponent("y.npy").path,
                "--backend", "reference",
            ])
            #expect(result.status != 0)
            let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
            #expect(
                lines.count == 1 && result.standardError.contains(expected) && result.standardError.contains(name),
                "got: \(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("y.npy").path))
        }
    }

    @Test func wrongShapeIsAOneLineError() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try NPYFile.write(shape: [2, 3], values: [Float](repeating: 1, count: 6), to: dir.appendingPathComponent("a.npy"))
        try NPYFile.write(shape: [2, 3], values: [Float](repeating: 1, count: 6), to: dir.appendingPathComponent("b.npy"))
        let result = try runDiffNAS([
            "op", "gemm", "--in", dir.appendingPathComponent("a.npy").path, "--in", dir.appendingPathComponent("b.npy").path,
            "--out", dir.appendingPathComponent("c.npy").path, "--backend", "reference",
        ])
        #expect(result.status != 0)
        #expect(result.standardError.split(separator: "\n").filter { !$0.isEmpty }.count == 1, "got: \(result.standardError)")
        #expect(result.standardError.contains("gemm"))
    }

    @Test func unknownOperationAndParameterAreRejected() throws {
        let unknown = try runDiffNAS(["op", "frobnicate", "--in", "a.npy", "--out", "b.npy"])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("unknown operation 'frobnicate'"))
        let badParam = try runDiffNAS(["op", "relu", "--in", "a.npy", "--out", "b.npy", "--param", "color=red"])
        #expect(badParam.status != 0)
        #expect(badParam.standardError.contains("no parameter 'color'"))
    }

    @Test func opHelpListsEveryOperation() throws {
        let result = try runDiffNAS(["op", "--help"])
        for name in [
            "gemm", "conv2d", "conv2d-backward-weight", "batchnorm-train", "maxpool2d", "softmax-cross-entropy",
            "rank-normalize", "soft-mask", "taylor-update", "sgd-step", "adam-step", "sum",
        ] {
            #expect(result.standardOutput.contains(name), "op --help does not list \(name)")
        }
    }
}
