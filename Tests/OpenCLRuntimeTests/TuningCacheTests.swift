import Foundation
import OpenCLBackend
import OpenCLRuntime
import TensorCore
import Testing
import _TestSupport

/// The per-device tuning cache and `TuningPolicy`: round trip, bad files, `DIFFNAS_TUNE=off`,
/// and that a backend only tunes when asked. No real search runs here (`tune` is a stub that
/// counts its calls; `KernelTuningDeviceTests` runs the tuner), and nothing reads a clock.
@Suite("Kernel tuning cache and policy", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct TuningCacheTests {
    static func device() throws -> Device { try SharedBackends.requireOpenCL().device }

    /// A record as the tuner writes it, with non-default choices.
    static func record(
        for device: Device, formatVersion: Int = TuningKey.currentFormatVersion,
        registerTile: KernelTunables.RegisterTile = .init(rows: 4, vectors: 1)
    ) throws -> TuningRecord {
        var chosen = KernelTunables.defaults
        chosen.registerTile = registerTile
        chosen.directOutputChannels = 4
        chosen.narrowDirectOutputChannels = 2
        chosen.narrowDirectVectors = 2
        var key = try OpenCLBackend.tuningKey(for: device)
        key.formatVersion = formatVersion
        return TuningRecord(key: key, chosen: chosen, measurements: [], tunedAt: "2026-01-01T00:00:00Z", seconds: 1.5)
    }

    /// `cache.resolve(policy)` with a stub search; returns the tuning, the search count and the log.
    static func resolve(
        _ cache: TuningCache, _ policy: TuningPolicy, environment: [String: String] = [:],
        tune: () throws -> TuningRecord
    ) throws -> (tuning: DeviceTuning, searches: Int, log: [String]) {
        let device = try device()
        var searches = 0, log: [String] = []
        let tuning = cache.resolve(
            policy, key: try OpenCLBackend.tuningKey(for: device), device: device, environment: environment,
            tune: {
                searches += 1; return try tune()
            }, log: { log.append($0) })
        return (tuning, searches, log)
    }

    @Test func storedRecordRoundTripsAtomically() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TuningCache(directory: dir.appendingPathComponent("tuning")), record = try Self.record(for: Self.device())
        let url = try cache.store(record)
        try cache.store(record)  // replacing an existing file works too
        guard case .found(let loaded, let loadedURL) = cache.lookup(record.key, device: try Self.device()) else {
            Issue.record("the stored record was not found")
            return
        }
        #expect(loaded.chosen == record.chosen && loaded.key == record.key && loadedURL == url)
        // Only the record is left: the temporary file was renamed over it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory!.path) == [url.lastPathComponent])

        let resolved = try Self.resolve(cache, .tuneIfNeeded) {
            Issue.record("searched despite a cached record"); return record
        }
        #expect(resolved.tuning.tunables == record.chosen && resolved.tuning.origin == .cached(path: url.path))
        #expect(resolved.searches == 0 && resolved.log.isEmpty)
    }

    @Test(arguments: ["", "{ not json", "{\"key\": 3}", "\u{0}\u{1}\u{2}binary"])
    func corruptFileIsTunedAgainWithOneWarning(_ contents: String) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TuningCache(directory: dir), record = try Self.record(for: Self.device())
        let file = try #require(cache.fileURL(for: record.key))
        try Data(contents.utf8).write(to: file)

        let resolved = try Self.resolve(cache, .tuneIfNeeded) { record }
        #expect(resolved.searches == 1)
        #expect(resolved.tuning.tunables == record.chosen && resolved.tuning.origin == .tuned)
        let warnings = resolved.log.filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 1 && warnings[0].contains(file.path) && warnings[0].contains("tuning again"), "\(resolved.log)")
        #expect(resolved.log.allSatisfy { !$0.contains("\n") })
        // The fresh result replaced the bad file.
        guard case .found(let loaded, _) = cache.lookup(record.key, device: try Self.device()) else {
            Issue.record("the re-tuned record was not stored")
            return
        }
        #expect(loaded.chosen == record.chosen)
    }

    @Test func cachedPolicyNeverSearches() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TuningCache(directory: dir), record = try Self.record(for: Self.device())
        let missing = try Self.resolve(cache, .cached) { record }
        #expect(missing.searches == 0 && missing.tuning.origin == .defaults && missing.tuning.tunables == .defaults && missing.log.isEmpty)

        try Data("garbage".utf8).write(to: try #require(cache.fileURL(for: record.key)))
        let corrupt = try Self.resolve(cache, .cached) { record }
        #expect(corrupt.searches == 0 && corrupt.tuning.tunables == .defaults)
        #expect(corrupt.log.count == 1 && corrupt.log[0].contains("using the built-in defaults"), "\(corrupt.log)")

        try cache.store(record)
        let cached = try Self.resolve(cache, .cached) { record }
        #expect(cached.searches == 0 && cached.tuning.tunables == record.chosen)
    }

    @Test func tuneOffEnvironmentKeepsTheDefaults() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TuningCache(directory: dir), record = try Self.record(for: Self.device())
        try cache.store(record)
        for policy in [TuningPolicy.cached, .tuneIfNeeded] {
            let resolved = try Self.resolve(cache, policy, environment: ["DIFFNAS_TUNE": "off"]) { record }
            #expect(resolved.searches == 0 && resolved.tuning.origin == .defaults && resolved.tuning.tunables == .defaults)
        }
        #expect(TuningPolicy.tuneIfNeeded.effective(environment: ["DIFFNAS_TUNE": "OFF"]) == .defaults)
        #expect(TuningPolicy.fixed(record.chosen).effective(environment: ["DIFFNAS_TUNE": "off"]) == .fixed(record.chosen))
        #expect(TuningPolicy.tuneIfNeeded.effective(environment: [:]) == .tuneIfNeeded)
    }

    @Test func recordsForAnotherKeyOrWithInvalidParametersAreNotTrusted() throws {
        let device = try Self.device()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = TuningCache(directory: dir), good = try Self.record(for: device)
        let file = try #require(cache.fileURL(for: good.key))
        let impostors = [
            try Self.record(for: device, formatVersion: 0), try Self.record(for: device, registerTile: .init(rows: 99, vectors: 3)),
        ]
        for impostor in impostors {
            try impostor.jsonData().write(to: file)  // at the good key's file name
            guard case .unreadable(let url, let reason) = cache.lookup(good.key, device: device) else {
                Issue.record("an impostor record was accepted: \(impostor.key.formatVersion) \(impostor.chosen)")
                continue
            }
            #expect(url == file && !reason.isEmpty && !reason.contains("\n"))
        }
    }

    @Test func failedSearchOrStoreNeverThrows() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = try Self.record(for: Self.device())
        // The cache folder is a regular file: storing fails, the fresh result is still used.
        let blocker = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let unstorable = try Self.resolve(TuningCache(directory: blocker), .tuneIfNeeded) { record }
        #expect(unstorable.tuning.tunables == record.chosen && unstorable.tuning.origin == .tuned)
        #expect(unstorable.log.contains { $0.hasPrefix("warning: cannot cache") }, "\(unstorable.log)")
        // The search itself fails: the defaults, with a warning.
        let failed = try Self.resolve(TuningCache(directory: dir), .tuneIfNeeded) { throw TuningError("no device time left") }
        #expect(failed.tuning.tunables == .defaults && failed.tuning.origin == .defaults)
        #expect(failed.log.contains { $0.contains("kernel tuning failed (no device time left)") }, "\(failed.log)")
        // No cache at all: tuned, not stored, not an error.
        let uncached = try Self.resolve(TuningCache(directory: nil), .tuneIfNeeded) { record }
        #expect(uncached.tuning.origin == .tuned && !uncached.log.contains { $0.hasPrefix("warning:") })
    }

    @Test func backendsUseTheDefaultsUnlessAsked() throws {
        let device = try Self.device()
        let plain = try OpenCLBackend(device: device)
        #expect(plain.tuning.origin == .defaults && plain.tuning.tunables == .defaults)
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // `.cached` with an empty cache: the defaults, and nothing searched or written.
        let cachedOnly = try OpenCLBackend(device: device, cacheDirectory: dir, tuning: .cached)
        #expect(cachedOnly.tuning.origin == .defaults)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("tuning").path))
        // A stored record is read from `<cacheDirectory>/tuning` (unless this shell set DIFFNAS_TUNE=off).
        guard TuningPolicy.cached.effective() == .cached else { return }
        let record = try Self.record(for: device)
        let url = try TuningCache(programCacheDirectory: dir).store(record)
        let fromCache = try OpenCLBackend(device: device, cacheDirectory: dir, tuning: .cached)
        #expect(fromCache.tuning.tunables == record.chosen && fromCache.tuning.origin == .cached(path: url.path))
    }
}
