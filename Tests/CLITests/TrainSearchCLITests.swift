import Foundation
import NN
import TensorCore
import Testing
import _TestSupport

/// `diffnas train` and `diffnas search` run as a user runs them, on a small generated `.npy` data set.
@Suite(.serialized, .timeLimit(.minutes(10))) struct TrainSearchCLITests {
    /// train_x [N,1,8,8], train_y [N], test_x, test_y: class k lights up band k.
    static func makeData() throws -> URL {
        let dir = try makeTemporaryDirectory("diffnas-data")
        var rng = SeededRandom(seed: 1)
        for (split, count) in [("train", 96), ("test", 24)] {
            var x: [Float] = [], y: [Float] = []
            for n in 0..<count {
                y.append(Float(n % 4))
                for row in 0..<8 { for _ in 0..<8 { x.append((row / 2 == n % 4 ? 0.9 : 0.1) + 0.1 * rng.nextUnit()) } }
            }
            try NPYFile.write(shape: [count, 1, 8, 8], values: x, to: dir.appendingPathComponent("\(split)_x.npy"))
            try NPYFile.write(shape: [count], values: y, to: dir.appendingPathComponent("\(split)_y.npy"))
        }
        return dir
    }

    static func oneLine(_ r: CommandResult) -> Bool { r.standardError.split(separator: "\n").filter { !$0.isEmpty }.count == 1 }

    @Test func trainWritesCheckpointsRefusesOverwriteAndResumes() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-train").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let base = [
            "train", "--arch", "mlp", "--data", data.path, "--batch", "16", "--lr", "0.05", "--backend", "reference", "--out", out.path,
        ]
        let first = try runDiffNAS(base + ["--epochs", "2"])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("final: test accuracy"))
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 2)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        #expect(
            report["parameters"] as? Int
                == Architecture.mlp(hidden: [256, 128], input: .init(channels: 1, height: 8, width: 8), classes: 4).resources.parameters)
        #expect((report["test_accuracy"] as? Double ?? 0) > 0.5)
        let checkpoint = try Data(contentsOf: out.appendingPathComponent("checkpoint.bin"))

        // Starting again over a finished run is refused and the checkpoint stays as it was.
        let again = try runDiffNAS(base + ["--epochs", "2"])
        #expect(again.status != 0 && Self.oneLine(again) && again.standardError.contains("--resume"), "\(again.standardError)")
        #expect(try Data(contentsOf: out.appendingPathComponent("checkpoint.bin")) == checkpoint)

        // Resuming extends the run.
        let resumed = try runDiffNAS(base + ["--epochs", "3", "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count == 3)

        // A corrupt checkpoint is refused, not overwritten.
        var bytes = try Data(contentsOf: out.appendingPathComponent("checkpoint.bin"))
        bytes[bytes.count - 10] ^= 0xFF
        try bytes.write(to: out.appendingPathComponent("checkpoint.bin"))
        let corrupt = try runDiffNAS(base + ["--epochs", "4", "--resume"])
        #expect(corrupt.status != 0 && Self.oneLine(corrupt) && corrupt.standardError.contains("corrupt"), "\(corrupt.standardError)")
        #expect(try Data(contentsOf: out.appendingPathComponent("checkpoint.bin")) == bytes)
    }

    @Test func trainRejectsBadArchitectureAndData() throws {
        let data = try Self.makeData()
        let dir = try makeTemporaryDirectory("diffnas-arch")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: dir) }
        let arch = dir.appendingPathComponent("a.json")
        try Data(
            #"{"format":"diffnas-architecture","version":1,"family":"mlp","input":{"channels":1,"height":8,"width":8},"classes":4,"hidden":[16,-2]}"#
                .utf8
        ).write(to: arch)
        let bad = try runDiffNAS([
            "train", "--arch", arch.path, "--data", data.path, "--backend", "reference", "--out", dir.appendingPathComponent("o").path,
        ])
        #expect(bad.status != 0 && Self.oneLine(bad) && bad.standardError.contains("hidden[1]"), "\(bad.standardError)")
        let missing = try runDiffNAS(["train", "--data", dir.appendingPathComponent("nothing").path, "--backend", "reference"])
        #expect(missing.status != 0 && Self.oneLine(missing), "\(missing.standardError)")
    }

    @Test func searchRunsEndToEndAndExportsARetrainableArchitecture() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-search").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let result = try runDiffNAS([
            "search", "--base", "mlp", "--data", data.path, "--search-steps", "12", "--retrain-epochs", "1",
            "--batch", "16", "--target", "0.5", "--backend", "reference", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        for file in [
            "plan.json", "architecture.json", "report.md", "report.json", "widths.svg", "search.svg", "kept.svg",
            "repeat-1/search/search.jsonl", "repeat-1/search/search-checkpoint.bin", "repeat-1/dms/result.json",
            "repeat-1/uniform/result.json", "repeat-1/random/result.json", "repeat-1/random/architecture.json", "model.onnx",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "missing \(file)")
        }
        let architecture = try Architecture.load(contentsOf: out.appendingPathComponent("architecture.json"))
        #expect(architecture.notes["searched-by"] == "dms")
        let log = try String(contentsOf: out.appendingPathComponent("repeat-1/search/search.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(log.count == 12)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("no interval") && report.contains("--repeats 3"), "a one-repeat report must not claim a winner")
        let retrain = try runDiffNAS([
            "train", "--arch", out.appendingPathComponent("architecture.json").path, "--data", data.path,
            "--epochs", "1", "--batch", "16", "--backend", "reference", "--out", out.appendingPathComponent("again").path,
        ])
        #expect(retrain.status == 0, "\(retrain.standardError)")
    }

    /// `--repeats 2` runs both repeats with their own seeds, pairs the arms, and reports intervals;
    /// resuming with `--repeats 3` keeps the finished repeats byte for byte and adds the third.
    @Test func repeatsArePairedReportedAndResumable() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-repeats").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let common = [
            "search", "--base", "mlp", "--data", data.path, "--search-steps", "8", "--retrain-epochs", "1", "--batch", "16",
            "--target", "0.5", "--backend", "reference", "--out", out.path,
        ]
        let two = try runDiffNAS(common + ["--repeats", "2"])
        #expect(two.status == 0, "\(two.standardError)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 6)
        #expect(Set(runs.compactMap { $0["seed"] as? Int }) == [42, 43])
        let comparisons = try #require(json["comparisons"] as? [String: [String: Any]])
        for arm in ["uniform", "random"] {
            let c = try #require(comparisons[arm], "no comparison against \(arm)")
            #expect((c["differences"] as? [Double])?.count == 2)
            #expect(c["low"] is Double && c["high"] is Double, "no interval against \(arm)")
        }
        let firstResult = try Data(contentsOf: out.appendingPathComponent("repeat-1/dms/result.json"))
        let firstWeights = try Data(contentsOf: out.appendingPathComponent("repeat-2/random/checkpoint.bin"))
        let again = try runDiffNAS(common)
        #expect(again.status != 0 && again.standardError.contains("--resume"), "a finished run was overwritten: \(again.standardError)")
        let three = try runDiffNAS(common + ["--repeats", "3", "--resume"])
        #expect(three.status == 0, "\(three.standardError)")
        #expect(try Data(contentsOf: out.appendingPathComponent("repeat-1/dms/result.json")) == firstResult)
        #expect(try Data(contentsOf: out.appendingPathComponent("repeat-2/random/checkpoint.bin")) == firstWeights)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("3 paired repeats"), "\(report.prefix(2000))")
        let other = try runDiffNAS(common + ["--repeats", "3", "--resume", "--retrain-epochs", "2"])
        #expect(other.status != 0 && Self.oneLine(other) && other.standardError.contains("different settings"), "\(other.standardError)")
    }

    /// `diffnas export` writes a trained network's state as safetensors (architecture in the
    /// metadata, optimizer state left out) and converts it back to a checkpoint that trains on.
    @Test func exportWritesSafetensorsAndConvertsBack() throws {
        let data = try Self.makeData()
        let dir = try makeTemporaryDirectory("diffnas-export")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        #expect(
            try runDiffNAS([
                "train", "--arch", "mlp", "--data", data.path, "--epochs", "1", "--batch", "16", "--backend", "reference",
                "--out", run.path,
            ]).status == 0)
        let st = dir.appendingPathComponent("model.safetensors")
        let r = try runDiffNAS(["export", "--weights", run.appendingPathComponent("checkpoint.bin").path, "--out", st.path])
        #expect(r.status == 0, "\(r.standardError)")
        let checkpoint = try Checkpoint(safetensors: Data(contentsOf: st))
        #expect(checkpoint.metadata["architecture"] != nil && !checkpoint.tensors.contains { $0.name.hasPrefix("optimizer") })
        let trained = try Checkpoint.read(contentsOf: run.appendingPathComponent("checkpoint.bin"))
        for tensor in checkpoint.tensors {
            #expect(trained.tensor(tensor.name)?.values == tensor.values, "\(tensor.name) differs from the trained weights")
        }
        let back = dir.appendingPathComponent("back.bin")
        #expect(try runDiffNAS(["export", "--weights", st.path, "--format", "checkpoint", "--out", back.path]).status == 0)
        #expect(try Checkpoint.read(contentsOf: back).tensors.map(\.name).sorted() == checkpoint.tensors.map(\.name).sorted())
        let other = dir.appendingPathComponent("resnet.json")
        try Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 4).write(to: other)
        let wrong = try runDiffNAS(["export", "--weights", st.path, "--arch", other.path, "--out", dir.appendingPathComponent("x").path])
        #expect(wrong.status != 0 && Self.oneLine(wrong) && wrong.standardError.contains("does not fit"), "\(wrong.standardError)")
        try Data("junk".utf8).write(to: dir.appendingPathComponent("junk.safetensors"))
        let junk = try runDiffNAS([
            "export", "--weights", dir.appendingPathComponent("junk.safetensors").path, "--out", dir.appendingPathComponent("y").path,
        ])
        #expect(junk.status != 0 && Self.oneLine(junk) && junk.standardError.contains("junk.safetensors"), "\(junk.standardError)")
    }

    /// `evaluate` reads a trained checkpoint (or its safetensors export) and reports the accuracy
    /// `train` reported, a confusion matrix over every test image, latency, and an SVG; bad
    /// weights or a mismatched architecture are one-line errors.
    @Test func evaluateReportsTheTrainedAccuracyAndRefusesBadInput() throws {
        let data = try Self.makeData()
        let dir = try makeTemporaryDirectory("diffnas-evaluate")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let trained = try runDiffNAS([
            "train", "--arch", "mlp", "--data", data.path, "--epochs", "2", "--batch", "16", "--backend", "reference", "--out", run.path,
        ])
        #expect(trained.status == 0, "\(trained.standardError)")
        let trainReport = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json"))) as? [String: Any])
        let checkpoint = run.appendingPathComponent("checkpoint.bin").path
        let svg = dir.appendingPathComponent("confusion.svg")
        let common = ["evaluate", "--data", data.path, "--backend", "reference", "--runs", "2", "--latency-batch", "8"]
        let r = try runDiffNAS(common + ["--weights", checkpoint, "--json", "--svg", svg.path])
        #expect(r.status == 0, "\(r.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
        #expect(report["test_accuracy"] as? Double == trainReport["test_accuracy"] as? Double)
        let confusion = try #require(report["confusion"] as? [[Int]])
        #expect(confusion.count == 4 && confusion.flatMap { $0 }.reduce(0, +) == 24)
        let latency = try #require(report["latency"] as? [[String: Any]])
        #expect(latency.compactMap { $0["batch"] as? Int } == [1, 8])
        #expect(try String(contentsOf: svg, encoding: .utf8).components(separatedBy: "<rect").count - 1 == 16)

        // The same weights through safetensors, as text.
        let st = dir.appendingPathComponent("model.safetensors")
        #expect(try runDiffNAS(["export", "--weights", checkpoint, "--out", st.path]).status == 0)
        let text = try runDiffNAS(common + ["--weights", st.path])
        #expect(text.status == 0 && text.standardOutput.contains("test accuracy") && text.standardOutput.contains("latency batch 8"))

        // The ONNX export, run in ONNX Runtime on the raw test images (its graph normalizes them),
        // predicts what `evaluate` counted.
        let model = dir.appendingPathComponent("model.onnx")
        let exported = try runDiffNAS(["export", "--weights", checkpoint, "--format", "onnx", "--data", data.path, "--out", model.path])
        #expect(exported.status == 0 && exported.standardOutput.contains("ONNX"), "\(exported.standardError)")
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../.build/onnx-venv/bin/python3")
        if FileManager.default.isExecutableFile(atPath: python.path) {
            let logits = dir.appendingPathComponent("logits.npy")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Tools/onnx/run_onnx.py")
            let run = Process()
            run.executableURL = python
            run.arguments = [script.path, model.path, data.appendingPathComponent("test_x.npy").path, logits.path]
            run.standardOutput = FileHandle.nullDevice
            try run.run()
            run.waitUntilExit()
            #expect(run.terminationStatus == 0)
            let (shape, values) = try NPYFile.read(contentsOf: logits)
            let labels = try NPYFile.read(contentsOf: data.appendingPathComponent("test_y.npy")).values.map { Int($0) }
            func predicted(_ n: Int) -> Int { (0..<4).max { a, b in values[n * 4 + a] < values[n * 4 + b] } ?? -1 }
            let correct = (0..<shape[0]).filter { predicted($0) == labels[$0] }.count
            #expect(Double(correct) / Double(shape[0]) == report["test_accuracy"] as? Double)
        } else {
            Issue.record("\(python.path) is missing: Tools/scripts/test.sh makes it")
        }

        let other = dir.appendingPathComponent("resnet.json")
        try Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 4).write(to: other)
        let wrong = try runDiffNAS(common + ["--weights", checkpoint, "--arch", other.path])
        #expect(wrong.status != 0 && Self.oneLine(wrong) && wrong.standardError.contains("does not fit"), "\(wrong.standardError)")
        try Data("junk".utf8).write(to: dir.appendingPathComponent("junk.bin"))
        let junk = try runDiffNAS(common + ["--weights", dir.appendingPathComponent("junk.bin").path])
        #expect(junk.status != 0 && Self.oneLine(junk) && junk.standardError.contains("junk.bin"), "\(junk.standardError)")
        let small = try runDiffNAS(common + ["--weights", checkpoint, "--runs", "0"])
        #expect(small.status != 0 && small.standardError.contains("--runs"))
    }

    /// Output paths that cannot be written give one line naming the path, for every writer.
    @Test func unwritableOutputsGiveOneLineNamingThePath() throws {
        let data = try Self.makeData()
        defer { try? FileManager.default.removeItem(at: data) }
        let op = try runDiffNAS([
            "op", "relu", "--in", data.appendingPathComponent("test_y.npy").path, "--out", "/nonexistent/dir/y.npy",
            "--backend", "reference",
        ])
        #expect(
            op.status != 0 && Self.oneLine(op) && op.standardError.contains("cannot write /nonexistent/dir/y.npy"), "\(op.standardError)")
        for command in [["search", "--base", "mlp", "--search-steps", "2"], ["train", "--arch", "mlp", "--epochs", "1"]] {
            let r = try runDiffNAS(command + ["--data", data.path, "--backend", "reference", "--out", "/proc/diffnas-out"])
            #expect(r.status != 0 && Self.oneLine(r) && r.standardError.contains("/proc/diffnas-out"), "\(command[0]): \(r.standardError)")
        }
    }

    /// A corrupt or truncated search checkpoint is refused on --resume with one line naming the file,
    /// and the finished work beside it is left as it was.
    @Test func corruptSearchCheckpointIsRefusedNamingTheFile() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-corrupt").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let args = [
            "search", "--base", "mlp", "--data", data.path, "--search-steps", "10", "--retrain-epochs", "1", "--batch", "16",
            "--backend", "reference", "--out", out.path, "--no-baseline",
        ]
        #expect(try runDiffNAS(args).status == 0)
        let checkpoint = out.appendingPathComponent("repeat-1/search/search-checkpoint.bin")
        let good = try Data(contentsOf: checkpoint)
        let result = out.appendingPathComponent("repeat-1/dms/result.json")
        try FileManager.default.removeItem(at: result)  // make the resume read the checkpoint again
        for bad in [good.prefix(good.count / 2), Data("garbage".utf8)] {
            try bad.write(to: checkpoint)
            let r = try runDiffNAS(args + ["--resume"])
            #expect(r.status != 0 && Self.oneLine(r) && r.standardError.contains(checkpoint.path), "\(r.standardError)")
            #expect(try Data(contentsOf: checkpoint) == bad, "the refused checkpoint was changed")
        }
    }

    /// A search whose loss turns non-finite (a huge --lr) stops with a non-zero exit whose last line
    /// says so and where the finished work is; the plan stays for --resume.
    @Test func nonFiniteSearchLossStopsAndKeepsTheRun() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-nan").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let r = try runDiffNAS([
            "search", "--base", "mlp", "--data", data.path, "--search-steps", "40", "--batch", "16", "--lr", "1e9",
            "--backend", "reference", "--out", out.path,
        ])
        let last = r.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(r.status != 0 && last.contains("loss became") && last.contains(out.path), "\(r.standardError)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("plan.json").path))
    }

    /// `--ablate` is recorded in the plan and named in the report; a resume without it is refused
    /// (a different method), and an unknown fix or a cell method is rejected before any work.
    @Test func ablationIsRecordedAndCannotBeMixedOnResume() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-ablate").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let args = [
            "search", "--base", "mlp", "--data", data.path, "--search-steps", "10", "--retrain-epochs", "1", "--batch", "16",
            "--backend", "reference", "--out", out.path, "--no-baseline",
        ]
        let r = try runDiffNAS(args + ["--ablate", "stream-once", "--ablate", "ratio-start"])
        #expect(r.status == 0, "\(r.standardError)")
        let plan = try String(contentsOf: out.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(plan.contains("ratio-start") && plan.contains("stream-once") && !plan.contains("depth-freeze"))
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("**ablation**") && report.contains("`ratio-start`, `stream-once`"), "\(report)")
        let mixed = try runDiffNAS(args + ["--resume"])
        #expect(mixed.status != 0 && Self.oneLine(mixed), "\(mixed.standardError)")
        let unknown = try runDiffNAS(["search", "--ablate", "everything", "--backend", "reference"])
        #expect(unknown.status != 0 && unknown.standardError.contains("--ablate"), "\(unknown.standardError)")
        let cell = try runDiffNAS(["search", "--method", "darts", "--ablate", "depth-freeze", "--backend", "reference"])
        #expect(cell.status != 0 && cell.standardError.contains("--ablate"), "\(cell.standardError)")
    }

    @Test func impossibleTargetsFailBeforeAnyWork() throws {
        let data = try Self.makeData()
        let out = try makeTemporaryDirectory("diffnas-search-bad").appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        for target in ["10", "50G"] {
            let r = try runDiffNAS([
                "search", "--base", "mlp", "--data", data.path, "--target", target, "--backend", "reference", "--out", out.path,
            ])
            #expect(r.status != 0 && Self.oneLine(r) && r.standardError.contains("target"), "\(r.standardError)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "work started for target \(target)")
        }
        let garbage = try runDiffNAS(["search", "--target", "half", "--backend", "reference"])
        #expect(garbage.status != 0 && garbage.standardError.contains("--target"))
    }
}
