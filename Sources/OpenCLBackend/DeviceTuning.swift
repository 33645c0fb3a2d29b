import OpenCLRuntime

/// Kernel shape choices per device, passed to kernels as `-D` defines.
///
/// CPU devices (PoCL) run one work-item per core lane with no real local memory: they want
/// register-blocked tiles and no `__local` staging. GPUs want work-groups sharing `__local`
/// tiles. Kernels read these as defines with `#ifndef` defaults, so each file still compiles alone.
public struct DeviceTuning: Sendable {
    public let isCPU: Bool
    public let usesLocalMemoryTiles: Bool

    public init(device: Device) {
        isCPU = device.kind == .cpu
        usesLocalMemoryTiles = device.kind != .cpu && device.hasDedicatedLocalMemory
    }
}
