import Foundation
import OpenCLRuntime
import Testing
import _TestSupport
@testable import OpenCLBackend

/// The house rule for `Kernels/*.cl`: every file compiles alone with no `-D` (its `#ifndef`
/// defaults make it complete), and those defaults are the tuner's defaults, so the file read on
/// its own describes what runs untuned.
@Suite(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct KernelSourceTests {
    @Test func everyKernelFileCompilesAloneWithoutDefines() throws {
        let context = try SharedBackends.requireOpenCL().context
        #expect(KernelSources.all.count >= 13)
        for (file, source) in KernelSources.all.sorted(by: { $0.key < $1.key }) {
            do { _ = try Program.build(source: source, name: file, options: "", context: context) } catch {
                Issue.record("\(file) does not compile alone: \(error)")
            }
        }
    }

    /// `#ifndef NAME` / `#define NAME value` in `file`.
    static func defaultValue(_ name: String, in file: String) -> Int? {
        let lines = (KernelSources.all[file] ?? "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (i, line) in lines.enumerated() where line == "#ifndef \(name)" && i + 1 < lines.count {
            let parts = lines[i + 1].split(separator: " ")
            if parts.count == 3, parts[0] == "#define", parts[1] == name { return Int(parts[2]) }
        }
        return nil
    }

    @Test func kernelDefaultsAreTheTunersDefaults() {
        let d = KernelTunables.defaults
        let expected: [(String, String, Int)] = [
            ("gemm.cl", "TM", d.registerTile.rows), ("gemm.cl", "NV", d.registerTile.vectors), ("gemm.cl", "VW", d.registerTile.lanes),
            ("gemm.cl", "TS_M", d.localTile.tileM), ("gemm.cl", "TS_N", d.localTile.tileN), ("gemm.cl", "TS_K", d.localTile.tileK),
            ("gemm.cl", "WPT_M", d.localTile.workM), ("gemm.cl", "WPT_N", d.localTile.workN),
            ("conv_direct.cl", "OCB", d.directOutputChannels), ("conv_direct.cl", "VECS", d.directVectors),
            ("conv_direct.cl", "OCB", d.weightGradientBlock.outputChannels), ("conv_direct.cl", "KWB", d.weightGradientBlock.taps),
        ]
        for (file, name, value) in expected {
            #expect(
                Self.defaultValue(name, in: file) == value,
                "\(file): #define \(name) is \(Self.defaultValue(name, in: file).map(String.init) ?? "missing"), the tuner's default is \(value)"
            )
        }
    }
}
