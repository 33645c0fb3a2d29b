import Foundation
import OpenCLRuntime

// How a backend gets its `DeviceTuning` (see TuningPolicy, TuningCache, KernelTuner).
extension OpenCLBackend {
    /// The kernel files whose tunables `KernelTuner` chooses, and those its algorithm slots time
    /// whole passes with (conv_rows.cl's and conv_channels.cl's kernels run inside the direct
    /// algorithm); their text is part of `TuningKey`, so a change to any of them re-measures.
    static let tunedKernelFiles = ["gemm.cl", "conv_direct.cl", "conv_rows.cl", "conv_channels.cl"]

    /// The key of tuning results for `device` with the kernels this build runs.
    public static func tuningKey(for device: Device) throws -> TuningKey {
        let sources = try tunedKernelFiles.map { "\($0)\u{0}" + (try kernelSource($0)) }
        return TuningKey(device: device, kernelDigest: ProgramCache.digest(sources.joined(separator: "\u{0}")))
    }

    /// The key of tuning results for this backend's device.
    public func tuningKey() throws -> TuningKey { try Self.tuningKey(for: device) }

    /// The tuning `policy` gives (`TuningCache.resolve`), searching with `KernelTuner` on this
    /// backend when needed; notes and warnings go to standard error as single lines.
    func resolveTuning(_ policy: TuningPolicy, cache: TuningCache) -> DeviceTuning {
        let log = { (line: String) in FileHandle.standardError.write(Data(("diffnas: " + line + "\n").utf8)) }
        let key: TuningKey
        do { key = try tuningKey() } catch {
            log("warning: cannot read the tuned kernels' sources (\(TuningError.oneLine(error))); using the built-in tuning defaults")
            return DeviceTuning(device: device)
        }
        return cache.resolve(policy, key: key, device: device, tune: { try KernelTuner(backend: self).run() }, log: log)
    }
}
