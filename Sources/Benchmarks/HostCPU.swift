import Foundation

/// The host processor a bench run ran on, for the report: an OpenCL CPU device's name does not
/// say which generation it is (PoCL calls a Zen 4 and a Zen 5 EPYC both
/// `pthread-skylake-avx512-AMD EPYC`), and the two differ by 2× in FMA and GEMM throughput.
public enum HostCPU {
    /// "AMD EPYC (x86 family 26, model 2; 2 logical CPUs; L1d 48 KiB, L2 1024 KiB per core)" from
    /// `/proc/cpuinfo` and sysfs on Linux, `machdep.cpu.brand_string` on macOS, else "unknown".
    public static func describe() -> String {
        #if os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        return describe(cpuinfo: info, caches: linuxCaches())
        #elseif os(macOS)
        var size = 0
        guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else { return "unknown" }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 else { return "unknown" }
        let name = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name + " (\(ProcessInfo.processInfo.activeProcessorCount) logical CPUs)"
        #else
        return "unknown"
        #endif
    }

    /// The description from the text of `/proc/cpuinfo` (its first processor's model name, x86
    /// family and model, and the count of `processor` lines) and `caches` ("L1d 48 KiB, …").
    public static func describe(cpuinfo: String, caches: String?) -> String {
        var fields: [String: String] = [:]
        var processors = 0
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "processor" { processors += 1 }
            if fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        let name = fields["model name"] ?? fields["Model"] ?? fields["cpu model"] ?? "unknown CPU"
        var details: [String] = []
        if let family = fields["cpu family"], let model = fields["model"] { details.append("x86 family \(family), model \(model)") }
        if processors > 0 { details.append("\(processors) logical CPU\(processors == 1 ? "" : "s")") }
        if let caches { details.append(caches) }
        return details.isEmpty ? name : "\(name) (\(details.joined(separator: "; ")))"
    }

    /// CPU 0's data and unified cache sizes below L3 from sysfs ("L1d 48 KiB, L2 1024 KiB per
    /// core"), or nil where sysfs does not list them.
    static func linuxCaches() -> String? {
        let base = "/sys/devices/system/cpu/cpu0/cache"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return nil }
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var found: [(level: Int, text: String)] = []
        for entry in entries.sorted() where entry.hasPrefix("index") {
            guard let level = read("\(base)/\(entry)/level").flatMap(Int.init), level < 3,
                let type = read("\(base)/\(entry)/type"), type != "Instruction",
                let size = read("\(base)/\(entry)/size")
            else { continue }
            found.append((level, "L\(level)\(type == "Data" ? "d" : "") \(size.replacingOccurrences(of: "K", with: " KiB"))"))
        }
        return found.isEmpty ? nil : found.sorted { $0.level < $1.level }.map(\.text).joined(separator: ", ") + " per core"
    }
}
