import ArgumentParser
import Foundation
import OpenCLBackend
import OpenCLRuntime

/// `diffnas devices`: every OpenCL device with the facts that matter for choosing one.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL devices (the number is what --device takes)."
    )

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let devices: [Device]
        do { devices = try Device.all() } catch let error as OpenCLError {
            throw CLIError("cannot list OpenCL devices: \(error.summary)")
        }
        guard !devices.isEmpty else { throw CLIError(NoOpenCLPlatformError().description) }
        let selected = try? Device.select()
        let tuning = devices.map(Self.cachedTuning)
        if json {
            let objects: [[String: Any]] = devices.enumerated().map { index, d in
                [
                    "index": index, "name": d.name, "vendor": d.vendor, "type": d.kind.rawValue, "platform": d.platform.name,
                    "driver": d.driverVersion, "version": d.deviceVersion, "computeUnits": d.computeUnits,
                    "globalMemoryBytes": d.globalMemoryBytes, "localMemoryBytes": d.localMemoryBytes,
                    "maxWorkGroupSize": d.maxWorkGroupSize, "fp64": d.supportsFP64, "nativeFloatVectorWidth": d.nativeFloatVectorWidth,
                    "default": selected.map { $0.id == d.id } ?? false, "tuning": tuning[index].map { $0 as Any } ?? NSNull(),
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var table = TextTable(["#", "name", "vendor", "type", "driver", "CUs", "global mem", "local mem", "max WG", "fp64", "tuning"])
        for (index, d) in devices.enumerated() {
            let mark = selected.map { $0.id == d.id } ?? false ? "*" : ""
            table.add([
                "\(index)\(mark)", d.name, d.vendor, d.kind.rawValue, "\(d.platform.name) \(d.driverVersion)",
                "\(d.computeUnits)", formatBytes(d.globalMemoryBytes), formatBytes(d.localMemoryBytes),
                "\(d.maxWorkGroupSize)", d.supportsFP64 ? "yes" : "no", tuning[index] ?? "defaults",
            ])
        }
        print(table.render())
        print("* default device (override with --device N or DIFFNAS_DEVICE=N); tuning: the cached `diffnas tune` choice")
    }

    /// The cached tuning choice of `device` for the kernels it runs (e.g. "TM=8 NV=1, …"), or nil.
    static func cachedTuning(_ device: Device) -> String? {
        guard let key = try? OpenCLBackend.tuningKey(for: device),
            case .found(let record, _) = TuningCache.standard().lookup(key, device: device)
        else { return nil }
        let slots = TuningSlot.slots(for: DeviceTuning(device: device))
        return slots.map { "\($0 == .shortRegisterTile ? "M≤16 " : "")\($0.value(in: record.chosen))" }.joined(separator: ", ")
    }
}

func formatBytes(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
