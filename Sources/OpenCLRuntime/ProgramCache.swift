import Foundation

/// Builds each (source, options, device) once and keeps it: in memory for the life of the
/// process, and as a device binary on disk so the next process skips the compiler (PoCL's
/// LLVM compiles take seconds). Disk location: `$DIFFNAS_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/diffnas/kernels`, else `~/.cache/diffnas/kernels`; `DIFFNAS_CACHE_DIR=off`
/// disables it. A stale or unreadable binary falls back to a source build.
public final class ProgramCache: @unchecked Sendable {
    public let context: Context
    public let directory: URL?
    private var programs: [String: Program] = [:]
    private let lock = NSLock()
    /// Number of source compilations this cache performed (tests read it).
    public private(set) var compileCount = 0
    /// Number of programs loaded from on-disk binaries.
    public private(set) var diskHitCount = 0

    public init(context: Context, directory: URL? = ProgramCache.defaultDirectory()) {
        self.context = context
        self.directory = directory
    }

    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let dir = environment["DIFFNAS_CACHE_DIR"] {
            return dir == "off" || dir.isEmpty ? nil : URL(fileURLWithPath: dir)
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("diffnas/kernels")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/diffnas/kernels")
    }

    /// The program for `source` compiled with `defines` (sorted into `-D K=V` options).
    public func program(source: String, name: String, defines: [String: String] = [:], extraOptions: String = "") throws -> Program {
        let options = (defines.sorted { $0.key < $1.key }.map { "-D \($0.key)=\($0.value)" } + [extraOptions])
            .filter { !$0.isEmpty }.joined(separator: " ")
        let key = ProgramCache.digest(source + "\u{0}" + options + "\u{0}" + context.device.cacheKey)
        lock.lock()
        defer { lock.unlock() }
        if let program = programs[key] { return program }
        let program = try loadOrBuild(source: source, name: name, options: options, key: key)
        programs[key] = program
        return program
    }

    private func loadOrBuild(source: String, name: String, options: String, key: String) throws -> Program {
        let file = directory?.appendingPathComponent("\(key).bin")
        if let file, let data = try? Data(contentsOf: file), !data.isEmpty,
            let program = try? Program.load(binary: [UInt8](data), name: name, options: options, context: context)
        {
            diskHitCount += 1
            return program
        }
        let program = try Program.build(source: source, name: name, options: options, context: context)
        compileCount += 1
        if let file, let binary = try? program.binary(), !binary.isEmpty {
            // Atomic: write a temporary file, then rename over the final name.
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temp = file.appendingPathExtension("tmp\(ProcessInfo.processInfo.processIdentifier)")
            if (try? Data(binary).write(to: temp)) != nil {
                _ = try? FileManager.default.removeItem(at: file)
                try? FileManager.default.moveItem(at: temp, to: file)
            }
        }
        return program
    }

    /// A 128-bit FNV-1a digest in hex: stable across runs and platforms (unlike `Hasher`).
    public static func digest(_ text: String) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in text.utf8 {
            h1 = (h1 ^ UInt64(byte)) &* 0x100_0000_01b3
            h2 = (h2 ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9e37_79b9
        }
        return String(format: "%016llx%016llx", h1, h2)
    }
}
