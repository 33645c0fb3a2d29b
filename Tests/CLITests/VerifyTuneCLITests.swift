import Foundation
import Testing
import _TestSupport

/// `diffnas verify` and `diffnas tune` as a user runs them: exit codes, the `--json` shapes, and
/// one-line refusals. They need the OpenCL device (PoCL's CPU device in CI).
@Suite(
    .serialized, .timeLimit(.minutes(10)), .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct VerifyTuneCLITests {
    @Test func verifyJSONListsEveryCaseAndExitsZero() throws {
        let r = try runDiffNAS(["verify", "--quick", "--family", "topk,loss", "--json"])
        #expect(r.status == 0, "\(r.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(!cases.isEmpty && (json["device"] as? String)?.isEmpty == false)
        #expect(json["passed"] as? Int == cases.count && json["failed"] as? Int == 0)
        for c in cases {
            for key in ["family", "operation", "shape", "tolerance", "passed", "maxAbsError", "maxRelError"] {
                #expect(c[key] != nil, "case without \(key): \(c)")
            }
            #expect(["topk", "loss"].contains(c["family"] as? String ?? ""))
        }
    }

    @Test func verifyRefusesUnknownFamiliesAndTheReferenceBackend() throws {
        let family = try runDiffNAS(["verify", "--family", "gemm,nonsense"])
        #expect(family.status != 0 && family.standardError.contains("unknown family nonsense"), "\(family.standardError)")
        let backend = try runDiffNAS(["verify", "--backend", "reference"])
        #expect(backend.status != 0 && backend.standardError.contains("reference"), "\(backend.standardError)")
        let device = try runDiffNAS(["verify", "--device", "99"])
        #expect(device.status != 0 && device.standardError.split(separator: "\n").count == 1, "\(device.standardError)")
    }

    /// Tuning into an empty cache folder: exit 0, a JSON record with the key and the chosen
    /// values, and a cache file that a second `tune` overwrites.
    @Test func tuneWritesARecordAndItsJSON() throws {
        let cache = try makeTemporaryDirectory("diffnas-tune-cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let r = try runDiffNAS(["tune", "--json"], environment: ["DIFFNAS_CACHE_DIR": cache.path, "DIFFNAS_TUNE": "on"], timeout: 600)
        #expect(r.status == 0, "\(r.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
        #expect(json["key"] is [String: Any] && json["chosen"] is [String: Any], "\(json.keys)")
        let files = FileManager.default.enumerator(atPath: cache.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") } ?? []
        #expect(files.count == 1, "tuning cache holds \(files)")
        let bad = try runDiffNAS(["tune", "--device", "99"])
        #expect(bad.status != 0 && bad.standardError.split(separator: "\n").count == 1, "\(bad.standardError)")
    }
}
