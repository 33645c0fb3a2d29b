import Foundation
import Testing
import _TestSupport

/// `diffnas bench` run as a user runs it.
@Suite struct BenchCommandTests {
    /// `--quick` checks and times every suite (CLBlast comparators included) and writes JSON
    /// with the machine-readable figures. Asserts structure, never timings.
    @Test func quickRunPassesAndWritesJSON() throws {
        let dir = try makeTemporaryDirectory("diffnas-bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bench.json").path
        let result = try runDiffNAS(["bench", "--quick", "--json", path])
        guard SharedBackends.openCLAvailable else {
            #expect(result.status != 0)
            return
        }
        #expect(result.status == 0, "stderr: \(result.standardError)\nstdout: \(result.standardOutput)")
        #expect(result.standardOutput.contains("ours ÷ it") && result.standardOutput.contains("images/s"))
        #expect(result.standardOutput.contains("host CPU: "))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in [
            "device", "driver", "date", "commit", "platform", "quick", "cases", "steps", "passed", "copy_bandwidth_gb_per_second",
            "stream_bandwidth_gb_per_second", "host_libraries", "host_cpu", "quiet_waits",
        ] {
            #expect(json[key] != nil, "missing key \(key)")
        }
        // One wait for quiet cores before each contender's runs in every round.
        let waits = try #require(json["quiet_waits"] as? [String: Any])
        #expect((waits["count"] as? Int ?? 0) > 0 && waits["total_milliseconds"] as? Double != nil && waits["busy"] as? Int != nil)
        #expect(result.standardOutput.contains("quiet cores: waited"))
        #expect(json["passed"] as? Bool == true)
        #expect(json["quick"] as? Bool == true)
        let commit = try #require(json["commit"] as? String)
        #expect(commit == "unknown" || (commit.count == 40 && commit.allSatisfy(\.isHexDigit)))
        #expect(ISO8601DateFormatter().date(from: json["date"] as? String ?? "") != nil)

        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(Set(cases.compactMap { $0["suite"] as? String }) == ["gemm", "conv", "depthwise", "topk", "mask"])
        for c in cases {
            for key in ["suite", "name", "shape", "unit", "work", "timing", "ours"] { #expect(c[key] != nil, "case missing \(key)") }
            let ours = try #require(c["ours"] as? [String: Any])
            #expect(ours["status"] as? String == "ok", "\(c["name"] ?? "") \(c["shape"] ?? ""): \(ours["reason"] ?? "")")
            let time = try #require(ours["time"] as? [String: Any])
            for key in ["median_milliseconds", "min_milliseconds", "max_milliseconds", "samples_milliseconds"] {
                #expect(time[key] != nil, "time missing \(key)")
            }
            #expect((ours["check"] as? [String: Any])?["passed"] as? Bool == true)
            let comparators = try #require(c["comparators"] as? [[String: Any]])
            #expect(!comparators.isEmpty, "every quick case has comparators")
            for comparator in comparators {
                #expect(["ok", "n/a"].contains(comparator["status"] as? String ?? ""), "\(comparator)")
                guard comparator["status"] as? String == "ok" else { continue }
                // The headline ratio is the median of one paired ratio per round (2 with --quick).
                let ratio = try #require(comparator["ratio"] as? Double)
                let paired = try #require(comparator["paired_ratio"] as? [String: Any], "\(comparator)")
                let perRound = try #require(paired["per_round"] as? [Double])
                let (median, low, high) = (
                    paired["median"] as? Double ?? .nan, paired["low"] as? Double ?? .nan, paired["high"] as? Double ?? .nan
                )
                // (to a relative 1e-12: the JSON text of a Double need not read back to its last bit)
                #expect(perRound.count == 2 && abs(ratio - median) <= 1e-12 * median)
                #expect(abs(median - (perRound[0] + perRound[1]) / 2) <= 1e-12 * median)
                #expect(low == perRound.min() && high == perRound.max() && paired["coverage"] as? Double == 0.5)
                #expect(low <= median && median <= high)
            }
        }
        func comparators(_ suite: String, _ prefix: String) -> [[String: Any]] {
            cases.filter { $0["suite"] as? String == suite }.compactMap { c in
                (c["comparators"] as? [[String: Any]])?.first { ($0["name"] as? String ?? "").hasPrefix(prefix) }
            }
        }
        let gemmCount = cases.filter { $0["suite"] as? String == "gemm" }.count
        let convCount = cases.filter { $0["suite"] as? String == "conv" }.count
        let depthwiseCount = cases.filter { $0["suite"] as? String == "depthwise" }.count
        #expect(comparators("gemm", "CLBlast Sgemm").count == gemmCount)
        #expect(comparators("mask", "host STREAM triad").allSatisfy { $0["status"] as? String == "ok" })
        #expect(json["stream_bandwidth_gb_per_second"] as? Double != nil)
        // The native libraries: checked and timed where installed, n/a with the reason where not.
        let libraries = try #require(json["host_libraries"] as? [String: String])
        for (suite, prefix, key, count) in [
            ("gemm", "OpenBLAS", "openblas", gemmCount), ("conv", "oneDNN", "onednn", convCount),
            ("depthwise", "oneDNN", "onednn", depthwiseCount),
        ] {
            let found = comparators(suite, prefix)
            #expect(found.count == count, "every \(suite) case has a \(prefix) comparator")
            let installed = !(libraries[key] ?? "missing").hasPrefix("missing")
            for comparator in found {
                if installed {
                    #expect(comparator["status"] as? String == "ok", "\(comparator)")
                    #expect((comparator["check"] as? [String: Any])?["passed"] as? Bool == true)
                    #expect(comparator["timing"] as? String == "host clock")
                } else {
                    #expect(comparator["status"] as? String == "n/a")
                    #expect((comparator["reason"] as? String ?? "").contains(prefix), "\(comparator)")
                }
            }
        }
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(
            steps.map { $0["name"] as? String } == [
                "resnet8 SGD step", "DMS search step", "darts search step", "darts2 search step", "pcdarts search step", "gdas search step",
            ])
        for step in steps {
            #expect(step["status"] as? String == "ok", "\(step["name"] ?? ""): \(step["reason"] ?? "")")
            #expect(step["images_per_second"] as? Double != nil)
            let kernels = step["kernels"] as? [[String: Any]] ?? []
            #expect(kernels.count > 0, "the step lists its kernels")
        }
        // The search step runs the DMS kernels: rank sort, soft mask, its gradient, Taylor update.
        let searchKernels = Set((steps[1]["kernels"] as? [[String: Any]] ?? []).compactMap { $0["kernel"] as? String })
        #expect(searchKernels.contains("soft_mask_sigmoid"), "\(searchKernels.sorted())")
        #expect(searchKernels.contains("soft_mask_grad_ratio_partial"))
        // The cell steps run the mixed edges' weighted sum; PC-DARTS its shuffle.
        let cellKernels = Set(steps[2...].flatMap { ($0["kernels"] as? [[String: Any]] ?? []).compactMap { $0["kernel"] as? String } })
        #expect(cellKernels.contains("weighted_sum4") && cellKernels.contains("channel_shuffle"), "\(cellKernels.sorted())")
    }

    /// A native comparator that is not there is reported as missing, with why, and the run
    /// still passes; one that is named explicitly is the only one tried.
    @Test func aMissingHostLibraryIsReportedNotDropped() throws {
        guard SharedBackends.openCLAvailable else { return }
        let result = try runDiffNAS(
            ["bench", "--quick", "--suite", "gemm,conv", "--repetitions", "1"],
            environment: ["DIFFNAS_OPENBLAS": "/nonexistent/libopenblas.so", "DIFFNAS_ONEDNN": "/nonexistent/libdnnl.so"])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        #expect(result.standardOutput.contains("n/a OpenBLAS sgemm (every case): OpenBLAS not found"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("OpenBLAS not found"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("/nonexistent/libopenblas.so"))
        #expect(result.standardOutput.contains("oneDNN not found"))
        #expect(result.standardOutput.contains("host libraries: openblas missing"))

        // A library that loads but is not the one asked for (zlib) is named with what it lacks.
        let wrong = try runDiffNAS(
            ["bench", "--quick", "--suite", "gemm,conv", "--repetitions", "1"],
            environment: ["DIFFNAS_OPENBLAS": "libz.so.1", "DIFFNAS_ONEDNN": "libz.so.1"])
        #expect(wrong.status == 0, "stderr: \(wrong.standardError)")
        #expect(wrong.standardOutput.contains("libz.so.1 has no cblas_sgemm"), "\(wrong.standardOutput)")
        #expect(wrong.standardOutput.contains("the loaded oneDNN has no dnnl_"), "\(wrong.standardOutput)")
    }

    @Test func unknownSuiteIsAOneLineError() throws {
        let result = try runDiffNAS(["bench", "--suite", "gemm,bogus"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("unknown suite bogus"))
    }

    @Test func referenceBackendIsRejected() throws {
        let result = try runDiffNAS(["bench", "--backend", "reference", "--quick"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--backend reference"))
    }
}
