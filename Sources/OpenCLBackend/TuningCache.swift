import Foundation
import OpenCLRuntime

/// What a tuning result is valid for: one device and driver, the tuned kernels' sources, and
/// the tuner's format. A result with a different key is never used.
public struct TuningKey: Codable, Sendable, Hashable {
    /// Bumped when `KernelTunables`, the candidates or the record format change meaning.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var device: String
    public var vendor: String
    public var driver: String
    public var platform: String
    /// Digest of the tuned kernel files (`OpenCLBackend.tunedKernelFiles`) as compiled.
    public var kernels: String

    public init(device: Device, kernelDigest: String, formatVersion: Int = TuningKey.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.device = device.name; vendor = device.vendor; driver = device.driverVersion; platform = device.platform.name
        kernels = kernelDigest
    }

    /// The cache file's name: a digest of every field.
    public var fileName: String {
        ProgramCache.digest(["v\(formatVersion)", device, vendor, driver, platform, kernels].joined(separator: "\u{0}")) + ".json"
    }
}

/// One tuning run: its key, the chosen tunables and every candidate's measurement (what
/// `diffnas tune` prints and the cache file holds, as JSON).
public struct TuningRecord: Codable, Sendable {
    public var key: TuningKey
    public var chosen: KernelTunables
    public var measurements: [TuningMeasurement]
    /// When it was measured (ISO 8601).
    public var tunedAt: String
    /// Wall time of the whole search, compiles included.
    public var seconds: Double

    public init(key: TuningKey, chosen: KernelTunables, measurements: [TuningMeasurement], tunedAt: String, seconds: Double) {
        self.key = key; self.chosen = chosen; self.measurements = measurements; self.tunedAt = tunedAt; self.seconds = seconds
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The per-device tuning results on disk: one JSON `TuningRecord` per `TuningKey`, in
/// `<program cache>/tuning/` (`~/.cache/diffnas/kernels/tuning`, or `$DIFFNAS_CACHE_DIR/tuning`;
/// `DIFFNAS_CACHE_DIR=off` disables it, like the program cache). Files are replaced atomically
/// (temporary file + rename(2)); a file that cannot be read, decoded or used on its device is
/// reported as `.unreadable` and never trusted.
public struct TuningCache: Sendable {
    /// The folder of the JSON files; nil: no cache.
    public let directory: URL?

    public init(directory: URL?) { self.directory = directory }

    /// The cache beside the programs of `programCacheDirectory` (nil: no cache).
    public init(programCacheDirectory: URL?) {
        directory = programCacheDirectory?.appendingPathComponent("tuning")
    }

    /// The cache beside the default program cache (`ProgramCache.defaultDirectory`).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> TuningCache {
        TuningCache(programCacheDirectory: ProgramCache.defaultDirectory(environment: environment))
    }

    /// The file that holds (or would hold) the record of `key`.
    public func fileURL(for key: TuningKey) -> URL? { directory?.appendingPathComponent(key.fileName) }

    /// The outcome of looking up a key.
    public enum Lookup: Sendable {
        case missing
        case found(TuningRecord, URL)
        /// A file exists but cannot be used; `reason` is one line.
        case unreadable(URL, reason: String)
    }

    /// The stored record of `key`, checked against the key and against `device`'s limits.
    public func lookup(_ key: TuningKey, device: Device) -> Lookup {
        guard let url = fileURL(for: key), FileManager.default.fileExists(atPath: url.path) else { return .missing }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            return .unreadable(url, reason: "cannot read it: \(error.localizedDescription)")
        }
        let record: TuningRecord
        do { record = try JSONDecoder().decode(TuningRecord.self, from: data) } catch {
            return .unreadable(url, reason: "not a valid tuning record")
        }
        guard record.key == key else {
            return .unreadable(url, reason: "written for another device, driver, kernel source or tuner version")
        }
        guard record.chosen.isValid(on: device) else {
            return .unreadable(url, reason: "its parameters (\(record.chosen)) are not valid on this device")
        }
        return .found(record, url)
    }

    /// Writes `record` atomically and returns its file. Throws `TuningError` when there is no
    /// cache directory or the file cannot be written.
    @discardableResult
    public func store(_ record: TuningRecord) throws -> URL {
        guard let directory, let url = fileURL(for: record.key) else { throw TuningError("the tuning cache is disabled") }
        let temp = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try record.jsonData().write(to: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw TuningError("cannot write \(temp.path): \(error.localizedDescription)")
        }
        // rename(2) replaces the target atomically (FileManager.replaceItemAt fails on Linux).
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw TuningError("cannot replace \(url.path): \(reason)")
        }
        return url
    }
}
