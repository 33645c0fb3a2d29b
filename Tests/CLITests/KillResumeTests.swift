import Foundation
import NN
import Testing
import _TestSupport

/// `diffnas search` killed with SIGKILL mid-search and again mid-retrain, then resumed, ends
/// exactly where an uninterrupted run ends (reference backend: deterministic): the same exported
/// architecture bytes, bit-identical weights for every arm, and the same accuracies in the report.
@Suite(.serialized, .timeLimit(.minutes(10))) struct KillResumeTests {
    static let arguments = [
        "search", "--base", "mlp", "--search-steps", "200", "--retrain-epochs", "4", "--batch", "16",
        "--target", "0.5", "--backend", "reference",
    ]

    /// Starts the search, kills it as soon as `file` exists under `out`, and returns the
    /// checkpoint found there (nil when the run finished first).
    static func kill(_ args: [String], when file: String, in out: URL) throws -> Checkpoint? {
        let child = try DiffNASProcess(args)
        let url = out.appendingPathComponent(file)
        let deadline = Date().addingTimeInterval(600)
        while child.isRunning && !FileManager.default.fileExists(atPath: url.path) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        child.kill()
        let result = child.wait(timeout: 60)
        #expect(result.status != 0, "the run finished before it could be killed at \(file)")
        return try? Checkpoint.read(contentsOf: url)
    }

    static func tensors(_ url: URL) throws -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: try Checkpoint.read(contentsOf: url).tensors.map { ($0.name, $0.values.map(\.bitPattern)) })
    }

    static func accuracies(_ out: URL) throws -> [String] {
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        return runs.map { "\($0["arm"] ?? "") \($0["repeatIndex"] ?? "") \($0["testAccuracy"] ?? "") \($0["validationAccuracy"] ?? "")" }
    }

    @Test func killedSearchAndRetrainResumeToTheUninterruptedResult() throws {
        let data = try TrainSearchCLITests.makeData()
        let root = try makeTemporaryDirectory("diffnas-kill")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: root) }
        let straightOut = root.appendingPathComponent("straight"), killedOut = root.appendingPathComponent("killed")
        let args = Self.arguments + ["--data", data.path]
        let straight = try runDiffNAS(args + ["--out", straightOut.path])
        try #require(straight.status == 0, "\(straight.standardError)")

        let midSearch = try Self.kill(args + ["--out", killedOut.path], when: "repeat-1/search/search-checkpoint.bin", in: killedOut)
        let searchStep = Int(midSearch?.metadata["step"] ?? "") ?? 0
        #expect(searchStep > 0 && searchStep < 200, "not killed mid-search (step \(searchStep))")
        let midRetrain = try Self.kill(args + ["--out", killedOut.path, "--resume"], when: "repeat-1/dms/checkpoint.bin", in: killedOut)
        let epochs = Int(midRetrain?.metadata["completedEpochs"] ?? "") ?? 0
        #expect(epochs > 0 && epochs < 4, "not killed mid-retrain (epoch \(epochs))")
        let resumed = try runDiffNAS(args + ["--out", killedOut.path, "--resume"])
        try #require(resumed.status == 0, "\(resumed.standardError)")

        for file in [
            "architecture.json", "repeat-1/search/architecture.json", "repeat-1/uniform/architecture.json",
            "repeat-1/random/architecture.json",
        ] {
            #expect(
                try Data(contentsOf: straightOut.appendingPathComponent(file)) == Data(contentsOf: killedOut.appendingPathComponent(file)),
                "\(file) differs")
        }
        for arm in ["dms", "uniform", "random"] {
            let file = "repeat-1/\(arm)/checkpoint.bin"
            #expect(
                try Self.tensors(straightOut.appendingPathComponent(file)) == Self.tensors(killedOut.appendingPathComponent(file)),
                "\(arm) weights differ")
        }
        #expect(
            try Self.tensors(straightOut.appendingPathComponent("repeat-1/search/search-checkpoint.bin"))
                == Self.tensors(killedOut.appendingPathComponent("repeat-1/search/search-checkpoint.bin")), "search state differs")
        #expect(try Self.accuracies(straightOut) == Self.accuracies(killedOut))
        let log = { (out: URL) in
            try String(contentsOf: out.appendingPathComponent("repeat-1/dms/metrics.jsonl"), encoding: .utf8).split(separator: "\n").count
        }
        #expect(try log(killedOut) == 4, "the resumed retrain log has duplicate or missing epochs")
    }

    /// A DARTS cell search killed with SIGKILL mid-search and again mid-retrain, then resumed, ends
    /// where the uninterrupted search ends: the same genotype, bit-identical α, β and weights in
    /// `search.ckpt`, the same per-epoch summaries, the same retrained weights and accuracy.
    @Test func killedCellSearchAndRetrainResumeToTheUninterruptedResult() throws {
        let data = try TrainSearchCLITests.makeData()
        let root = try makeTemporaryDirectory("diffnas-kill-cells")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: root) }
        let straightOut = root.appendingPathComponent("straight"), killedOut = root.appendingPathComponent("killed")
        // 48 w-half images at batch 8: 6 steps per epoch, checkpoints at each epoch end and every 10 steps.
        let args = [
            "search", "--method", "darts", "--space", "nb201", "--data", data.path, "--image-side", "8", "--channels", "4", "--cells", "1",
            "--batch", "8", "--search-steps", "18", "--retrain-epochs", "2", "--backend", "reference",
        ]
        let straight = try runDiffNAS(args + ["--out", straightOut.path])
        try #require(straight.status == 0, "\(straight.standardError)")

        let midSearch = try Self.kill(args + ["--out", killedOut.path], when: "search.ckpt", in: killedOut)
        let searchStep = Int(midSearch?.metadata["step"] ?? "") ?? 0
        #expect(searchStep > 0 && searchStep < 18, "not killed mid-search (step \(searchStep))")
        let midRetrain = try Self.kill(args + ["--out", killedOut.path, "--resume"], when: "retrain/checkpoint.bin", in: killedOut)
        let epochs = Int(midRetrain?.metadata["completedEpochs"] ?? "") ?? 0
        #expect(epochs > 0 && epochs < 2, "not killed mid-retrain (epoch \(epochs))")
        let resumed = try runDiffNAS(args + ["--out", killedOut.path, "--resume"])
        try #require(resumed.status == 0, "\(resumed.standardError)")

        #expect(
            try Data(contentsOf: straightOut.appendingPathComponent("genotype.json"))
                == Data(contentsOf: killedOut.appendingPathComponent("genotype.json")), "genotype differs")
        for file in ["search.ckpt", "retrain/checkpoint.bin"] {
            #expect(
                try Self.tensors(straightOut.appendingPathComponent(file)) == Self.tensors(killedOut.appendingPathComponent(file)),
                "\(file) differs")
        }
        func report(_ out: URL) throws -> (epochs: String, retrained: String) {
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
            let epochs = try #require(json["epochs"] as? [[String: Any]])
            let retrained = try #require(json["retrained"] as? [String: Any])
            return (
                epochs.map {
                    "\($0["epoch"] ?? "") \($0["genotype"] ?? "") \($0["trainLoss"] ?? "") \($0["trainAccuracy"] ?? "") \($0["validationAccuracy"] ?? "")"
                }.joined(separator: "; "),
                (retrained["test"] as? [String: Any]).map { "\($0["loss"] ?? "") \($0["accuracy"] ?? "")" } ?? "none"
            )
        }
        let a = try report(straightOut), b = try report(killedOut)
        #expect(a.epochs == b.epochs && a.epochs.split(separator: ";").count == 3, "\(a.epochs) vs \(b.epochs)")
        #expect(a.retrained == b.retrained && a.retrained != "none")
        let lines = try String(contentsOf: killedOut.appendingPathComponent("retrain/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").count
        #expect(lines == 2, "the resumed retrain log has duplicate or missing epochs")
    }
}
